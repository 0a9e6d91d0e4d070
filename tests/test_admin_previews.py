"""The admin says what it shows and what it will do: preview counts that match the
thumbnails, and a "Generate try-on previews" page that lists what it skips and why.

This module is also the URLconf of its tests: an admin site whose product admin uses
``TryOnProductAdminMixin``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import path, reverse
from django.utils import timezone

from tests import images
from tests.conftest import make_model_photo
from tests.shop.models import Product
from tryon.admin import GarmentAdmin, TryOnProductAdminMixin
from tryon.fingerprint import compute_fingerprint
from tryon.models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus

site = admin.AdminSite(name="previews_admin")
site.register(Garment, GarmentAdmin)
site.register(TryOn)


@admin.register(Product, site=site)
class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
    search_fields = ["name"]


urlpatterns = [path("previews-admin/", site.urls)]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_urls")]

PRODUCTS = "previews_admin:shop_product_changelist"


@pytest.fixture
def _urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def garment_of(
    product: Product | None, name: str, colour: tuple[int, int, int], **kw: Any
) -> Garment:
    if product is not None:
        kw["product"] = product
    garment = Garment(name=name, **kw)
    garment.image.save("g.jpg", ContentFile(images.garment_photo(color=colour)), save=False)
    garment.save()
    return garment


def person(name: str, width: int) -> ModelPhoto:
    photo = ModelPhoto(name=name, is_preset=True)
    photo.image.save("p.jpg", ContentFile(images.person_photo(width, 900)), save=False)
    photo.save()
    return photo


def row(
    garment: Garment,
    model: ModelPhoto,
    status: str,
    *,
    source: str = TryOnSource.PREVIEW,
    minutes_ago: int = 0,
    outdated: bool = False,
) -> TryOn:
    tryon = TryOn(garment=garment, model_photo=model, status=status, source=source)
    tryon.fingerprint = "0" * 64 if outdated else compute_fingerprint(tryon)
    tryon.created_at = timezone.now() - timedelta(minutes=minutes_ago)
    if status == TryOnStatus.SUCCEEDED:
        picture = ContentFile(images.person_photo(300 + minutes_ago, 450))
        tryon.result_image.save(f"r{minutes_ago}.jpg", picture, save=False)
    if status == TryOnStatus.FAILED:
        tryon.error_code, tryon.error_message = 10005, "refused"
    tryon.save()
    return tryon


def post_action(client: Any, objects: list[Any], **data: Any) -> Any:
    payload = {
        "action": "generate_tryon_previews",
        ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects],
        **data,
    }
    return client.post(reverse(PRODUCTS), payload)


def test_counts_match_the_thumbnails_shown(admin_client):
    shirt = Product.objects.create(name="Shirt")
    garment = garment_of(shirt, "Shirt", (200, 30, 40))
    ava, ben, cleo, dana = (
        person(n, 600 + 20 * i) for i, n in enumerate("Ava Ben Cleo Dana".split())
    )
    row(garment, ava, TryOnStatus.SUCCEEDED, minutes_ago=30, outdated=True)
    shown_ava = row(garment, ava, TryOnStatus.SUCCEEDED, minutes_ago=20)
    # A shopper's try-on on a preset model is not a preview: not counted, not shown.
    shopper = row(garment, ava, TryOnStatus.SUCCEEDED, source=TryOnSource.SHOPPER, minutes_ago=1)
    row(garment, dana, TryOnStatus.SUCCEEDED, source=TryOnSource.SHOPPER, minutes_ago=2)
    row(garment, ben, TryOnStatus.FAILED, minutes_ago=15)
    shown_ben = row(garment, ben, TryOnStatus.SUCCEEDED, minutes_ago=10)  # the retry worked
    failed_cleo = row(garment, cleo, TryOnStatus.FAILED, minutes_ago=5)

    page = admin_client.get(reverse("previews_admin:tryon_garment_change", args=[garment.pk]))
    html = page.content.decode()
    assert "Succeeded: 2" in html and "Failed: 1" in html
    assert "Running" not in html and "Pending" not in html
    figures = re.findall(r'<figure class="tryon-preview".*?</figure>', html, re.S)
    assert len(figures) == 2
    assert shown_ava.result_image.url in figures[0] and "Ava" in figures[0]
    assert shown_ben.result_image.url in figures[1] and "Ben" in figures[1]
    assert shopper.result_image.url not in html
    failures = re.findall(
        r"<li>.*?</li>", html.split('class="tryon-failures"')[1].split("</ul>")[0]
    )
    assert len(failures) == 1 and "Cleo" in failures[0] and str(failed_cleo.pk) in failures[0]

    listing = admin_client.get(reverse("previews_admin:tryon_garment_changelist")).content.decode()
    assert "Succeeded: 2" in listing and "Failed: 1" in listing

    product_page = admin_client.get(reverse("previews_admin:shop_product_change", args=[shirt.pk]))
    inline = product_page.content.decode()
    assert "Succeeded: 2" in inline
    gallery = inline.split('class="tryon-previews tryon-previews--compact"')[1].split("</div>")[0]
    assert gallery.count("<img") == 2
    assert 'title="Ava"' in gallery and 'title="Ben"' in gallery


def test_generate_page_lists_what_it_skips_and_why(admin_client, task_queue):
    ava, ben = person("Ava", 600), person("Ben", 640)
    shirt, cap, scarf, jeans = (
        Product.objects.create(name=n) for n in "Shirt Cap Scarf Jeans".split()
    )
    front = garment_of(shirt, "Shirt front", (200, 30, 40))
    garment_of(scarf, "Winter scarf", (30, 200, 40), is_active=False)
    broken = Garment(name="Jeans", product=jeans)
    broken.image.save("j.jpg", ContentFile(b"not a picture"), save=False)
    broken.save()
    row(front, ava, TryOnStatus.SUCCEEDED)
    row(front, ben, TryOnStatus.FAILED)

    page = post_action(admin_client, [shirt, cap, scarf, jeans])
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert "4 products are selected." in text
    assert "2 garments are selected." in text
    assert "Left out, 2 of the selected products:" in text
    assert "Cap : no try-on garment is linked to it" in text
    assert "Scarf : its garment “Winter scarf” is inactive" in text
    assert "Shirt front retried: Ben Ava: already has a preview" in text
    assert re.search(
        r"Jeans nothing to queue every chosen preset model: image unusable: .+ Shirt front", text
    )

    done = post_action(
        admin_client,
        [shirt, cap, scarf, jeans],
        apply="1",
        model_photos=[str(ava.pk), str(ben.pk)],
        retry_failed="on",
    )
    assert done.status_code == 302
    assert len(task_queue.results) == 1  # only Ben's failed preview, as the page said
    summary = " ".join(str(m) for m in admin_client.get(done["Location"]).context["messages"])
    assert "1 failed ones retried" in summary and "1 already done" in summary
    assert "2 with unusable images" in summary


def test_generate_page_on_garments_says_when_everything_is_done(admin_client):
    ava = make_model_photo("Ava")
    garment = garment_of(None, "Tee", (10, 10, 200))
    row(garment, ava, TryOnStatus.SUCCEEDED)
    response = admin_client.post(
        reverse("previews_admin:tryon_garment_changelist"),
        {"action": "generate_tryon_previews", ACTION_CHECKBOX_NAME: [str(garment.pk)]},
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    assert "One garment is selected." in text
    assert "products are selected" not in text and "Left out" not in text
    assert "every chosen preset model: already has a preview" in text


def test_a_shoppers_result_on_a_preset_is_reused_for_the_preview(admin_client, task_queue):
    ava = make_model_photo("Ava")
    garment = garment_of(None, "Tee", (10, 10, 200))
    shopper = row(garment, ava, TryOnStatus.SUCCEEDED, source=TryOnSource.SHOPPER)
    response = admin_client.post(
        reverse("previews_admin:tryon_garment_changelist"),
        {
            "action": "generate_tryon_previews",
            ACTION_CHECKBOX_NAME: [str(garment.pk)],
            "apply": "1",
            "model_photos": [str(ava.pk)],
        },
    )
    assert response.status_code == 302
    assert not task_queue.results  # answered at once: the same picture, no provider call
    preview = TryOn.objects.get(source=TryOnSource.PREVIEW)
    assert preview.status == TryOnStatus.SUCCEEDED
    assert preview.result_image.name == shopper.result_image.name
    page = admin_client.get(reverse("previews_admin:tryon_garment_change", args=[garment.pk]))
    assert "Succeeded: 1" in page.content.decode()


def test_each_picture_has_one_row_and_model_photos_show_their_id(admin_client):
    ava = make_model_photo("Ava")
    garment = garment_of(None, "Tee", (10, 10, 200))
    result = row(garment, ava, TryOnStatus.SUCCEEDED)
    with override_settings(ROOT_URLCONF="tests.urls"):  # the default admin site
        pages = {
            "Image": [
                admin_client.get(reverse("admin:tryon_garment_change", args=[garment.pk])),
                admin_client.get(reverse("admin:tryon_modelphoto_change", args=[ava.pk])),
            ],
            "Result": [admin_client.get(reverse("admin:tryon_tryon_change", args=[result.pk]))],
        }
        photos = admin_client.get(reverse("admin:tryon_modelphoto_changelist")).content.decode()
    for label, responses in pages.items():
        for response in responses:
            html = response.content.decode()
            # A <legend> on Django 6, whose file inputs sit in a fieldset.
            assert len(re.findall(rf"<(?:label|legend)[^>]*>{label}:</", html)) == 1
            assert 'class="tryon-picture-input"' in html
    garment_page = pages["Image"][0].content.decode()
    field = garment_page.split('class="tryon-picture-input"')[1].split("</div>")[0]
    assert garment.image.url in field and "<img" in field  # the thumbnail sits in the row
    assert str(ava.pk) in photos
    assert str(ava.pk) in pages["Image"][1].content.decode()


def test_a_new_product_and_its_garment_are_saved_together(admin_client):
    prefix = "tryon-garment-content_type-object_id"
    response = admin_client.post(
        reverse("previews_admin:shop_product_add"),
        {
            "name": "Scarf",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-name": "Scarf",
            f"{prefix}-0-image": ContentFile(images.garment_photo(), name="scarf.png"),
            f"{prefix}-0-category": "upper_body",
            f"{prefix}-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    garment = Garment.objects.get()
    assert garment.product == Product.objects.get(name="Scarf")
