"""Oscar's catalogue as a garment sees it: the product model, the link, the primary image.

Models are looked up through Oscar's ``get_model``, so a shop that forked the
catalogue app gets its own ``Product`` and ``ProductImage``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.db.models.fields.files import FieldFile
from oscar.core.loading import get_model

from tryon.models import Garment


def product_model() -> type[Model]:
    model: type[Model] = get_model("catalogue", "Product")
    return model


def product_image_model() -> type[Model]:
    model: type[Model] = get_model("catalogue", "ProductImage")
    return model


def product_content_type() -> ContentType:
    return ContentType.objects.get_for_model(product_model())


def product_of(garment: Garment) -> Any | None:
    """The Oscar product ``garment`` is linked to, or None."""
    if garment.content_type_id != product_content_type().pk or not garment.object_id:
        return None
    if not garment.object_id.isdigit():
        return None
    return product_model()._default_manager.filter(pk=int(garment.object_id)).first()


def link_to_product(garment: Garment, product: Any | None) -> None:
    """Point ``garment`` at ``product`` (None: at nothing); the caller saves."""
    if product is None:
        garment.content_type = None
        garment.object_id = ""
    else:
        garment.content_type = product_content_type()
        garment.object_id = str(product.pk)


def garments_of(product: Any) -> QuerySet[Garment]:
    """Every garment (active or not) linked to ``product``."""
    return Garment.objects.for_product(product).order_by("name", "pk")


def primary_image_file(product: Any) -> FieldFile | None:
    """The file of ``product``'s primary image (a variant's falls back to its parent's).

    None when the product has no image: Oscar then answers with a placeholder dict.
    """
    image = product.primary_image()
    if isinstance(image, dict):
        return None
    original = getattr(image, "original", None)
    return original if original else None
