"""Linking garments to products: the admin's product search, TRYON["PRODUCT_MODELS"]
(the form, ``Garment.clean()`` and check E014) and the garments inline on a product admin
that something else registered.

This module is also the URLconf of its tests: an admin site with the garment admin, the
shop's products and Django's users (a model that must never be offered as a product).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import path, reverse

from tests import images
from tests.conftest import make_garment
from tests.shop.models import Product
from tryon.admin import (
    GarmentAdmin,
    GarmentInline,
    TryOnProductAdminMixin,
    add_garment_inline,
    generate_tryon_previews,
    retry_failed_tryon_previews,
)
from tryon.checks import check_settings
from tryon.models import Garment

site = admin.AdminSite(name="picker_admin")
site.register(Garment, GarmentAdmin)
site.register(User, UserAdmin)


@admin.register(Product, site=site)
class ProductAdmin(admin.ModelAdmin):
    search_fields = ["name"]


urlpatterns = [path("picker-admin/", site.urls)]

SEARCH = "picker_admin:tryon_garment_product_search"
ADD = "picker_admin:tryon_garment_add"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_picker_urls")]


@pytest.fixture
def _picker_urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def only(*labels: str) -> Any:
    return override_settings(TRYON={"API_KEY": "k", "PRODUCT_MODELS": list(labels)})


def search(client: Any, term: str = "", **params: Any) -> Any:
    return client.get(reverse(SEARCH), {"term": term, **params})


def texts(answer: dict[str, Any]) -> list[str]:
    found = []
    for item in answer["results"]:
        found += [child["text"] for child in item.get("children", [item])]
    return found


def staff_with(*codenames: str) -> User:
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def picture() -> ContentFile[bytes]:
    return ContentFile(images.garment_photo(), name="shirt.png")


# -- the search view --------------------------------------------------------------------


def test_search_answers_json_for_select2(admin_client):
    Product.objects.create(name="Red shirt")
    Product.objects.create(name="Blue jeans")
    response = search(admin_client, "shirt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    shirt = Product.objects.get(name="Red shirt")
    assert response.json() == {
        "results": [{"id": f"shop.product:{shirt.pk}", "text": "Red shirt"}],
        "pagination": {"more": False},
    }
    assert sorted(texts(search(admin_client).json())) == ["Blue jeans", "Red shirt"]


def test_search_pages_through_many_products(admin_client):
    Product.objects.bulk_create(Product(name=f"Shirt {i:02d}") for i in range(25))
    first = search(admin_client, "shirt").json()
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    second = search(admin_client, "shirt", page=2).json()
    assert len(second["results"]) == 5 and second["pagination"]["more"] is False
    assert not set(texts(first)) & set(texts(second))


def test_search_offers_only_the_product_models(admin_client, admin_user):
    Product.objects.create(name="admin apron")
    # Default (no PRODUCT_MODELS): any model but Django's and tryon's own: no users.
    assert texts(search(admin_client, "admin").json()) == ["admin apron"]
    with only("shop.Product"):
        assert texts(search(admin_client, "admin").json()) == ["admin apron"]
    with only("auth.User"):  # a shop that really sells users would say so
        answer = search(admin_client, "admin").json()
        assert texts(answer) == ["admin"]
        assert answer["results"][0]["id"] == f"auth.user:{admin_user.pk}"
    with only("shop.Product", "auth.User"):  # several models: one group each
        groups = search(admin_client, "admin").json()["results"]
        assert [group["text"] for group in groups] == ["users", "products"]


def test_search_is_for_staff_who_may_edit_garments(client):
    Product.objects.create(name="Red shirt")
    assert search(client, "shirt").status_code == 302  # anonymous: to the login page
    User.objects.create_user("shopper", password="pw")
    client.login(username="shopper", password="pw")
    assert search(client, "shirt").status_code == 302  # not staff
    client.logout()

    clerk = staff_with("view_garment")
    client.force_login(clerk)
    assert search(client, "shirt").status_code == 403  # may not add or change garments

    clerk.user_permissions.add(Permission.objects.get(codename="change_garment"))
    clerk = User.objects.get(pk=clerk.pk)  # fresh permission cache
    client.force_login(clerk)
    assert texts(search(client, "shirt").json()) == []  # may not see products

    clerk.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(User.objects.get(pk=clerk.pk))
    assert texts(search(client, "shirt").json()) == ["Red shirt"]


def test_without_search_fields_a_product_is_found_by_id(admin_client, monkeypatch):
    shirt = Product.objects.create(name="Red shirt")
    monkeypatch.setattr(ProductAdmin, "search_fields", [])
    assert texts(search(admin_client, "shirt").json()) == []
    assert texts(search(admin_client, str(shirt.pk)).json()) == ["Red shirt"]


# -- the garment form -------------------------------------------------------------------


def test_add_page_has_the_search_box_and_a_select_that_works_without_javascript(admin_client):
    shirt = Product.objects.create(name="Red shirt")
    html = admin_client.get(reverse(ADD)).content.decode()
    assert 'name="shop_product"' in html
    assert "admin-autocomplete" in html
    assert f'data-ajax--url="{reverse(SEARCH)}"' in html
    assert "admin/js/autocomplete.js" in html  # Django's own script: no build step
    assert f'<option value="shop.product:{shirt.pk}">Red shirt</option>' in html
    assert "content_type" not in html and 'name="object_id"' not in html


def test_picking_a_product_links_the_garment(admin_client):
    shirt = Product.objects.create(name="Red shirt")
    response = admin_client.post(
        reverse(ADD),
        {
            "name": "Shirt",
            "image": picture(),
            "category": "upper_body",
            "is_active": "on",
            "shop_product": f"shop.product:{shirt.pk}",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    garment = Garment.objects.get()
    assert garment.product == shirt
    change = admin_client.get(reverse("picker_admin:tryon_garment_change", args=[garment.pk]))
    assert f'<option value="shop.product:{shirt.pk}" selected>Red shirt</option>' in (
        change.content.decode()
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("auth.user:1", "A garment can link only to: shop.Product"),
        ("shop.product:999", "That product no longer exists."),
        ("rubbish", "Choose a product from the list."),
    ],
)
def test_the_form_refuses_what_is_not_a_product(admin_client, admin_user, value, message):
    with only("shop.Product"):
        response = admin_client.post(
            reverse(ADD),
            {"name": "Shirt", "image": picture(), "category": "upper_body", "shop_product": value},
        )
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["shop_product"]
    assert error.startswith(message)
    assert not Garment.objects.exists()


def test_model_clean_refuses_a_link_outside_product_models(admin_user):
    shirt = Product.objects.create(name="Red shirt")
    garment = make_garment(product=shirt)
    garment.full_clean()  # default: any shop model

    with only("auth.User"):
        with pytest.raises(ValidationError, match=r"cannot link to a shop\.Product"):
            garment.full_clean()

    garment.content_type = ContentType.objects.get_for_model(User)
    garment.object_id = str(admin_user.pk)
    with pytest.raises(ValidationError, match=r"cannot link to a auth\.User"):
        garment.full_clean()  # Django's own tables are never products by default
    with only("auth.User"):
        garment.full_clean()

    garment.content_type = ContentType.objects.get_for_model(Product)
    garment.object_id = "999"
    with pytest.raises(ValidationError, match="There is no product with id 999"):
        garment.full_clean()
    garment.content_type, garment.object_id = None, "5"
    with pytest.raises(ValidationError, match="needs a product type"):
        garment.full_clean()


# -- the system check -------------------------------------------------------------------


def check_messages(labels: Any) -> list[Any]:
    with override_settings(TRYON={"API_KEY": "k", "PRODUCT_MODELS": labels}):
        return [m for m in check_settings() if m.id == "tryon.E014"]


def test_check_names_a_label_that_is_no_model():
    assert check_messages(["shop.Product"]) == []
    assert check_messages([]) == []
    [message] = check_messages(["shop.Product", "shop.Prodcut"])
    assert "'shop.Prodcut'" in message.msg
    assert "Did you mean 'shop.Product'?" in message.hint
    [message] = check_messages(["catalogue.Product"])  # Oscar's, not installed here
    assert "not an installed model" in message.msg
    [message] = check_messages("shop.Product")
    assert "must be a list" in message.msg


# -- the inline on a product admin registered by someone else ---------------------------


class FrameworkInline(admin.TabularInline):
    model = Garment  # any inline: what matters is that the framework's stay


def framework_action(modeladmin: Any, request: Any, queryset: Any) -> None:
    """Stands in for the framework's own actions."""


