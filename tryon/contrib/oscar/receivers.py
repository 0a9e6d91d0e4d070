"""Product image changes reach the garments that take their picture from the product.

Connected in ``TryOnOscarConfig.ready()`` to the shop's own (possibly forked)
``ProductImage`` and ``Product`` models. The copy runs after the commit, when the
dashboard has saved and ordered all of the product's images.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from .pictures import sync_products_on_commit
from .products import product_image_model, product_model


def _product_image_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata: fixtures are not edits
        return
    if instance.product_id is not None:
        sync_products_on_commit([instance.product_id])


def _product_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    sync_products_on_commit([instance.pk])


def connect() -> None:
    image_model = product_image_model()
    post_save.connect(
        _product_image_changed, sender=image_model, dispatch_uid="tryon_oscar.image_saved"
    )
    post_delete.connect(
        _product_image_changed, sender=image_model, dispatch_uid="tryon_oscar.image_deleted"
    )
    post_save.connect(
        _product_saved, sender=product_model(), dispatch_uid="tryon_oscar.product_saved"
    )
