"""{% tryon_widget %} and {% tryon_previews %}: what they render, and when nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation

from tests import images
from tests.conftest import (
    make_garment,
    make_model_photo,
    run_queued,
    tryon_settings_for,
)
from tests.shop.models import Product
from tryon.models import TryOn, TryOnSource, TryOnStatus
from tryon.templatetags.tryon import widget_strings

pytestmark = pytest.mark.django_db

STATIC_ROOT = Path(__file__).resolve().parent.parent / "tryon" / "static" / "tryon"


def render(source: str, request: Any = None, **context: Any) -> str:
    if request is None:
        request = RequestFactory().get("/products/1/")
        request.user = AnonymousUser()
        request.session = {}
    return Template("{% load tryon %}" + source).render(Context({"request": request, **context}))


def linked_product(name: str = "Red tee", *, active: bool = True) -> Product:
    product = Product.objects.create(name=name)
    make_garment(
        name=name,
        is_active=active,
        content_type=ContentType.objects.get_for_model(Product),
        object_id=str(product.pk),
    )
    return product


def test_widget_for_a_product_renders_button_dialog_and_assets(preset):
    product = linked_product()
    html = render("{% tryon_widget product %}", product=product)
    assert html.count('<link rel="stylesheet" href="/static/tryon/widget.css">') == 1
    assert html.count('<script src="/static/tryon/widget.js" defer></script>') == 1
    assert 'id="tryon-strings"' in html
    assert 'data-create-url="/tryon/api/tryons/"' in html
    assert re.search(r'data-csrf-token="[A-Za-z0-9]{32,}"', html)
    assert 'data-csrf-header="X-Csrftoken"' in html
    assert 'aria-haspopup="dialog"' in html and "<dialog" in html
    assert f'value="{preset.pk}" checked' in html  # the first preset is chosen
    # Upload and camera capture, consent unticked by default, a privacy text.
    assert 'capture="user"' in html and 'type="file"' in html
    consent = re.search(r'<input type="checkbox"[^>]*data-tryon-consent[^>]*>', html)
    assert consent and "checked" not in consent.group(0)
    assert "deleted after 24 hours" in html
    # Every label points at an input that exists.
    for target in re.findall(r'<label[^>]* for="([^"]+)"', html):
        assert f'id="{target}"' in html


def test_assets_and_strings_are_included_once_for_several_widgets(preset):
    first, second = linked_product("Red tee"), linked_product("Blue tee")
    html = render(
        "{% tryon_widget a %}{% tryon_widget b %}{% tryon_previews a %}", a=first, b=second
    )
    assert html.count("widget.js") == 1 and html.count("widget.css") == 1
    assert html.count('id="tryon-strings"') == 1
    ids = re.findall(r'class="tryon-widget" id="([^"]+)"', html)
    assert len(ids) == 2 and len(set(ids)) == 2


def test_nothing_for_a_product_without_an_active_garment():
    assert (
        render(
            "{% tryon_widget p %}{% tryon_previews p %}", p=Product.objects.create(name="Socks")
        ).strip()
        == ""
    )
    inactive = linked_product("Old tee", active=False)
    assert render("{% tryon_widget p %}{% tryon_previews p %}", p=inactive).strip() == ""
    assert render("{% tryon_widget p %}", p=None).strip() == ""
    assert render("{% tryon_widget p %}", p="").strip() == ""


def test_garment_itself_and_the_garment_helper_tag(garment):
    assert "data-tryon-widget" in render("{% tryon_widget g %}", g=garment)
    assert (
        render("{% tryon_garment p as g %}{{ g.name }}", p=linked_product("Green dress")).strip()
        == "Green dress"
    )


def test_without_presets_the_own_photo_is_chosen(garment):
    html = render("{% tryon_widget g %}", g=garment)
    assert re.search(r'value="upload" data-tryon-own checked', html)
    assert "data-tryon-upload>" in html  # not hidden


def test_strings_are_translatable_json_and_the_js_has_no_english(garment):
    html = render("{% tryon_widget g %}", g=garment)
    payload = re.search(
        r'<script id="tryon-strings" type="application/json">(.*?)</script>', html, re.S
    )
    assert payload is not None
    assert json.loads(payload.group(1)) == {
        key: str(value) for key, value in widget_strings().items()
    }
    script = (STATIC_ROOT / "widget.js").read_text()
    for text in widget_strings().values():
        assert str(text) not in script
    with translation.override("pt"):  # a language tryon ships no catalogue for: English
        assert "Try it on" in render("{% tryon_widget g %}", g=garment)


def test_retention_text_follows_the_setting(garment):
    with override_settings(TRYON={"SHOPPER_PHOTO_TTL": 2 * 3600}):
        assert "deleted after 2 hours" in render("{% tryon_widget g %}", g=garment)
    with override_settings(TRYON={"SHOPPER_PHOTO_TTL": 1800}):
        assert "deleted after 30 minutes" in render("{% tryon_widget g %}", g=garment)


def test_sign_in_link_when_anonymous_shoppers_are_off(garment, django_user_model):
    with override_settings(TRYON={"ALLOW_ANONYMOUS": False}, LOGIN_URL="/accounts/login/"):
        html = render("{% tryon_widget g %}", g=garment)
        assert "<dialog" not in html
        assert 'href="/accounts/login/?next=%2Fproducts%2F1%2F"' in html
        request = RequestFactory().get("/")
        request.user = django_user_model.objects.create_user("erin", password="x")
        assert "<dialog" in render("{% tryon_widget g %}", request=request, g=garment)


@pytest.mark.django_db(transaction=True)
def test_widget_says_unavailable_today_when_the_daily_cap_is_reached(
    fake, garment, preset, task_queue
):
    from tryon import services

    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=1)):
        assert "<dialog" in render("{% tryon_widget g %}", g=garment)
        services.request_tryon(garment=garment, model_photo=preset)
        run_queued(task_queue)
        html = render("{% tryon_widget g %}", g=garment)
    assert "<dialog" not in html
    assert "Try-on is unavailable today." in html
    assert re.search(r'<button type="button" class="tryon-open" disabled', html)


def add_result(garment: Any, photo: Any, **kwargs: Any) -> TryOn:
    tryon = TryOn(
        garment=garment,
        model_photo=photo,
        status=TryOnStatus.SUCCEEDED,
        finished_at=timezone.now(),
        **kwargs,
    )
    tryon.result_image.save("r.webp", ContentFile(images.webp_bytes()), save=False)
    tryon.save()
    return tryon


def test_previews_show_each_preset_model_and_never_uploads(garment):
    alex, blair = make_model_photo("Alex"), make_model_photo("Blair")
    add_result(garment, alex, source=TryOnSource.PREVIEW, is_preview=True)
    add_result(garment, blair, source=TryOnSource.PREVIEW)
    upload = make_model_photo(
        "Shopper", is_preset=False, session_key="s", expires_at=timezone.now() + timedelta(hours=1)
    )
    private = add_result(garment, upload, source=TryOnSource.SHOPPER, session_key="s")
    html = render("{% tryon_previews g %}", g=garment)
    assert html.count("<figure") == 2
    assert 'alt="Red tee on Alex"' in html and 'alt="Red tee on Blair"' in html
    assert html.count("Offline preview") == 1
    assert private.result_image.url not in html
    assert "Shopper" not in html
    assert "widget.css" in html


def test_previews_render_nothing_without_results(garment, preset):
    assert render("{% tryon_previews g %}", g=garment).strip() == ""


def test_static_files_are_small_and_self_contained():
    script = (STATIC_ROOT / "widget.js").read_text()
    css = (STATIC_ROOT / "widget.css").read_text()
    # A budget, raised deliberately as the widget grew (server-paced polling, outfits,
    # share, the photo check): unminified, it stays a small fraction of a product page.
    assert len(script) < 40_000 and len(css) < 16_000
    assert "http://" not in script and "https://" not in script  # no third-party script
    assert "import " not in script and "require(" not in script  # no build step
    assert "@import" not in css
