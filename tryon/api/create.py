"""Creating a shopper's try-on: the upload, the TryOn row, the cap, in one transaction.

A shopper's photo is stored only as the normalised JPEG (orientation applied, no EXIF,
so no GPS position), as a ``ModelPhoto(is_preset=False)`` that belongs to the shopper
and expires. If anything fails after the file is written, the transaction is rolled
back and the file deleted: a refused request leaves nothing behind.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .. import limits, outfits, services
from ..conf import tryon_settings
from ..exceptions import DailyCapReached
from ..images import NormalizedImage
from ..models import ModelPhoto, TryOn, TryOnSource
from ..privacy import shopper_expiry
from ..storage import get_storage
from .ownership import current_shopper, remember


def create_tryon(request: Any, data: dict[str, Any]) -> tuple[TryOn, bool]:
    """Store the upload (if any) and request the try-on; ``(tryon, answered_now)``."""
    shopper = current_shopper(request, create_session=True)
    assert shopper is not None
    upload: NormalizedImage | None = data.get("model_image")
    saved_name = ""
    try:
        with transaction.atomic():
            if upload is not None:
                photo = ModelPhoto(
                    is_preset=False,
                    owner=shopper.owner,
                    session_key=shopper.session_key,
                    expires_at=shopper_expiry(),
                    consent_version=str(tryon_settings.CONSENT_VERSION),
                    consented_at=timezone.now(),
                )
                photo.image.save("photo.jpg", ContentFile(upload.content), save=False)
                saved_name = photo.image.name or ""
                # Stored already normalised: record its hash so no one decodes it again.
                photo.image_hash, photo.image_hash_name = upload.sha256, saved_name
                photo.save()
            else:
                photo = data["model_photo"]
            request_one = services.request_tryon
            if data.get("garments"):  # complete the look: two chained steps
                request_one = partial(outfits.request_outfit, garments=data["garments"])
            tryon, answered_now = request_one(
                model_photo=photo,
                garment=data.get("garment"),
                prompt=data.get("prompt", ""),
                seed=data.get("seed"),
                randomize_seed=data.get("randomize_seed"),
                guidance_scale=data.get("guidance_scale"),
                num_inference_steps=data.get("num_inference_steps"),
                source=TryOnSource.SHOPPER,
                owner=shopper.owner,
                session_key=shopper.session_key,
                # A try-on made from a shopper's photo goes when the photo goes.
                expires_at=None if photo.is_preset else photo.expires_at,
            )
            # Checked last: an answer from an existing result costs nothing, so the
            # cap refuses only requests that would be paid for.
            if not answered_now and limits.shopper_cap_reached():
                raise DailyCapReached(limits.seconds_until_tomorrow())
    except BaseException:
        if saved_name:
            get_storage().delete(saved_name)
        raise
    remember(request, tryon)
    return tryon, answered_now
