"""A shop's own product admin with tryon's GarmentInline and preview actions.

This module is also the URLconf of its tests: a separate admin site where the shop's
``Product`` admin uses the inline and the actions, as the README tells shops to.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import path, reverse

from tests import images
from tests.conftest import make_model_photo, run_queued
from tests.shop.models import Product
from tryon.admin import (
    GarmentInline,
    generate_tryon_previews,
    retry_failed_tryon_previews,
)
from tryon.models import Garment, TryOn, TryOnStatus

shop_site = admin.AdminSite(name="shop_admin")


@admin.register(Product, site=shop_site)
class ProductAdmin(admin.ModelAdmin):
    inlines = [GarmentInline]
    actions = [generate_tryon_previews, retry_failed_tryon_previews]


shop_site.register(TryOn)  # so the inline's thumbnails can link to the jobs

urlpatterns = [path("shop-admin/", shop_site.urls)]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_shop_urls"),
]


@pytest.fixture
def _shop_urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def linked_garment(product: Product, name: str, colour: tuple[int, int, int]) -> Garment:
    garment = Garment(
        name=name,
        content_type=ContentType.objects.get_for_model(Product),
        object_id=str(product.pk),
    )
    garment.image.save("g.jpg", ContentFile(images.garment_photo(color=colour)), save=False)
    garment.save()
    return garment


def test_product_action_previews_its_garments_and_inline_shows_them(admin_client, fake, task_queue):
    preset = make_model_photo("Alex")
    shirt, other = Product.objects.create(name="Shirt"), Product.objects.create(name="Other")
    linked_garment(shirt, "Shirt front", (200, 30, 40))
    linked_garment(shirt, "Shirt back", (180, 40, 60))
    unrelated = linked_garment(other, "Unrelated", (10, 200, 10))

    changelist = reverse("shop_admin:shop_product_changelist")
    base = {"action": "generate_tryon_previews", ACTION_CHECKBOX_NAME: [str(shirt.pk)]}
    page = admin_client.post(changelist, base)
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 garments are selected" in html
    assert "Shirt front" in html and "Unrelated" not in html

    done = admin_client.post(changelist, {**base, "apply": "1", "model_photos": [str(preset.pk)]})
    assert done.status_code == 302
    assert len(task_queue.results) == 2
    assert not TryOn.objects.filter(garment=unrelated).exists()
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED] * 2

    change = admin_client.get(reverse("shop_admin:shop_product_change", args=[shirt.pk]))
    assert change.status_code == 200
    html = change.content.decode()
    assert "Shirt front" in html and "Shirt back" in html  # the inline
    for tryon in TryOn.objects.all():
        assert tryon.result_image.url in html
    assert html.count("Succeeded: 1") == 2


def test_product_retry_failed_action(admin_client, fake, task_queue):
    preset = make_model_photo("Alex")
    shirt = Product.objects.create(name="Shirt")
    linked_garment(shirt, "Shirt", (200, 30, 40))
    fake.fail_next(10003)
    changelist = reverse("shop_admin:shop_product_changelist")
    base = {ACTION_CHECKBOX_NAME: [str(shirt.pk)]}
    admin_client.post(
        changelist,
        {
            **base,
            "action": "generate_tryon_previews",
            "apply": "1",
            "model_photos": [str(preset.pk)],
        },
    )
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    html = admin_client.get(reverse("shop_admin:shop_product_change", args=[shirt.pk])).content
    assert b"Failed: 1" in html
    admin_client.post(changelist, {**base, "action": "retry_failed_tryon_previews"})
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
