"""The widget tag's options (``cart``, ``pair``), the shopper's own photos in its picker, the
previews' heading and labels, and the static parts the assets name."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, override_settings
from django.utils import timezone

from tests.conftest import make_garment, make_model_photo
from tests.shop.models import Product
from tests.test_templatetags import add_result, linked_product, render
from tryon.models import Garment, ModelPhoto, TryOnSource
from tryon.templatetags.tryon import widget_strings

pytestmark = pytest.mark.django_db

TRYON_TEMPLATES = Path(__file__).resolve().parent.parent / "tryon" / "templates" / "tryon"
STATIC = Path(__file__).resolve().parent.parent / "tryon" / "static" / "tryon"
PARTS = ["widget-wait.js", "widget-photos.js", "widget-result.js"]


def shopper_request(session_key: str | None = None) -> Any:
    request = RequestFactory().get("/products/1/")
    request.user = AnonymousUser()
    request.session = SessionStore(session_key)
    return request


def new_session() -> SessionStore:
    session = SessionStore()
    session.create()
    return session


def upload_of(session: SessionStore, *, hours: float = 1) -> ModelPhoto:
    return make_model_photo(
        "",
        is_preset=False,
        session_key=session.session_key,
        expires_at=timezone.now() + timedelta(hours=hours),
    )


# -- cart ----------------------------------------------------------------------------------


def test_cart_button_only_when_the_page_asks(garment):
    assert "data-tryon-cart" not in render("{% tryon_widget g %}", g=garment)
    html = render("{% tryon_widget g cart=True %}", g=garment)
    button = '<button type="button" class="tryon-button" data-tryon-cart>Add to cart</button>'
    assert button in html


def test_the_product_is_named_for_the_shops_cart_code(garment):
    product = linked_product("Blue tee")
    assert f'data-product="{product.pk}"' in render("{% tryon_widget p cart=True %}", p=product)
    linked = Garment.objects.for_product(product).get()
    assert f'data-product="{product.pk}"' in render("{% tryon_widget g %}", g=linked)
    assert 'data-product=""' in render("{% tryon_widget g %}", g=garment)  # a bare garment


def test_the_cart_slot_is_empty_by_default_and_a_shop_can_fill_it(garment, tmp_path):
    html = render("{% tryon_widget g %}", g=garment)
    result = html[html.index("data-tryon-result") :]
    actions = re.search(r'<div class="tryon-actions">(.*?)<a class="tryon-button"', result, re.S)
    assert actions is not None and actions.group(1).strip() == ""
    (tmp_path / "tryon").mkdir()
    (tmp_path / "tryon" / "_cart_action.html").write_text(
        '<a href="/cart/{{ product_id }}/" data-tryon-cart>Buy {{ garment.name }}</a>'
    )
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(tmp_path)],
            "APP_DIRS": True,
        }
    ]
    product = linked_product("Green tee")
    with override_settings(TEMPLATES=templates):
        html = render("{% tryon_widget p %}", p=product)
    assert f'<a href="/cart/{product.pk}/" data-tryon-cart>Buy Green tee</a>' in html


# -- pair (complete the look) -----------------------------------------------------------------


def test_a_lower_body_pair_is_offered_with_its_name_and_the_longer_wait(garment):
    jeans = make_garment("lower_body", name="Jeans")
    html = render("{% tryon_widget g pair=j %}", g=garment, j=jeans)
    checkbox = re.search(r'<input type="checkbox"[^>]*data-tryon-pair[^>]*>', html, re.S)
    assert checkbox and f'value="{jeans.pk}"' in checkbox.group(0)
    assert "checked" not in checkbox.group(0)  # the shopper opts in
    assert 'data-result-alt="Red tee with Jeans, tried on"' in checkbox.group(0)
    assert "Complete the look with Jeans" in html
    assert "about twice as long" in html


def test_a_pair_may_be_a_product_linked_to_a_garment(garment):
    product = Product.objects.create(name="Shorts")
    make_garment(
        "lower_body",
        name="Shorts",
        content_type=ContentType.objects.get_for_model(Product),
        object_id=str(product.pk),
    )
    assert "Complete the look with Shorts" in render(
        "{% tryon_widget g pair=p %}", g=garment, p=product
    )


@pytest.mark.parametrize(
    "other",
    ["dresses", "upper_body", "same", "inactive", "none", "unlinked product"],
)
def test_a_pair_that_does_not_combine_is_left_out(garment, other, caplog):
    pair: Any = {
        "dresses": lambda: make_garment("dresses", name="Dress"),
        "upper_body": lambda: make_garment("upper_body", name="Shirt"),
        "same": lambda: garment,
        "inactive": lambda: make_garment("lower_body", name="Old jeans", is_active=False),
        "none": lambda: None,
        "unlinked product": lambda: Product.objects.create(name="Socks"),
    }[other]()
    with caplog.at_level(logging.WARNING, logger="tryon.templatetags"):
        html = render("{% tryon_widget g pair=p %}", g=garment, p=pair)
    assert "data-tryon-dialog" in html and "data-tryon-pair" not in html
    if other in ("dresses", "upper_body"):
        assert "do not combine" in caplog.text  # the shop's developer is told why


# -- the shopper's own photos -------------------------------------------------------------------


def test_the_shoppers_own_photo_is_offered_first_with_a_remove_button(garment, preset):
    session = new_session()
    older, newer = upload_of(session), upload_of(session)
    html = render("{% tryon_widget g %}", request=shopper_request(session.session_key), g=garment)
    own = re.findall(r'<input type="radio" name="model" value="([^"]+)"( checked)?>', html)
    assert own == [(str(preset.pk), ""), (str(newer.pk), " checked"), (str(older.pk), "")]
    assert html.count("data-tryon-remove") == 2 + 1  # and the template for a new one
    assert "/tryon/files/" in html  # the owner's private link, never a public media URL
    assert 'data-photos-url="/tryon/api/model-photos/"' in html


def test_no_own_photo_for_others_expired_or_before_a_session(garment, preset):
    session, other = new_session(), new_session()
    upload_of(other)
    upload_of(session, hours=-1)  # expired
    for request in (shopper_request(session.session_key), shopper_request(None)):
        html = render("{% tryon_widget g %}", request=request, g=garment)
        assert f'value="{preset.pk}" checked' in html
        assert "data-tryon-own-photo>" in html  # only inside the template for a new one
        assert html.count("data-tryon-own-photo") == 1
    assert shopper_request(None).session.session_key is None  # rendering made no session


def test_a_signed_in_shoppers_photos_follow_the_user(garment, django_user_model):
    user = django_user_model.objects.create_user("erin", password="x")
    photo = make_model_photo(
        "", is_preset=False, owner=user, expires_at=timezone.now() + timedelta(hours=1)
    )
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    html = render("{% tryon_widget g %}", request=request, g=garment)
    assert f'value="{photo.pk}" checked' in html


# -- the markup the scripts rely on --------------------------------------------------------------


def test_messages_are_focusable_alerts_and_results_are_labelled(garment):
    html = render("{% tryon_widget g %}", g=garment)
    assert '<p class="tryon-error" role="alert" tabindex="-1" data-tryon-error hidden>' in html
    warnings = re.search(r'<div class="tryon-warnings"[^>]*>', html)
    assert warnings and 'role="alert"' in warnings.group(0) and 'tabindex="-1"' in warnings.group(0)
    for text in ("Use this photo anyway", "Choose another photo", "AI-generated", "Share"):
        assert text in html
    assert re.search(r"data-tryon-ai-label hidden>AI-generated<", html)
    assert "Stop sharing" in html and "Copy link" in html


def test_assets_name_the_parts_before_widget_js(garment):
    html = render("{% tryon_widget g %}", g=garment)
    scripts = re.findall(r'<script src="/static/tryon/([^"]+)" defer></script>', html)
    assert scripts == [*PARTS, "widget.js"]
    assert '<link rel="stylesheet" href="/static/tryon/widget-extra.css">' in html
    core = (STATIC / "widget.js").read_text()
    for part in [*PARTS, "widget-extra.css"]:
        assert f'"{part}"' in core  # loaded by widget.js when a page names only it


def test_every_script_is_small_english_free_and_inline_free():
    strings = [str(text) for text in widget_strings().values()]
    for name in ["widget.js", *PARTS]:
        script = (STATIC / name).read_text()
        assert len(script) < 16_000, name
        assert "http://" not in script and "https://" not in script
        assert "innerHTML" not in script  # text only: nothing from an answer becomes markup
        assert not any(text in script for text in strings), name
        assert "window.tryonWidgetParts" in script
    for template in TRYON_TEMPLATES.glob("*.html"):
        source = template.read_text()
        assert " style=" not in source and "<style" not in source, template.name
        assert "<script>" not in source and " on" + "click=" not in source, template.name


# -- previews ----------------------------------------------------------------------------------


def test_previews_carry_a_visible_label_and_a_heading_only_with_previews(garment):
    assert render('{% tryon_previews g heading="On our models" %}', g=garment).strip() == ""
    alex, blair = make_model_photo("Alex"), make_model_photo("Blair")
    add_result(garment, alex, source=TryOnSource.PREVIEW, is_preview=True)
    add_result(garment, blair, source=TryOnSource.PREVIEW)
    html = render('{% tryon_previews g heading="On our models" %}', g=garment)
    assert '<h2 class="tryon-previews__heading">On our models</h2>' in html
    assert html.count("Preview: a composite, not AI") == 1
    assert html.count(">AI-generated<") == 1
    assert "tryon-previews__heading" not in render("{% tryon_previews g %}", g=garment)
