"""Every admin page of ours keeps its looks under a strict Content-Security-Policy: no
inline style (attribute or element), the styles in ``tryon/admin.css``, linked.

This module is also the URLconf of its tests: the default admin site, plus one whose
product admin uses ``TryOnProductAdminMixin`` (the garments inline on a product page).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import include, path, reverse

from tests import images
from tests.conftest import make_garment, make_model_photo
from tests.shop.models import Product
from tryon.admin import TryOnProductAdminMixin
from tryon.models import TryOn, TryOnStatus

products_site = admin.AdminSite(name="styles_admin")


@admin.register(Product, site=products_site)
class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
    pass


urlpatterns = [
    path("admin/", admin.site.urls),
    path("products-admin/", products_site.urls),
    path("tryon/", include("tryon.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_urls")]

ADMIN_CSS = "/static/tryon/admin.css"


@pytest.fixture
def _urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


class Styles(HTMLParser):
    """The inline styles of a page, and the stylesheets it links."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.sheets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "style":
            self.inline.append("<style> element")
        if "style" in values:
            self.inline.append(f"<{tag} style={values['style']!r}>")
        if tag == "link" and values.get("rel") == "stylesheet":
            self.sheets.append(values.get("href") or "")


def styles_of(response: Any) -> Styles:
    assert response.status_code == 200, response.content[:500]
    parser = Styles()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def catalogue(db: Any) -> dict[str, Any]:
    product = Product.objects.create(name="Red tee")
    garment = make_garment(product=product)
    jeans = make_garment("lower_body", "Jeans")
    model = make_model_photo("Alex")
    preview = TryOn(garment=garment, model_photo=model, status=TryOnStatus.SUCCEEDED)
    preview.result_image.save("r.jpg", ContentFile(images.person_photo(300, 450)), save=False)
    preview.save()
    failed = TryOn.objects.create(
        garment=jeans, model_photo=model, status=TryOnStatus.FAILED, error_code=10005
    )
    return {
        "product": product,
        "garment": garment,
        "model": model,
        "preview": preview,
        "failed": failed,
    }


def pages(catalogue: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """Each page: its URL, and the action to post to it (None: a GET)."""
    garment, model, product = catalogue["garment"], catalogue["model"], catalogue["product"]
    return {
        "garments": (reverse("admin:tryon_garment_changelist"), None),
        "garment": (reverse("admin:tryon_garment_change", args=[garment.pk]), None),
        "models": (reverse("admin:tryon_modelphoto_changelist"), None),
        "model": (reverse("admin:tryon_modelphoto_change", args=[model.pk]), None),
        "tryons": (reverse("admin:tryon_tryon_changelist"), None),
        "tryon": (reverse("admin:tryon_tryon_change", args=[catalogue["preview"].pk]), None),
        "failed tryon": (reverse("admin:tryon_tryon_change", args=[catalogue["failed"].pk]), None),
        "dashboard": (reverse("admin:tryon_analyticsdashboard_changelist"), None),
        "product with garments": (
            reverse("styles_admin:shop_product_change", args=[product.pk]),
            None,
        ),
        "generate previews": (
            reverse("styles_admin:shop_product_changelist"),
            {"action": "generate_tryon_previews", ACTION_CHECKBOX_NAME: [str(product.pk)]},
        ),
        "restyle": (
            reverse("admin:tryon_modelphoto_changelist"),
            {"action": "restyle_by_prompt", ACTION_CHECKBOX_NAME: [str(model.pk)]},
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "garments",
        "garment",
        "models",
        "model",
        "tryons",
        "tryon",
        "failed tryon",
        "dashboard",
        "product with garments",
        "generate previews",
        "restyle",
    ],
)
def test_no_inline_style_and_the_stylesheet_linked(admin_client, catalogue, name):
    url, action = pages(catalogue)[name]
    response = admin_client.post(url, action) if action else admin_client.get(url)
    styles = styles_of(response)
    assert styles.inline == []
    assert any(sheet.startswith(ADMIN_CSS) for sheet in styles.sheets), styles.sheets


def test_thumbnails_are_sized_by_attributes_and_contained_by_the_stylesheet(
    admin_client, catalogue
):
    html = admin_client.get(reverse("admin:tryon_garment_changelist")).content.decode()
    assert 'class="tryon-thumb" width="64" height="64"' in html
    product_page = reverse("styles_admin:shop_product_change", args=[catalogue["product"].pk])
    inline = admin_client.get(product_page).content.decode()
    assert 'class="tryon-thumb" width="40" height="40"' in inline  # the inline's pictures
    assert 'class="tryon-input--name' in inline  # narrow inputs: the row fits 1366 px
    from django.contrib.staticfiles import finders

    sheet = finders.find("tryon/admin.css")
    assert sheet is not None
    css = open(sheet, encoding="utf-8").read()
    for selector in (".tryon-thumb", ".tryon-input--name", ".tryon-picture-input", ".tryon-plan"):
        assert selector in css


def test_no_template_of_ours_has_an_inline_style() -> None:
    import tryon

    root = Path(tryon.__file__).parent
    templates = [*root.glob("templates/**/*.html"), *root.glob("contrib/*/templates/**/*.html")]
    assert len(templates) > 20
    offenders = [
        str(path.relative_to(root))
        for path in templates
        if re.search(r"<style|\sstyle=", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
