"""Recording: the holdout, the widget-render hook, conversions and their attribution,
the server-side hooks, privacy, retention, ``ANALYTICS = False``, the budget alert."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

import django
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import DatabaseError
from django.test import RequestFactory, override_settings
from django.utils import timezone

from tests.conftest import make_garment, make_model_photo
from tests.shop.models import Product
from tryon import analytics
from tryon.analytics import alerts, cleanup, conversions, holdout, store
from tryon.analytics.events import on_tryon_finished
from tryon.analytics.models import EventKind, TryOnEvent
from tryon.analytics.visitors import SESSION_KEY, visitor_for, visitor_hash
from tryon.models import DailyUsage, TryOn

pytestmark = pytest.mark.django_db


def tryon_settings(**extra: Any) -> dict[str, Any]:
    return {**settings.TRYON, **extra}


def make_request(session_key: str | None = None, *, path: str = "/") -> Any:
    request = RequestFactory().get(path, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Agent/1.0")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    request.user = AnonymousUser()
    return request


def saved_session_request() -> Any:
    request = make_request()
    request.session.save()
    return request


# -- the holdout ---------------------------------------------------------------------------


def test_arm_is_stable_and_close_to_the_percentage_over_many_sessions():
    visitors = [visitor_hash(uuid.uuid4().hex) for _ in range(20_000)]
    assert len(set(visitors)) == len(visitors)
    share = sum(holdout.arm_for(v, 10) == "holdout" for v in visitors) / len(visitors)
    assert share == pytest.approx(0.10, abs=0.01)  # 4.7 standard deviations
    assert [holdout.arm_for(v, 10) for v in visitors[:200]] == [
        holdout.arm_for(v, 10) for v in visitors[:200]
    ]
    # Raising the percentage only moves sessions into the holdout.
    assert all(
        holdout.arm_for(v, 20) == "holdout" for v in visitors if holdout.arm_for(v, 10) == "holdout"
    )
    assert all(holdout.arm_for(v, 0) == "exposed" for v in visitors[:500])
    assert all(holdout.arm_for(v, 100) == "holdout" for v in visitors[:500])


def test_in_holdout_is_stable_for_a_session_and_survives_signing_in():
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=50)):
        request = make_request()
        first = analytics.in_holdout(request)
        assert request.session.session_key  # created
        key = request.session.session_key
        for _ in range(3):
            assert analytics.in_holdout(make_request(key)) == first
        # Signing in gives the session a new key and keeps its data: same arm.
        request.session.cycle_key()
        assert analytics.in_holdout(make_request(request.session.session_key)) == first


def test_in_holdout_share_over_real_sessions():
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=30)):
        arms = [analytics.in_holdout(make_request()) for _ in range(600)]
    # Session keys are random: 600 draws at 30 % have a standard deviation of 1.9 points.
    # The band is five of them (a false alarm about once in two million runs); a broken
    # split (none, all, half, the wrong bits of the hash) still falls far outside it.
    assert 0.21 <= sum(arms) / len(arms) <= 0.39


def test_in_holdout_is_false_without_a_holdout_or_analytics_and_starts_no_session():
    request = make_request()
    assert analytics.in_holdout(request) is False
    assert request.session.session_key is None
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=100, ANALYTICS=False)):
        assert analytics.in_holdout(request) is False
    assert request.session.session_key is None


def test_record_widget_render_hides_the_widget_for_the_holdout_and_records_both_arms():
    garment = make_garment()
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=100)):
        request = make_request()
        assert analytics.record_widget_render(request, garment) is False
        assert analytics.in_holdout(request) is True
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=0)):
        assert analytics.record_widget_render(make_request(), garment) is True
    rows = list(TryOnEvent.objects.values_list("kind", "arm", "garment_pk"))
    assert sorted(rows) == [
        ("widget_rendered", "exposed", garment.pk),
        ("widget_rendered", "holdout", garment.pk),
    ]


def test_a_session_joins_the_experiment_once_at_its_first_render():
    garment = make_garment()
    request = make_request()
    analytics.record_widget_render(request, garment)
    request.session.save()
    key = request.session.session_key
    analytics.record_widget_render(make_request(key), garment)
    request.session.cycle_key()  # signing in: a new key, the same data
    analytics.record_widget_render(make_request(request.session.session_key), garment)
    analytics.record_widget_render(make_request(), garment)  # another session
    assert list(TryOnEvent.objects.order_by("pk").values_list("assigned", flat=True)) == [
        True,
        False,
        False,
        True,
    ]
    assert len(set(TryOnEvent.objects.values_list("visitor", flat=True))) == 2


def test_record_widget_render_never_raises_and_shows_the_widget_on_errors(monkeypatch, caplog):
    monkeypatch.setattr(store, "_statement", lambda alias: "INSERT INTO no_such_table VALUES (1)")
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=100)):
        assert analytics.record_widget_render(make_request(), None) is False  # the arm holds
    assert "could not record a widget_rendered event" in caplog.text

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr("django.db.models.Model.save", broken)  # the session store fails
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=100)):
        assert analytics.record_widget_render(make_request(), None) is True
    assert "could not record a widget render" in caplog.text
    assert TryOnEvent.objects.count() == 0


def test_a_failed_insert_does_not_break_the_callers_transaction(monkeypatch):
    from django.db import transaction

    with transaction.atomic():
        monkeypatch.setattr(store, "local_day", lambda moment: None)  # NOT NULL: refused
        assert store.insert(EventKind.WIDGET_SHOWN) is False
        monkeypatch.undo()
        assert TryOn.objects.count() == 0  # the transaction still works
        assert store.insert(EventKind.WIDGET_SHOWN) is True
    assert TryOnEvent.objects.count() == 1


# -- privacy -------------------------------------------------------------------------------


def test_events_hold_a_keyed_hash_of_the_session_and_nothing_personal():
    request = make_request()
    analytics.record_widget_render(request, make_garment())
    key = request.session.session_key
    event = TryOnEvent.objects.get()
    assert event.visitor == visitor_hash(key) == request.session[SESSION_KEY]
    assert isinstance(event.visitor, int) and event.visitor != 0 and event.assigned
    assert -(2**63) <= event.visitor < 2**63  # 64 bits of the HMAC: not the key
    with override_settings(SECRET_KEY="another-secret"):
        assert visitor_hash(key) != event.visitor  # keyed: not computable without the secret
    stored = " ".join(str(value) for value in TryOnEvent.objects.values().get().values())
    for personal in ("203.0.113.9", "Agent/1.0", key):
        assert personal not in stored
    field_names = {field.name for field in TryOnEvent._meta.get_fields()}
    assert not field_names & {"ip", "ip_address", "user_agent", "user", "user_id", "session_key"}


def test_analytics_false_records_nothing():
    garment = make_garment()
    photo = make_model_photo()
    tryon = TryOn.objects.create(garment=garment, model_photo=photo, status="succeeded")
    with override_settings(TRYON=tryon_settings(ANALYTICS=False, HOLDOUT_PERCENT=50)):
        request = make_request()
        assert analytics.record_widget_render(request, garment) is True
        assert request.session.session_key is None  # no session started either
        assert analytics.record_conversion(request, kind="order", value=Decimal("10")) is False
        assert analytics.record_event(EventKind.WIDGET_SHOWN, request) is False
        assert analytics.record_tryon_requested(request, tryon) is False
        assert analytics.record_tryon_finished(tryon) is False
        assert analytics.record_tryon_deleted(request, tryon) is False
    assert TryOnEvent.objects.count() == 0


# -- conversions ---------------------------------------------------------------------------


def test_conversion_is_attributed_to_the_arm_of_a_render_within_the_window():
    garment = make_garment()
    product = Product.objects.create(name="Tee")
    garment.content_type_id = None
    request = make_request()
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=0)):
        analytics.record_widget_render(request, garment)
        assert analytics.record_conversion(
            request, product=garment, kind="add_to_cart", value=Decimal("19.00")
        )
        assert analytics.record_conversion(request, kind="order", value="19")
        assert analytics.record_conversion(request, product=product, kind="order")
    cart, order, other = TryOnEvent.objects.exclude(kind="widget_rendered").order_by("pk")
    assert (cart.kind, cart.arm, cart.garment_pk, cart.value) == (
        "add_to_cart",
        "exposed",
        garment.pk,
        Decimal("19.00"),
    )
    assert cart.product == f"tryon.garment:{garment.pk}"
    assert (order.kind, order.arm, order.value, order.garment_pk) == (
        "order",
        "exposed",
        Decimal("19.00"),
        None,
    )
    assert other.product == f"shop.product:{product.pk}" and other.garment_pk is None
    assert cart.visitor == order.visitor == visitor_for(request)
    render = TryOnEvent.objects.get(kind="widget_rendered")
    assert cart.joined_at == order.joined_at == render.created_at  # the session's cohort


def test_conversion_outside_the_window_is_not_attributed():
    request = make_request()
    analytics.record_widget_render(request, make_garment())
    TryOnEvent.objects.update(created_at=timezone.now() - timedelta(days=8))
    analytics.record_conversion(request, kind="order", value=5)
    unattributed = TryOnEvent.objects.get(kind="order")
    assert unattributed.arm == "" and unattributed.joined_at is None
    with override_settings(TRYON=tryon_settings(ATTRIBUTION_WINDOW=9 * 24 * 3600)):
        analytics.record_conversion(request, kind="order", value=5)
    assert TryOnEvent.objects.filter(kind="order").latest("pk").arm == "exposed"


def test_conversion_of_a_session_that_never_saw_the_widget_is_unattributed():
    request = saved_session_request()
    assert analytics.record_conversion(request, kind="add_to_cart")
    event = TryOnEvent.objects.get()
    assert event.arm == "" and event.visitor == visitor_hash(request.session.session_key)
    # A shopper whose first request is a cart add gets a session: their order is theirs.
    first = make_request()
    assert analytics.record_conversion(first, kind="add_to_cart")
    assert first.session.session_key
    again = make_request(first.session.session_key)
    assert analytics.record_conversion(again, kind="order")
    cart, order = TryOnEvent.objects.order_by("pk")[1:]
    assert cart.visitor == order.visitor != ""


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("purchase", None),
        ("order", "lots"),
        ("order", float("nan")),
        ("order", 1.5),
        ("order", Decimal("1e20")),
    ],
)
def test_bad_conversion_arguments_are_logged_not_raised(kind, value, caplog):
    with caplog.at_level(logging.ERROR, logger="tryon.analytics"):
        assert analytics.record_conversion(make_request(), kind=kind, value=value) is False
    assert "could not record a conversion" in caplog.text
    assert TryOnEvent.objects.count() == 0


def test_attributed_arm_of_the_latest_render():
    request = make_request()
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=100)):
        analytics.record_widget_render(request, None)
    visitor = visitor_for(request)
    assert conversions.attributed_arm(visitor) == "holdout"
    assert conversions.attributed_arm("") == ""


# -- server-side hooks ---------------------------------------------------------------------


def test_tryon_hooks_record_the_session_garment_source_calls_and_reuse():
    garment = make_garment()
    photo = make_model_photo()
    request = make_request()
    analytics.record_widget_render(request, garment)
    original = TryOn.objects.create(
        garment=garment, model_photo=photo, status="succeeded", provider_calls=2, source="preview"
    )
    reused = TryOn.objects.create(
        garment=garment, model_photo=photo, status="succeeded", reused_from=original
    )
    failed = TryOn.objects.create(
        garment=garment, model_photo=photo, status="failed", provider_calls=1, error_code=10004
    )
    assert analytics.record_tryon_requested(request, reused, answered_now=True)
    on_tryon_finished(sender=TryOn, tryon=original, succeeded=True)
    analytics.record_tryon_finished(reused)
    analytics.record_tryon_finished(failed)
    assert analytics.record_tryon_deleted(request, failed)
    rows = {(e.kind, e.tryon_id): e for e in TryOnEvent.objects.exclude(kind="widget_rendered")}
    requested = rows[("tryon_requested", reused.pk)]
    assert requested.visitor == visitor_for(request) and requested.reused
    assert requested.arm == "exposed" and requested.joined_at is not None
    assert requested.garment_pk == garment.pk and requested.source == "shopper"
    first = rows[("job_succeeded", original.pk)]
    assert (first.calls, first.source, first.reused) == (2, "preview", False)
    assert rows[("job_succeeded", reused.pk)].reused
    job_failed = rows[("job_failed", failed.pk)]
    assert (job_failed.calls, job_failed.code) == (1, 10004)
    assert ("tryon_removed", failed.pk) in rows


# -- retention -----------------------------------------------------------------------------


def test_cleanup_deletes_events_older_than_the_retention():
    for age in (1, 399, 401, 800):
        store.insert(EventKind.WIDGET_SHOWN)
        TryOnEvent.objects.filter(pk=TryOnEvent.objects.latest("pk").pk).update(
            created_at=timezone.now() - timedelta(days=age)
        )
    assert cleanup.delete_expired_events(dry_run=True) == 2
    assert TryOnEvent.objects.count() == 4
    assert analytics.delete_expired_events() == 2
    assert TryOnEvent.objects.count() == 2
    with override_settings(TRYON=tryon_settings(ANALYTICS_RETENTION_DAYS=30)):
        assert cleanup.delete_expired_events() == 1
    with override_settings(TRYON=tryon_settings(ANALYTICS_RETENTION_DAYS=None)):
        assert cleanup.delete_expired_events() == 0
    assert TryOnEvent.objects.count() == 1


# -- the budget alert ----------------------------------------------------------------------


@pytest.fixture
def alerts_received():
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    analytics.budget_alert.connect(receiver)
    yield received
    analytics.budget_alert.disconnect(receiver)


# Django 6 takes plain addresses (pairs are deprecated); 5.2 only (name, address) pairs.
ADMINS = ["ops@example.com"] if django.VERSION >= (6,) else [("Ops", "ops@example.com")]


@override_settings(ADMINS=ADMINS)
def test_budget_alert_is_sent_once_a_day_when_crossed(alerts_received):
    today = alerts.today()
    photo = make_model_photo()
    tryon = TryOn.objects.create(model_photo=photo, prompt="x", status="succeeded")
    with override_settings(TRYON=tryon_settings(DAILY_BUDGET_ALERT=5)):
        DailyUsage.objects.create(day=today, paid_calls=4)
        analytics.record_tryon_finished(tryon)
        assert not alerts_received and not mail.outbox
        DailyUsage.objects.filter(day=today).update(paid_calls=5)
        analytics.record_tryon_finished(tryon)
        DailyUsage.objects.filter(day=today).update(paid_calls=9)
        analytics.record_tryon_finished(tryon)
        assert analytics.check_budget_alert() is False
    assert alerts_received == [
        {"signal": analytics.budget_alert, "day": today, "paid_calls": 5, "threshold": 5}
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"]
    assert "5 paid provider calls" in mail.outbox[0].subject
    # The next day, the alert can be sent again.
    TryOnEvent.objects.filter(kind="budget_alert").update(day=today - timedelta(days=1))
    with override_settings(TRYON=tryon_settings(DAILY_BUDGET_ALERT=5)):
        assert analytics.check_budget_alert() is True
    assert len(mail.outbox) == 2


def test_budget_alert_works_with_analytics_off_and_not_without_a_threshold(alerts_received):
    DailyUsage.objects.create(day=alerts.today(), paid_calls=100)
    assert analytics.check_budget_alert() is False  # DAILY_BUDGET_ALERT is None
    with override_settings(TRYON=tryon_settings(ANALYTICS=False, DAILY_BUDGET_ALERT=50)):
        assert analytics.check_budget_alert() is True
    assert len(alerts_received) == 1
