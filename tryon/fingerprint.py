"""What makes two try-on requests the same picture.

The fingerprint hashes the normalised input images (the exact bytes the provider
would receive), the garment's category and description, the prompt and its
parameters, the backend and, for a shopper's own photo, whose photo it is. Equal
fingerprints mean the provider would be asked the same thing twice, so the second
request reuses the first result instead of paying.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from .conf import tryon_settings
from .images import image_fingerprint, normalize_image

if TYPE_CHECKING:
    from .models import Garment, ModelPhoto, TryOn

FINGERPRINT_VERSION = 1


def prepared_image(obj: Garment | ModelPhoto) -> bytes:
    """The normalised bytes of a garment's or model photo's image, as sent to the backend.

    Also records their hash on the row, so the next fingerprint needs no decoding.
    """
    with obj.image.open("rb") as handle:
        stored = handle.read()
    if obj.image_hash_name == obj.image.name and image_fingerprint(stored) == obj.image_hash:
        return stored  # already normalised and checked when its hash was recorded
    normalised = normalize_image(stored)
    if obj.image_hash != normalised.sha256 or obj.image_hash_name != obj.image.name:
        obj.image_hash = normalised.sha256
        obj.image_hash_name = obj.image.name or ""
        type(obj).objects.filter(pk=obj.pk).update(
            image_hash=obj.image_hash, image_hash_name=obj.image_hash_name
        )
    return normalised.content


def model_input(tryon: TryOn) -> bytes:
    """The picture sent as ``modelImg``: the model photo, or for an outfit's second step
    the first step's result (normalised like any input)."""
    previous = tryon.after
    if previous is None:
        return prepared_image(tryon.model_photo)
    with previous.result_image.open("rb") as handle:
        return normalize_image(handle.read()).content


def image_hash(obj: Garment | ModelPhoto) -> str:
    if obj.image_hash and obj.image_hash_name == obj.image.name:
        return obj.image_hash
    prepared_image(obj)
    return obj.image_hash


def owner_scope(photo: ModelPhoto) -> str:
    """Whose upload this is: the user, else the session it was made in."""
    if photo.owner_id is not None:
        return f"user:{photo.owner_id}"
    return f"session:{photo.session_key}"


def compute_fingerprint(tryon: TryOn) -> str:
    """The fingerprint of a TryOn, or "" when it must never be shared (random seed)."""
    if tryon.garment_id is None and tryon.randomize_seed:
        return ""  # the shopper asked for a new random picture
    parts: dict[str, Any] = {
        "v": FINGERPRINT_VERSION,
        "backend": tryon_settings.BACKEND,
        "max_side": tryon_settings.MAX_IMAGE_SIDE,
        "model": image_hash(tryon.model_photo),
    }
    if tryon.after_id is not None:
        # The second step of an outfit dresses the first step's picture: the same first
        # step (same fingerprint) makes the same picture, so the two steps dedup apart.
        previous = tryon.after
        assert previous is not None
        if not previous.fingerprint:
            return ""
        parts["model"] = f"after:{previous.fingerprint}"
    if not tryon.model_photo.is_preset:
        # A shopper's upload is reused only for that shopper: shared across shoppers, a
        # reuse would tell one that another tried this garment on this very photo, and
        # hand them the other's files. Preset-model results stay shared shop-wide.
        parts["owner"] = owner_scope(tryon.model_photo)
    if tryon.garment_id is not None:
        garment = tryon.garment
        assert garment is not None
        parts.update(
            garment=image_hash(garment),
            category=garment.category,
            description=garment.description.strip(),
        )
    else:
        parts.update(
            prompt=tryon.prompt.strip(),
            seed=tryon.seed,
            guidance_scale=tryon.guidance_scale,
            num_inference_steps=tryon.num_inference_steps,
        )
    encoded = json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()
