"""The try-on garments in Oscar's dashboard: menu, list, create and edit from a product."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("oscar")

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import images
from tests.oscar.shop import GREEN, RED, dominant_color, is_color, product_with_image
from tryon.contrib.oscar.models import PictureFromProduct
from tryon.contrib.oscar.products import product_of
from tryon.models import Garment

pytestmark = [pytest.mark.oscar, pytest.mark.django_db(transaction=True)]

LIST = "tryon_dashboard:tryon-garment-list"
CREATE = "tryon_dashboard:tryon-garment-create"
UPDATE = "tryon_dashboard:tryon-garment-update"
DELETE = "tryon_dashboard:tryon-garment-delete"


@pytest.fixture
def staff_client(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def staff_without_garment_permissions(client: Any) -> Any:
    user = get_user_model().objects.create_user("clerk", "clerk@example.com", "pw", is_staff=True)
    client.force_login(user)
    return user


def form_data(product: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "product": str(product.pk),
        "name": "Red tee",
        "category": "upper_body",
        "description": "red cotton t-shirt",
        "is_active": "on",
        "picture_from_product": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# -- menu and access ---------------------------------------------------------------------


def test_the_dashboard_menu_has_the_garments_entry(staff_client: Any) -> None:
    html = staff_client.get(reverse("dashboard:index")).content.decode()
    assert "Try-on" in html
    assert f'href="{reverse(LIST)}"' in html


def test_staff_without_the_garment_permissions_get_no_menu_and_no_pages(client: Any) -> None:
    staff_without_garment_permissions(client)
    html = client.get(reverse("dashboard:index")).content.decode()
    assert reverse(LIST) not in html
    assert client.get(reverse(LIST)).status_code == 403


def test_a_staff_member_with_the_view_permission_sees_the_list(client: Any) -> None:
    user = staff_without_garment_permissions(client)
    user.user_permissions.add(Permission.objects.get(codename="view_garment"))
    assert client.get(reverse(LIST)).status_code == 200
    assert client.get(reverse(CREATE)).status_code == 403  # no add_garment


def test_anonymous_visitors_are_sent_to_the_dashboard_login(client: Any) -> None:
    response = client.get(reverse(LIST))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:login"))


# -- create and edit -----------------------------------------------------------------------


def test_creating_a_garment_from_a_product_takes_its_title_and_primary_image(
    staff_client: Any,
) -> None:
    product = product_with_image("Red tee", color=RED)
    page = staff_client.get(reverse(CREATE), {"product": product.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="Red tee"' in html  # the name starts as the product's title

    response = staff_client.post(reverse(CREATE), form_data(product))
    assert response.status_code == 302, response.content.decode()[:2000]

    garment = Garment.objects.get()
    assert product_of(garment) == product
    assert is_color(dominant_color(garment.image), RED)
    assert PictureFromProduct.objects.filter(garment=garment).exists()


def test_a_garment_can_have_a_picture_of_its_own(staff_client: Any) -> None:
    product = product_with_image(color=RED)
    upload = SimpleUploadedFile(
        "flat.jpg", images.garment_photo(color=GREEN), content_type="image/jpeg"
    )
    response = staff_client.post(
        reverse(CREATE), form_data(product, picture_from_product=None, image=upload)
    )
    assert response.status_code == 302

    garment = Garment.objects.get()
    assert is_color(dominant_color(garment.image), GREEN)
    assert not PictureFromProduct.objects.filter(garment=garment).exists()


def test_a_product_without_image_needs_an_upload(staff_client: Any) -> None:
    product = product_with_image(color=RED)
    product.images.all().delete()

    page = staff_client.post(reverse(CREATE), form_data(product))
    assert page.status_code == 200
    assert "This product has no image yet" in page.content.decode()

    page = staff_client.post(reverse(CREATE), form_data(product, picture_from_product=None))
    assert "Upload a picture of the garment" in page.content.decode()
    assert not Garment.objects.exists()


def test_an_upload_while_following_the_product_is_refused_not_ignored(staff_client: Any) -> None:
    product = product_with_image(color=RED)
    upload = SimpleUploadedFile("flat.jpg", images.garment_photo(), content_type="image/jpeg")
    page = staff_client.post(reverse(CREATE), form_data(product, image=upload))
    assert page.status_code == 200
    assert "to upload a picture of its own" in page.content.decode()


def test_editing_switches_from_the_product_image_to_an_own_picture(staff_client: Any) -> None:
    product = product_with_image(color=RED)
    staff_client.post(reverse(CREATE), form_data(product))
    garment = Garment.objects.get()

    page = staff_client.get(reverse(UPDATE, args=[garment.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    follow_box = re.search(r'<input[^>]*name="picture_from_product"[^>]*>', html)
    assert follow_box is not None and "checked" in follow_box.group(0)
    assert "Previews on the preset models" in html

    upload = SimpleUploadedFile("own.jpg", images.garment_photo(color=GREEN))
    response = staff_client.post(
        reverse(UPDATE, args=[garment.pk]),
        form_data(product, name="Red tee (flat)", picture_from_product=None, image=upload),
    )
    assert response.status_code == 302
    garment.refresh_from_db()
    assert garment.name == "Red tee (flat)"
    assert is_color(dominant_color(garment.image), GREEN)
    assert not PictureFromProduct.objects.filter(garment=garment).exists()


def test_next_sends_back_to_the_products_page_but_never_off_site(staff_client: Any) -> None:
    product = product_with_image(color=RED)
    product_page = reverse("dashboard:catalogue-product", kwargs={"pk": product.pk})
    response = staff_client.post(
        reverse(CREATE) + f"?product={product.pk}", {**form_data(product), "next": product_page}
    )
    assert response["Location"] == product_page

    response = staff_client.post(
        reverse(CREATE), {**form_data(product), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse(LIST)


# -- list and delete -------------------------------------------------------------------------


def test_the_list_shows_garments_with_their_products_and_finds_by_product_title(
    staff_client: Any,
) -> None:
    tee = product_with_image("Red tee", color=RED)
    skirt = product_with_image("Green skirt", color=GREEN)
    staff_client.post(reverse(CREATE), form_data(tee, name="Tee garment"))
    staff_client.post(reverse(CREATE), form_data(skirt, name="Skirt garment"))

    html = staff_client.get(reverse(LIST)).content.decode()
    assert "Tee garment" in html and "Skirt garment" in html
    assert reverse("dashboard:catalogue-product", kwargs={"pk": tee.pk}) in html

    html = staff_client.get(reverse(LIST), {"q": "skirt"}).content.decode()
    assert "Skirt garment" in html and "Tee garment" not in html


def test_deleting_a_garment_keeps_the_product(staff_client: Any) -> None:
    product = product_with_image(color=RED)
    staff_client.post(reverse(CREATE), form_data(product))
    garment = Garment.objects.get()

    assert (
        "and all its previews"
        in staff_client.get(reverse(DELETE, args=[garment.pk])).content.decode()
    )
    response = staff_client.post(reverse(DELETE, args=[garment.pk]))
    assert response.status_code == 302
    assert not Garment.objects.exists()
    product.refresh_from_db()


def test_our_dashboard_pages_link_their_stylesheet_and_use_no_inline_style(
    staff_client: Any,
) -> None:
    tee = product_with_image("Red tee", color=RED)
    staff_client.post(reverse(CREATE), form_data(tee, name="Tee garment"))
    garment = Garment.objects.get(name="Tee garment")
    pages = {
        "list": reverse(LIST),
        "edit": reverse(UPDATE, args=[garment.pk]),
        "product": reverse("dashboard:catalogue-product", kwargs={"pk": tee.pk}),
    }
    for name, url in pages.items():
        html = staff_client.get(url).content.decode()
        assert 'href="/static/tryon/admin.css"' in html, name
        # Our thumbnails: sized by attributes, contained by admin.css (Oscar's own markup
        # is Oscar's to keep CSP-clean).
        thumbnails = re.findall(r"<img[^>]*tryon-thumb[^>]*>", html)
        assert thumbnails, name
        assert not any("style=" in tag for tag in thumbnails), name
