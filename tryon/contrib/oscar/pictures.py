"""A garment's picture taken from its product's primary image, and kept in step.

The picture is copied into tryon's storage (results and fingerprints need a file of
their own), and copied again only when the product's primary image is another file:
a new upload, images reordered, the primary one deleted. A product left with no image
keeps the garment's last picture rather than leaving it without one.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tryon.models import Garment

from .models import PictureFromProduct
from .products import (
    primary_image_file,
    product_content_type,
    product_model,
    product_of,
)

logger = logging.getLogger("tryon.contrib.oscar")


def follows_product(garment: Garment) -> bool:
    return garment.pk is not None and PictureFromProduct.objects.filter(garment=garment).exists()


def follow_product_picture(garment: Garment, product: Any) -> bool:
    """Make ``garment``'s picture its product's primary image from now on; saves it.

    Returns whether the picture was copied (False: the product has no image, or the
    garment already has a copy of its current primary image).
    """
    link = None
    if garment.pk is not None:
        link = PictureFromProduct.objects.filter(garment=garment).first()
    copied = _copy_if_changed(garment, product, link)
    if not copied:
        garment.save()
    if link is None:
        link = PictureFromProduct.objects.create(
            garment=garment,
            source_name=_source_name(product),
            copied_name=garment.image.name or "",
            synced_at=timezone.now(),
        )
    return copied


def stop_following(garment: Garment) -> None:
    """Keep ``garment``'s current picture; product image changes no longer replace it."""
    PictureFromProduct.objects.filter(garment=garment).delete()


def sync_garment(garment: Garment) -> bool:
    """Copy the product's primary image again if it changed; whether it was copied."""
    link = PictureFromProduct.objects.filter(garment=garment).first()
    product = product_of(garment)
    if link is None or product is None:
        return False
    return _copy_if_changed(garment, product, link)


def sync_products(product_ids: Iterable[object]) -> int:
    """Bring the garments of these products (and of their variants) in step; how many changed."""
    ids = {str(pk) for pk in product_ids}
    if not ids:
        return 0
    children = product_model()._default_manager.filter(parent_id__in=ids)
    ids |= {str(pk) for pk in children.values_list("pk", flat=True)}
    garments = Garment.objects.filter(
        content_type=product_content_type(),
        object_id__in=ids,
        pk__in=PictureFromProduct.objects.values("garment_id"),
    )
    changed = 0
    for garment in garments:
        try:
            changed += sync_garment(garment)
        except Exception:  # one unreadable product image must not stop the others
            logger.exception("Could not copy the product image of garment %s", garment.pk)
    return changed


def sync_products_on_commit(product_ids: Iterable[object]) -> None:
    """After the commit: the product's images are then saved and ordered for good."""
    transaction.on_commit(partial(sync_products, list(product_ids)))


def _source_name(product: Any) -> str:
    source = primary_image_file(product)
    return source.name if source is not None and source.name else ""


def _copy_if_changed(garment: Garment, product: Any, link: PictureFromProduct | None) -> bool:
    source = primary_image_file(product)
    if source is None or not source.name:
        return False
    if link is not None and link.source_name == source.name and garment.image:
        return False
    with source.open("rb") as handle:
        content = handle.read()
    previous = garment.image.name or ""
    garment.image.save(posixpath.basename(source.name), ContentFile(content), save=False)
    garment.save()
    if link is not None:
        if previous and previous == link.copied_name and previous != garment.image.name:
            # Our own earlier copy: no other row refers to it.
            transaction.on_commit(partial(garment.image.storage.delete, previous))
        link.source_name = source.name
        link.copied_name = garment.image.name or ""
        link.synced_at = timezone.now()
        link.save()
    logger.info("Garment %s: picture copied from %s", garment.pk, source.name)
    return True
