"""The widget's beacon: good events are recorded; anything else is refused, unrecorded."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client, override_settings
from django.urls import include, path, reverse

from tests.conftest import make_garment, make_model_photo
from tryon import urls as tryon_urls
from tryon.analytics import urls as analytics_urls
from tryon.analytics.models import TryOnEvent
from tryon.analytics.visitors import visitor_hash
from tryon.models import TryOn

# The beacon is included from tryon.urls at merge; until then, beside it here.
urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "tryon/",
        include(([*analytics_urls.urlpatterns, *tryon_urls.urlpatterns], "tryon")),
    ),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def tryon_settings(**extra: Any) -> dict[str, Any]:
    return {**settings.TRYON, **extra}


def beacon_url() -> str:
    return reverse("tryon:analytics-beacon")


def post(client: Client, body: Any, *, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        beacon_url(),
        data=data,
        content_type="text/plain;charset=UTF-8",
        headers=SAME_ORIGIN if headers is None else headers,
    )


@pytest.fixture
def shopper() -> Client:
    client = Client()
    session = client.session
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def garment() -> Any:
    return make_garment()


def own_tryon(client: Client, garment: Any) -> TryOn:
    return TryOn.objects.create(
        garment=garment, model_photo=make_model_photo(), session_key=session_key(client)
    )


def test_the_path_is_analytics_beacon():
    assert beacon_url() == "/tryon/analytics/beacon/"


def test_a_good_beacon_is_recorded(shopper, garment):
    tryon = own_tryon(shopper, garment)
    response = post(shopper, {"event": "tryon_succeeded", "tryon": str(tryon.pk), "wait_ms": 5300})
    assert response.status_code == 204
    event = TryOnEvent.objects.get()
    assert (event.kind, event.tryon_id, event.garment_pk, event.wait_ms) == (
        "tryon_succeeded",
        tryon.pk,
        garment.pk,
        5300,
    )
    assert event.visitor == visitor_hash(session_key(shopper))
    assert post(shopper, {"event": "widget_shown", "garment": garment.pk}).status_code == 204
    assert post(shopper, {"event": "dialog_opened", "garment": str(garment.pk)}).status_code == 204
    assert TryOnEvent.objects.filter(garment_pk=garment.pk).count() == 3


def test_every_listed_event_is_accepted(shopper, garment):
    names = [
        "widget_shown",
        "dialog_opened",
        "tryon_submitted",
        "tryon_succeeded",
        "tryon_failed",
        "result_viewed",
        "result_downloaded",
        "tryon_deleted",
    ]
    for name in names:
        assert post(shopper, {"event": name, "garment": garment.pk}).status_code == 204, name
    assert sorted(TryOnEvent.objects.values_list("kind", flat=True)) == sorted(names)


@pytest.mark.parametrize(
    "body",
    [
        {"event": "order"},  # a server-side kind: the browser may not claim conversions
        {"event": "widget_rendered"},
        {"event": "budget_alert"},
        {"event": "nonsense"},
        {"event": ""},
        {"event": None},
        {"event": ["widget_shown"]},
        {},
        {"event": "widget_shown", "user": 1},  # unknown field
        {"event": "widget_shown", "wait_ms": -1},
        {"event": "widget_shown", "wait_ms": 10**12},
        {"event": "widget_shown", "wait_ms": 1.5},
        {"event": "widget_shown", "wait_ms": True},
        {"event": "widget_shown", "wait_ms": "100"},
        {"event": "widget_shown", "garment": -3},
        {"event": "widget_shown", "garment": "1; DROP TABLE"},
        {"event": "widget_shown", "garment": 2**70},
        {"event": "widget_shown", "tryon": "not-a-uuid"},
        {"event": "widget_shown", "tryon": 12},
        ["widget_shown"],
        "widget_shown",
        "{not json",
        b"\xff\xfe\x00garbage",
        "",
    ],
)
def test_bad_bodies_get_400_and_record_nothing(shopper, body):
    response = post(shopper, body)
    assert response.status_code == 400
    assert TryOnEvent.objects.count() == 0


def test_a_huge_body_gets_400_and_records_nothing(shopper):
    body = json.dumps({"event": "widget_shown", "pad": "x" * 5000})
    assert post(shopper, body).status_code == 400
    padded = '{"event": "widget_shown"}' + " " * 2000  # valid JSON, still too big
    assert post(shopper, padded).status_code == 400
    assert TryOnEvent.objects.count() == 0


def test_a_forged_tryon_id_gets_404_and_records_nothing(shopper, garment):
    response = post(shopper, {"event": "result_viewed", "tryon": str(uuid.uuid4())})
    assert response.status_code == 404
    assert post(shopper, {"event": "widget_shown", "garment": 999_999}).status_code == 404
    assert TryOnEvent.objects.count() == 0


def test_another_sessions_tryon_gets_404_and_records_nothing(shopper, garment):
    other = Client()
    other.session.save()
    theirs = TryOn.objects.create(
        garment=garment, model_photo=make_model_photo(), session_key="someone-else"
    )
    assert post(shopper, {"event": "result_downloaded", "tryon": str(theirs.pk)}).status_code == 404
    assert TryOnEvent.objects.count() == 0


def test_a_garment_that_is_not_the_tryons_gets_400(shopper, garment):
    tryon = own_tryon(shopper, garment)
    other = make_garment(name="Other")
    body = {"event": "result_viewed", "tryon": str(tryon.pk), "garment": other.pk}
    assert post(shopper, body).status_code == 400
    assert TryOnEvent.objects.count() == 0


def test_a_signed_in_shoppers_tryon_and_a_remembered_deleted_one(
    shopper, garment, django_user_model
):
    user = django_user_model.objects.create_user("ann", password="pw")
    shopper.force_login(user)
    tryon = TryOn.objects.create(garment=garment, model_photo=make_model_photo(), owner=user)
    assert post(shopper, {"event": "result_viewed", "tryon": str(tryon.pk)}).status_code == 204
    # The API remembers a session's try-ons; a deleted one can still be reported.
    gone = uuid.uuid4()
    session = shopper.session
    session["tryon_ids"] = [str(gone)]
    session.save()
    assert post(shopper, {"event": "tryon_deleted", "tryon": str(gone)}).status_code == 204
    assert TryOnEvent.objects.count() == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},  # neither Sec-Fetch-Site nor Origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "https://testserver"},  # another scheme
    ],
)
def test_cross_site_beacons_are_refused(shopper, headers):
    assert post(shopper, {"event": "widget_shown"}, headers=headers).status_code == 403
    assert TryOnEvent.objects.count() == 0


@override_settings(CSRF_TRUSTED_ORIGINS=["http://front.example:8080", "https://*.shop.example"])
@pytest.mark.parametrize(
    ("origin", "site", "status"),
    [
        ("http://front.example:8080", "same-site", 204),  # a <tryon-widget> front end
        ("https://www.shop.example", "same-site", 204),  # the wildcard
        ("https://shop.example.evil.example", "cross-site", 403),
        ("http://front.example:8081", "same-site", 403),  # another port
        ("https://front.example:8080", "same-site", 403),  # another scheme
        ("http://www.shop.example", "same-site", 403),
    ],
)
def test_a_front_end_the_shop_trusts_for_csrf_may_post(shopper, origin, site, status):
    headers = {"Origin": origin, "Sec-Fetch-Site": site}
    assert post(shopper, {"event": "dialog_opened"}, headers=headers).status_code == status
    assert TryOnEvent.objects.count() == (status == 204)


def test_a_same_origin_origin_header_is_enough_without_sec_fetch_site(shopper):
    response = post(shopper, {"event": "widget_shown"}, headers={"Origin": "http://testserver"})
    assert response.status_code == 204


def test_only_post(shopper):
    assert shopper.get(beacon_url(), headers=SAME_ORIGIN).status_code == 405


def test_beacons_are_throttled_per_session(shopper):
    with override_settings(TRYON=tryon_settings(ANALYTICS_BEACON_RATE="5/min")):
        codes = [post(shopper, {"event": "widget_shown"}).status_code for _ in range(7)]
        assert codes == [204] * 5 + [429] * 2
        other = Client()  # another visitor (no session: counted by address) is not slowed
        assert post(other, {"event": "widget_shown"}).status_code == 204
    assert TryOnEvent.objects.count() == 6


def test_the_default_rate_allows_a_busy_shopper():
    assert settings.TRYON.get("ANALYTICS_BEACON_RATE") is None  # the default applies
    client = Client()
    codes = {post(client, {"event": "widget_shown"}).status_code for _ in range(60)}
    assert codes == {204}
    assert post(client, {"event": "widget_shown"}).status_code == 429


def test_analytics_false_records_nothing(shopper):
    with override_settings(TRYON=tryon_settings(ANALYTICS=False)):
        assert post(shopper, {"event": "widget_shown"}).status_code == 204
    assert TryOnEvent.objects.count() == 0
