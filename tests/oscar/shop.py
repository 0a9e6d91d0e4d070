"""Oscar catalogue data for the Oscar leg: products with images, garments linked to them."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from tests import images
from tryon.models import ModelPhoto

Product = get_model("catalogue", "Product")
ProductImage = get_model("catalogue", "ProductImage")

RED = (200, 30, 40)
BLUE = (30, 70, 190)
GREEN = (30, 150, 60)


def product_with_image(title: str = "Red tee", color: Any = RED, **kwargs: Any) -> Any:
    product = create_product(title=title, **kwargs)
    add_image(product, color)
    return product


def add_image(product: Any, color: Any, *, display_order: int | None = None) -> Any:
    """A new product image (a plain garment shot of ``color``); last unless ordered."""
    if display_order is None:
        display_order = product.images.count()
    image = ProductImage(product=product, display_order=display_order, caption="")
    image.original.save(
        f"shot-{color[0]}-{color[1]}-{color[2]}.jpg",
        ContentFile(images.garment_photo(color=color)),
        save=False,
    )
    image.save()
    return image


def preset(name: str, width: int = 600) -> Any:
    """A preset model; presets of different widths are different pictures (no shared result)."""
    photo = ModelPhoto(name=name, is_preset=True)
    photo.image.save("person.jpg", ContentFile(images.person_photo(width, 900)), save=False)
    photo.save()
    return photo


def dominant_color(field_file: Any) -> tuple[int, int, int]:
    """The colour of the garment drawn in a stored picture (its centre pixel)."""
    with field_file.open("rb") as handle:
        picture = images.open_rgb(handle.read())
    return picture.getpixel((picture.width // 2, picture.height // 2))


def is_color(pixel: Any, color: Any) -> bool:
    return images.is_close(pixel, color, 40)
