"""A garment's picture is its Oscar product's primary image, and follows it."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("oscar")

from django.core.files.base import ContentFile

from tests import images
from tests.oscar.shop import (
    BLUE,
    GREEN,
    RED,
    add_image,
    dominant_color,
    is_color,
    product_with_image,
)
from tryon.contrib.oscar.models import PictureFromProduct
from tryon.contrib.oscar.pictures import (
    follow_product_picture,
    stop_following,
    sync_products,
)
from tryon.contrib.oscar.products import link_to_product, primary_image_file
from tryon.models import Garment

pytestmark = [pytest.mark.oscar, pytest.mark.django_db(transaction=True)]


def following_garment(product: Any, name: str = "Tee") -> Garment:
    garment = Garment(name=name)
    link_to_product(garment, product)
    follow_product_picture(garment, product)
    return garment


def test_the_garment_picture_is_a_copy_of_the_primary_image() -> None:
    product = product_with_image(color=RED)
    garment = following_garment(product)

    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), RED)
    assert garment.image.name != primary_image_file(product).name  # a copy in tryon's storage
    assert garment.image.name.startswith("tryon/garments/")
    link = PictureFromProduct.objects.get(garment=garment)
    assert link.source_name == primary_image_file(product).name


def test_a_new_primary_image_replaces_the_picture_and_removes_the_old_copy() -> None:
    product = product_with_image(color=RED)
    garment = following_garment(product)
    garment.refresh_from_db()
    old_copy = garment.image.name
    storage = garment.image.storage

    image = add_image(product, BLUE, display_order=1)
    garment.refresh_from_db()
    assert garment.image.name == old_copy  # not primary yet: nothing changes

    product.images.exclude(pk=image.pk).update(display_order=5)
    image.display_order = 0
    image.save()  # the dashboard's reorder saves the images

    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), BLUE)
    assert garment.image.name != old_copy
    assert not storage.exists(old_copy)


def test_deleting_the_primary_image_moves_to_the_next_and_the_last_keeps_the_picture() -> None:
    product = product_with_image(color=RED)
    add_image(product, GREEN)
    garment = following_garment(product)

    product.images.get(display_order=0).delete()  # Oscar renumbers the rest
    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), GREEN)

    product.images.get().delete()
    garment.refresh_from_db()
    assert garment.image  # no image left on the product: the garment keeps its picture
    assert is_color(dominant_color(garment.image), GREEN)


def test_a_garment_with_a_picture_of_its_own_is_never_overwritten() -> None:
    product = product_with_image(color=RED)
    garment = Garment(name="Flat lay")
    link_to_product(garment, product)
    garment.image.save("own.jpg", ContentFile(images.garment_photo(color=GREEN)), save=False)
    garment.save()

    add_image(product, BLUE, display_order=0)
    product.save()

    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), GREEN)


def test_stop_following_keeps_the_current_picture() -> None:
    product = product_with_image(color=RED)
    garment = following_garment(product)
    stop_following(garment)

    product.images.all().delete()
    add_image(product, BLUE)

    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), RED)


def test_an_unchanged_product_is_not_copied_again() -> None:
    product = product_with_image(color=RED)
    garment = following_garment(product)
    garment.refresh_from_db()
    before = garment.image.name

    product.title = "Red tee, new title"
    product.save()
    assert sync_products([product.pk]) == 0

    garment.refresh_from_db()
    assert garment.image.name == before


def test_a_variant_without_images_takes_its_parents_and_follows_it() -> None:
    parent = product_with_image("Tee", color=RED, structure="parent")
    child = product_with_image("Tee, size M", color=RED, parent=parent)
    child.images.all().delete()
    garment = following_garment(child, "Tee M")
    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), RED)

    parent.images.all().delete()
    add_image(parent, BLUE)

    garment.refresh_from_db()
    assert is_color(dominant_color(garment.image), BLUE)