def framework_site() -> admin.AdminSite:
    framework = admin.AdminSite(name="framework_admin")

    class FrameworkProductAdmin(admin.ModelAdmin):
        inlines: list[Any] = []
        actions = [framework_action]

    framework.register(Product, FrameworkProductAdmin)
    return framework


def test_registering_again_fails_and_add_garment_inline_patches_instead():
    framework = framework_site()
    with pytest.raises(admin.sites.AlreadyRegistered):
        framework.register(Product, admin.ModelAdmin)  # what the README's snippet did

    model_admin = add_garment_inline(Product, site=framework)
    assert model_admin is framework.get_model_admin(Product)
    assert model_admin.inlines == [GarmentInline]
    assert model_admin.actions == [
        framework_action,
        generate_tryon_previews,
        retry_failed_tryon_previews,
    ]
    add_garment_inline(Product, site=framework)  # twice: nothing doubled
    assert model_admin.inlines == [GarmentInline]
    assert len(model_admin.actions) == 3
    assert not framework.check(None)  # the patched admin still passes Django's checks


def test_add_garment_inline_serves_the_product_page(admin_client):
    shirt = Product.objects.create(name="Red shirt")
    make_garment(name="Shirt front", product=shirt)
    add_garment_inline(Product, site=site)
    try:
        page = admin_client.get(reverse("picker_admin:shop_product_change", args=[shirt.pk]))
        assert page.status_code == 200
        assert "Shirt front" in page.content.decode()
        changelist = admin_client.get(reverse("picker_admin:shop_product_changelist"))
        assert "generate_tryon_previews" in changelist.content.decode()
    finally:
        site.get_model_admin(Product).inlines = []
        site.get_model_admin(Product).actions = []


def test_add_garment_inline_on_an_unregistered_model_says_what_to_do():
    with pytest.raises(NotRegistered, match="TryOnProductAdminMixin"):
        add_garment_inline(Product, site=admin.AdminSite(name="empty"))


def test_mixin_adds_the_inline_and_actions_and_respects_no_actions():
    class ShopProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
        inlines = [FrameworkInline]

    other = admin.AdminSite(name="other")
    model_admin = ShopProductAdmin(Product, other)
    assert model_admin.inlines == [FrameworkInline, GarmentInline]
    assert generate_tryon_previews in model_admin.actions
    assert ShopProductAdmin.inlines == [FrameworkInline]  # the class is left alone

    class NoActions(TryOnProductAdminMixin, admin.ModelAdmin):
        actions = None

    assert NoActions(Product, other).actions is None
