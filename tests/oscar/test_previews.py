"""Previews of Oscar products, generated from the product's own image, from the dashboard."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("oscar")

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse

from tests import images
from tests.conftest import run_queued
from tests.oscar.shop import BLUE, RED, add_image, preset, product_with_image
from tryon.models import Garment, TryOn, TryOnSource, TryOnStatus

pytestmark = [pytest.mark.oscar, pytest.mark.django_db(transaction=True)]

PREVIEWS = "tryon_dashboard:tryon-garment-previews"
RETRY = "tryon_dashboard:tryon-garment-retry-failed"


@pytest.fixture
def staff_client(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def presets(db: Any) -> list[Any]:
    return [preset("Alex", 600), preset("Sam", 640)]


def garment_from_product(client: Any, product: Any, name: str = "Red tee") -> Garment:
    response = client.post(
        reverse("tryon_dashboard:tryon-garment-create"),
        {
            "product": str(product.pk),
            "picture_from_product": "on",
            "name": name,
            "category": "upper_body",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    return Garment.objects.get(name=name)


def product_page(client: Any, product: Any) -> str:
    url = reverse("dashboard:catalogue-product", kwargs={"pk": product.pk})
    return client.get(url).content.decode()


def result_has(tryon: TryOn, color: Any) -> bool:
    with tryon.result_image.open("rb") as handle:
        picture = images.open_rgb(handle.read())
    return images.count_color(picture, color, 40) > 0.03 * picture.width * picture.height


def test_previews_from_the_products_own_image_end_to_end(
    staff_client: Any, presets: list[Any], task_queue: Any
) -> None:
    product = product_with_image("Red tee", color=RED)
    garment = garment_from_product(staff_client, product)

    # From the list's checkboxes: the page says what it will do, before doing it.
    page = staff_client.post(reverse(PREVIEWS), {"garment": [str(garment.pk)]})
    html = page.content.decode()
    assert page.status_code == 200
    assert "One garment is selected." in html
    assert "2 previews will be queued." in html
    assert not TryOn.objects.exists()

    done = staff_client.post(
        reverse(PREVIEWS),
        {
            "garment": [str(garment.pk)],
            "model_photos": [str(p.pk) for p in presets],
            "retry_failed": "on",
            "apply": "1",
        },
    )
    assert done.status_code == 302
    assert TryOn.objects.filter(source=TryOnSource.PREVIEW).count() == 2
    run_queued(task_queue)  # the worker, with the offline LocalPreviewBackend

    previews = list(TryOn.objects.all())
    assert all(row.status == TryOnStatus.SUCCEEDED for row in previews)
    assert all(row.is_preview for row in previews)  # honestly labelled: not AI
    assert all(result_has(row, RED) for row in previews)  # the product's red shirt, worn

    # The product's dashboard page shows them; the shop's product page too.
    html = product_page(staff_client, product)
    assert 'id="product_tryon"' in html
    assert "Done: 2" in html
    assert all(row.result_image.url in html for row in previews)
    shop_html = staff_client.get(product.get_absolute_url()).content.decode()
    assert all(row.result_image.url in shop_html for row in previews)

    # Asked again: nothing to do, and the page says why for each model.
    html = staff_client.get(reverse(PREVIEWS), {"garment": garment.pk}).content.decode()
    assert "0 previews will be queued." in html
    assert "Alex: already done" in html and "Sam: already done" in html


def test_a_new_product_image_makes_the_previews_outdated_and_they_are_made_again(
    staff_client: Any, presets: list[Any], task_queue: Any
) -> None:
    product = product_with_image("Tee", color=RED)
    garment = garment_from_product(staff_client, product)
    staff_client.post(
        reverse(PREVIEWS),
        {"garment": garment.pk, "model_photos": [p.pk for p in presets], "apply": "1"},
    )
    run_queued(task_queue)

    product.images.update(display_order=1)
    add_image(product, BLUE, display_order=0)  # a new primary image

    html = product_page(staff_client, product)
    assert "Of an earlier picture: 2" in html
    html = staff_client.get(reverse(PREVIEWS), {"garment": garment.pk}).content.decode()
    assert "2 previews will be queued." in html

    staff_client.post(
        reverse(PREVIEWS),
        {"garment": garment.pk, "model_photos": [p.pk for p in presets], "apply": "1"},
    )
    run_queued(task_queue)
    newest = TryOn.objects.order_by("-created_at")[:2]
    assert all(result_has(row, BLUE) for row in newest)
    assert "Done: 2" in product_page(staff_client, product)


def test_the_page_lists_what_it_skips_and_why_and_failed_ones_are_retried(
    staff_client: Any, fake: Any, presets: list[Any], task_queue: Any
) -> None:
    product = product_with_image("Tee", color=RED)
    garment = garment_from_product(staff_client, product)
    alex, sam = presets
    fake.fail_next(10005)  # the provider refuses the first picture
    staff_client.post(
        reverse(PREVIEWS), {"garment": garment.pk, "model_photos": [alex.pk], "apply": "1"}
    )
    staff_client.post(
        reverse(PREVIEWS), {"garment": garment.pk, "model_photos": [sam.pk], "apply": "1"}
    )
    run_queued(task_queue)
    assert TryOn.objects.get(model_photo=alex).status == TryOnStatus.FAILED
    sam_row = TryOn.objects.get(model_photo=sam)
    assert sam_row.status == TryOnStatus.SUCCEEDED, sam_row.error_message
    # The provider got the product's own picture as the garment.
    sent = images.open_rgb(fake.calls()[-1].files["garmentImg"].content)
    assert images.count_color(sent, RED, 40) > 0.05 * sent.width * sent.height

    html = staff_client.post(
        reverse(PREVIEWS),
        {"garment": garment.pk, "model_photos": [alex.pk, sam.pk], "refresh": "1"},
    ).content.decode()  # "retry failed" unticked
    assert "0 previews will be queued." in html
    assert "Alex: failed before" in html and "Sam: already done" in html
    assert "Failed: 1" in product_page(staff_client, product)

    response = staff_client.post(reverse(RETRY), {"garment": garment.pk})
    assert response.status_code == 302
    assert TryOn.objects.get(model_photo=alex).status == TryOnStatus.PENDING
    run_queued(task_queue)
    assert TryOn.objects.get(model_photo=alex).status == TryOnStatus.SUCCEEDED


def test_an_unusable_picture_is_named_as_the_reason(
    staff_client: Any, presets: list[Any], task_queue: Any
) -> None:
    product = product_with_image("Tee", color=RED)
    garment = garment_from_product(staff_client, product)
    garment.image.save("broken.jpg", ContentFile(b"not an image at all"), save=True)

    html = staff_client.get(reverse(PREVIEWS), {"garment": garment.pk}).content.decode()
    assert "0 previews will be queued." in html
    assert "Alex: image unusable" in html

    response = staff_client.post(
        reverse(PREVIEWS),
        {"garment": garment.pk, "model_photos": [presets[0].pk], "apply": "1"},
        follow=True,
    )
    assert "with unusable images" in response.content.decode()
    assert not TryOn.objects.exists()


def test_without_presets_or_garments_the_page_says_so(staff_client: Any, db: Any) -> None:
    html = staff_client.post(reverse(PREVIEWS), {}).content.decode()
    assert "No garment was selected." in html

    product = product_with_image("Tee", color=RED)
    garment = garment_from_product(staff_client, product)
    html = staff_client.get(reverse(PREVIEWS), {"garment": garment.pk}).content.decode()
    assert "There are no active preset models" in html
