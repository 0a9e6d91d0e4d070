"""What ``<tryon-widget>`` asks the API for: the widget fragment and a CSRF token, and what a
front end on another origin meets: the CSRF origin check, CORS headers, header auth."""

from __future__ import annotations

import re
from importlib.util import find_spec
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.views import APIView

from tests.conftest import make_garment
from tryon.api import fragment
from tryon.templatetags.tryon import widget_strings

pytestmark = pytest.mark.django_db

CREATE_URL = "/tryon/api/tryons/"
CSRF_URL = "/tryon/api/csrf/"
FRONT = "http://front.example"


def widget_url(garment: Any) -> str:
    return f"/tryon/api/garments/{garment.pk}/widget/"


def fetch_widget(client: Any, garment: Any, **extra: Any) -> Any:
    response = client.get(widget_url(garment), **extra)
    assert response.status_code == 200, response.content
    return response


# -- the fragment ------------------------------------------------------------------------


def test_the_fragment_is_the_widget_with_absolute_urls_strings_and_assets(garment, preset):
    response = fetch_widget(Client(), garment)
    data = response.json()
    html = data["html"]
    assert "data-tryon-widget" in html
    assert f'data-garment="{garment.pk}"' in html
    assert 'data-create-url="http://testserver/tryon/api/tryons/"' in html
    assert f'value="{preset.pk}"' in html  # the preset models to choose from
    assert "Try it on" in html
    assert data["strings"] == widget_strings()
    assert data["assets"] == {
        "css": "http://testserver/static/tryon/widget.css",
        "js": "http://testserver/static/tryon/widget.js",
    }
    assert data["garment"] == {"id": garment.pk, "name": garment.name}
    # The element loads the assets itself, once per page: none in the markup.
    assert "tryon-strings" not in html
    assert "widget.js" not in html


def test_the_fragment_is_fit_for_a_strict_content_security_policy(garment, preset):
    html = fetch_widget(Client(), garment).json()["html"]
    assert "<script" not in html
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert "javascript:" not in html


def test_the_fragment_is_never_cached_by_anyone_but_the_browser(garment):
    response = fetch_widget(Client(), garment)
    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Cookie", "Authorization", "Accept-Language"} <= vary


def test_the_fragment_carries_a_csrf_token_that_passes_the_check(garment, preset, task_queue):
    client = Client(enforce_csrf_checks=True)
    html = fetch_widget(client, garment).json()["html"]
    [token] = re.findall(r'data-csrf-token="([^"]+)"', html)
    assert re.search(r'data-csrf-header="X-CSRFToken"', html, re.IGNORECASE)
    assert "csrftoken" in client.cookies  # set beside it, for the browser to send back
    payload = {"garment": garment.pk, "model_photo": str(preset.pk)}
    refused = client.post(CREATE_URL, payload, content_type="application/json")
    assert refused.status_code == 403
    accepted = client.post(
        CREATE_URL, payload, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 202, accepted.content


def test_each_fragment_has_its_own_ids(garment):
    ids = {
        re.search(
            r'class="tryon-widget" id="([^"]+)"', fetch_widget(Client(), garment).json()["html"]
        )[1]
        for _ in range(3)
    }
    assert len(ids) == 3


def test_pair_and_cart_are_the_tags_options(garment):
    jeans = make_garment("lower_body", "Blue jeans")
    html = fetch_widget(Client(), garment, QUERY_STRING=f"pair={jeans.pk}&cart=true").json()["html"]
    assert f'value="{jeans.pk}" data-tryon-pair' in html
    assert "Complete the look with Blue jeans" in html
    assert "data-tryon-cart" in html
    plain = fetch_widget(Client(), garment).json()["html"]
    assert "data-tryon-pair" not in plain and "data-tryon-cart" not in plain
    assert (
        "data-tryon-cart"
        not in fetch_widget(Client(), garment, QUERY_STRING="cart=false").json()["html"]
    )


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("pair=999999", "pair", "does not exist or cannot be tried on"),
        ("pair=1.5", "pair", "Expected a garment id"),
        ("pair=99999999999999999999999", "pair", "Expected a garment id"),
        ("pair=SELF", "pair", "one upper-body and one lower-body garment"),
        ("pair=TEE", "pair", "one upper-body and one lower-body garment"),
        ("pair=DRESS", "pair", "A dress is a whole outfit"),
        ("pair=INACTIVE", "pair", "does not exist or cannot be tried on"),
        ("cart=maybe", "cart", "valid boolean"),
    ],
)
def test_a_pair_or_cart_that_cannot_be_is_a_400_naming_the_field(garment, query, field, says):
    others = {
        "SELF": garment,
        "TEE": make_garment("upper_body", "White tee"),
        "DRESS": make_garment("dresses", "Summer dress"),
        "INACTIVE": make_garment("lower_body", "Old jeans", is_active=False),
    }
    for name, other in others.items():
        query = query.replace(name, str(other.pk))
    response = Client().get(widget_url(garment), QUERY_STRING=query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    [message] = response.json()[field]
    assert says in message


def test_missing_or_inactive_garment_is_404(garment):
    hidden = make_garment(name="Retired", is_active=False)
    assert Client().get(widget_url(hidden)).status_code == 404
    assert Client().get("/tryon/api/garments/999999/widget/").status_code == 404


def test_signed_out_shoppers_get_the_sign_in_link_when_anonymous_is_off(garment, settings):
    settings.TRYON = {**settings.TRYON, "ALLOW_ANONYMOUS": False}
    html = fetch_widget(Client(), garment).json()["html"]
    assert 'href="http://testserver/accounts/login/"' in html  # absolute: another origin's page
    assert "data-tryon-dialog" not in html


# -- the language ------------------------------------------------------------------------


@pytest.fixture
def record_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Markup and strings as rendered, tagged with the language active then."""
    monkeypatch.setattr(fragment, "render_widget", lambda *a, **k: translation.get_language())
    monkeypatch.setattr(fragment, "widget_strings", lambda: {"lang": translation.get_language()})


def test_lang_parameter_picks_the_language(garment, record_language):
    response = fetch_widget(Client(), garment, data={"lang": "de"}, HTTP_ACCEPT_LANGUAGE="fr")
    data = response.json()
    assert data["language"] == "de"
    assert data["html"] == "de"
    assert data["strings"] == {"lang": "de"}
    assert response["Content-Language"] == "de"


def test_without_lang_the_browser_language_is_used(garment, record_language):
    data = fetch_widget(Client(), garment, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").json()
    assert (data["language"], data["html"]) == ("fr", "fr")


def test_a_language_the_shop_does_not_offer_falls_back(garment, record_language, settings):
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    settings.LANGUAGE_CODE = "en"
    data = fetch_widget(Client(), garment, data={"lang": "xx"}, HTTP_ACCEPT_LANGUAGE="de").json()
    assert data["language"] == "de"
    assert fetch_widget(Client(), garment, data={"lang": "fr"}).json()["language"] == "en"


# -- the CSRF token endpoint -------------------------------------------------------------


def test_csrf_endpoint_gives_the_token_and_its_header(garment, preset, task_queue):
    client = Client(enforce_csrf_checks=True)
    response = client.get(CSRF_URL)
    assert response.status_code == 200
    data = response.json()
    assert data["header"].lower() == "x-csrftoken"  # header names are case-insensitive
    assert "csrftoken" in client.cookies
    assert "no-store" in response["Cache-Control"]
    payload = {"garment": garment.pk, "model_photo": str(preset.pk)}
    created = client.post(
        CREATE_URL, payload, content_type="application/json", HTTP_X_CSRFTOKEN=data["csrfToken"]
    )
    assert created.status_code == 202


def test_csrf_endpoint_names_a_custom_header(settings):
    settings.CSRF_HEADER_NAME = "HTTP_X_SHOP_CSRF"
    assert Client().get(CSRF_URL).json()["header"] == "X-Shop-Csrf"


# -- another origin ----------------------------------------------------------------------


def test_a_post_from_an_untrusted_origin_is_refused_even_with_the_token(
    garment, preset, settings, task_queue
):
    client = Client(enforce_csrf_checks=True)
    token = client.get(CSRF_URL).json()["csrfToken"]
    payload = {"garment": garment.pk, "model_photo": str(preset.pk)}
    post = {"content_type": "application/json", "HTTP_X_CSRFTOKEN": token, "HTTP_ORIGIN": FRONT}
    refused = client.post(CREATE_URL, payload, **post)
    assert refused.status_code == 403
    assert "Origin checking failed" in refused.json()["detail"]
    settings.CSRF_TRUSTED_ORIGINS = [FRONT]
    assert client.post(CREATE_URL, payload, **post).status_code == 202


def test_without_cors_headers_no_other_origin_may_read_the_answers(garment):
    # The shop has not set up CORS: the browser refuses the answer to a page of another
    # origin (the element then shows its "not available" note).
    response = fetch_widget(Client(), garment, HTTP_ORIGIN=FRONT)
    assert "Access-Control-Allow-Origin" not in response


@pytest.fixture
def cors(settings: Any) -> None:
    if find_spec("corsheaders") is None:
        pytest.skip("django-cors-headers is not installed (the test extra has it)")
    settings.MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware", *django_settings.MIDDLEWARE]
    settings.CORS_ALLOWED_ORIGINS = [FRONT]
    settings.CORS_ALLOW_CREDENTIALS = True
    settings.CORS_URLS_REGEX = r"^/tryon/api/"


def test_the_documented_cors_setup_lets_the_front_end_in_with_credentials(garment, cors):
    response = fetch_widget(Client(), garment, HTTP_ORIGIN=FRONT)
    assert response["Access-Control-Allow-Origin"] == FRONT
    assert response["Access-Control-Allow-Credentials"] == "true"
    preflight = Client().options(
        CREATE_URL,
        HTTP_ORIGIN=FRONT,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-csrftoken, authorization",
    )
    assert preflight.status_code == 200
    allowed = preflight["Access-Control-Allow-Headers"].lower()
    assert "x-csrftoken" in allowed
    assert "authorization" in allowed


def test_the_documented_cors_setup_keeps_other_origins_out(garment, cors):
    response = fetch_widget(Client(), garment, HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in response


# -- header authentication ---------------------------------------------------------------


class ShopTokenAuthentication(BaseAuthentication):
    """A shop's own token scheme, as DRF's TokenAuthentication or a JWT class would be."""

    user: Any = None

    def authenticate(self, request: Any) -> Any:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header == "Bearer shopper-token" and self.user is not None:
            return (self.user, "shopper-token")
        return None

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"


@pytest.fixture
def token_user(monkeypatch: pytest.MonkeyPatch, django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("headless", password="unused")
    monkeypatch.setattr(ShopTokenAuthentication, "user", user)
    # The API views take DRF's DEFAULT_AUTHENTICATION_CLASSES when their class is made.
    monkeypatch.setattr(
        APIView, "authentication_classes", [SessionAuthentication, ShopTokenAuthentication]
    )
    return user


def test_a_token_from_another_origin_needs_no_csrf(garment, preset, token_user, task_queue):
    client = Client(enforce_csrf_checks=True)
    payload = {"garment": garment.pk, "model_photo": str(preset.pk)}
    created = client.post(
        CREATE_URL,
        payload,
        content_type="application/json",
        HTTP_ORIGIN=FRONT,
        HTTP_AUTHORIZATION="Bearer shopper-token",
    )
    assert created.status_code == 202, created.content
    polled = client.get(created.json()["url"], HTTP_AUTHORIZATION="Bearer shopper-token")
    assert polled.status_code == 200
    assert Client().get(created.json()["url"]).status_code == 404  # not without the token


def test_the_fragment_knows_a_token_user_is_signed_in(garment, token_user, settings):
    settings.TRYON = {**settings.TRYON, "ALLOW_ANONYMOUS": False}
    signed_in = fetch_widget(Client(), garment, HTTP_AUTHORIZATION="Bearer shopper-token")
    assert "data-tryon-dialog" in signed_in.json()["html"]
    anonymous = fetch_widget(Client(), garment)
    assert "data-tryon-dialog" not in anonymous.json()["html"]


# -- analytics ---------------------------------------------------------------------------


def widget_events() -> list[tuple[str, str]]:
    from tryon.analytics.models import EventKind, TryOnEvent

    rows = TryOnEvent.objects.filter(kind=EventKind.WIDGET_RENDERED)
    return list(rows.values_list("arm", "garment_pk"))


def test_the_fragment_counts_the_session_and_names_the_beacon(garment):
    client = Client()
    data = fetch_widget(client, garment).json()
    assert data["analytics"] == {
        "script": "http://testserver/static/tryon/beacon.js",
        "beacon": "http://testserver/tryon/analytics/beacon/",
    }
    assert widget_events() == [("exposed", garment.pk)]
    assert django_settings.SESSION_COOKIE_NAME in client.cookies  # the session it counted


def test_a_holdout_session_gets_no_widget(garment, settings):
    settings.TRYON = {**settings.TRYON, "HOLDOUT_PERCENT": 100}
    response = Client().get(widget_url(garment))
    assert response.status_code == 204
    assert not response.content
    assert "no-store" in response["Cache-Control"]  # the next session may be exposed
    assert widget_events() == [("holdout", garment.pk)]


def test_a_token_front_end_is_outside_the_experiment(garment, token_user, settings):
    settings.TRYON = {**settings.TRYON, "HOLDOUT_PERCENT": 100}
    client = Client()
    data = fetch_widget(client, garment, HTTP_AUTHORIZATION="Bearer shopper-token").json()
    assert "data-tryon-dialog" in data["html"]
    assert data["analytics"] is None  # no session for a beacon to count
    assert widget_events() == []


def test_without_analytics_the_fragment_names_no_beacon(garment, settings):
    settings.TRYON = {**settings.TRYON, "ANALYTICS": False, "HOLDOUT_PERCENT": 100}
    assert fetch_widget(Client(), garment).json()["analytics"] is None
    assert widget_events() == []
