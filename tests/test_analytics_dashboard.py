"""``summary()``, the credit ledger, and the admin's "Try-on analytics" page."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.urls import include, path, reverse
from django.utils import timezone

import tryon.analytics.admin  # noqa: F401  (tryon.admin imports it at merge)
from tests.conftest import make_garment, make_model_photo
from tryon import analytics
from tryon import urls as tryon_urls
from tryon.analytics.models import EventKind, TryOnEvent, TryOnEventDay, TryOnVisitDay
from tryon.analytics.report import normalise_range
from tryon.analytics.store import insert
from tryon.models import DailyUsage, TryOn

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tryon/", include((tryon_urls.urlpatterns, "tryon"))),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

DASHBOARD = "/admin/tryon/analyticsdashboard/"


def tryon_settings(**extra: Any) -> dict[str, Any]:
    return {**settings.TRYON, **extra}


def today() -> date:
    return timezone.localdate()


def visitors(prefix: int, count: int) -> list[int]:
    return [prefix * 1_000_000 + i for i in range(count)]


def shop_with_a_holdout(garment: Any) -> None:
    """150 exposed sessions (20 order, 40 add to cart, 30 try on), 120 in the holdout
    (10 order), and noise that must not count."""
    exposed, held = visitors(1, 150), visitors(2, 120)
    for visitor in exposed:
        insert(
            EventKind.WIDGET_RENDERED,
            visitor=visitor,
            arm="exposed",
            garment_pk=garment.pk,
            assigned=True,
        )
    insert(EventKind.WIDGET_RENDERED, visitor=exposed[0], arm="exposed", garment_pk=garment.pk)
    for visitor in held:
        insert(
            EventKind.WIDGET_RENDERED,
            visitor=visitor,
            arm="holdout",
            garment_pk=garment.pk,
            assigned=True,
        )
    joined = timezone.now()
    for visitor in exposed[:30]:
        insert(
            EventKind.TRYON_REQUESTED,
            visitor=visitor,
            garment_pk=garment.pk,
            arm="exposed",
            joined_at=joined,
        )
    for visitor in exposed[:40]:
        insert(
            EventKind.ADD_TO_CART,
            visitor=visitor,
            arm="exposed",
            garment_pk=garment.pk,
            joined_at=joined,
        )
    for visitor in exposed[20:40]:  # 10 of them tried on
        insert(
            EventKind.ORDER,
            visitor=visitor,
            arm="exposed",
            value=Decimal("30.00"),
            joined_at=joined,
        )
    insert(
        EventKind.ORDER,
        visitor=exposed[20],
        arm="exposed",
        value=Decimal("10.00"),
        joined_at=joined,
    )
    for visitor in held[:10]:
        insert(
            EventKind.ORDER,
            visitor=visitor,
            arm="holdout",
            value=Decimal("25.00"),
            joined_at=joined,
        )
    # Not counted: unattributed, and a session that joined before the range.
    insert(EventKind.ORDER, visitor=7, arm="", value=Decimal("99"))
    insert(
        EventKind.ORDER,
        visitor=8,
        arm="exposed",
        value=Decimal("99"),
        joined_at=joined - timedelta(days=40),
    )
    for visitor in exposed[:5]:
        insert(EventKind.DIALOG_OPENED, visitor=visitor, garment_pk=garment.pk)
    insert(EventKind.TRYON_SUCCEEDED, visitor=exposed[0], wait_ms=4000)
    insert(EventKind.TRYON_SUCCEEDED, visitor=exposed[1], wait_ms=6000)


def backdate(days: int) -> None:
    TryOnEvent.objects.update(
        created_at=timezone.now() - timedelta(days=days), day=today() - timedelta(days=days)
    )


def test_summary_keys_and_arms():
    garment = make_garment()
    shop_with_a_holdout(garment)
    figures = analytics.summary(today(), today())
    for key in (
        "start",
        "end",
        "funnel",
        "events",
        "arms",
        "holdout",
        "naive",
        "daily",
        "products",
        "paid_calls",
        "answered_without_call",
        "credits_saved",
        "ledger",
        "wait",
    ):
        assert key in figures, key
    exposed, held = figures["arms"]["exposed"], figures["arms"]["holdout"]
    assert (exposed["sessions"], exposed["conversions"], exposed["carts"]) == (150, 20, 40)
    assert exposed["revenue"] == Decimal("610.00")
    assert (held["sessions"], held["conversions"], held["revenue"]) == (120, 10, Decimal("250.00"))
    assert exposed["conversion_rate"] == pytest.approx(20 / 150)
    assert held["revenue_per_session"] == pytest.approx(250 / 120)
    result = figures["holdout"]["orders"]
    assert figures["holdout"]["enough_data"] and result["enough_data"]
    assert result["difference"] == pytest.approx(20 / 150 - 10 / 120)
    assert result["difference_low"] < result["difference"] < result["difference_high"]
    assert figures["wait"] == {"count": 2, "average_ms": pytest.approx(5000)}
    assert figures["events"]["widget_rendered"] == {"events": 271, "visits": 270}


def test_summary_funnel_naive_daily_and_products():
    garment = make_garment(name="Red tee")
    shop_with_a_holdout(garment)
    figures = analytics.summary(today() - timedelta(days=2), today())
    funnel = {step["kind"]: step for step in figures["funnel"]}
    assert funnel["widget_rendered"]["visits"] == 150
    assert funnel["widget_rendered"]["events"] == 151
    assert funnel["dialog_opened"]["visits"] == 5
    assert funnel["tryon_requested"]["share"] == pytest.approx(30 / 150)
    assert funnel["order"]["visits"] == 21  # the exposed arm's, in visits
    assert funnel["order"]["events"] == 22
    naive = figures["naive"]
    assert naive["used_tryon"] == {
        "sessions": 30,
        "conversions": 10,
        "carts": 30,
        "conversion_rate": pytest.approx(1 / 3),
        "cart_rate": 1.0,
    }
    assert naive["did_not"]["sessions"] == 120 and naive["did_not"]["conversions"] == 10
    assert "not an effect" in naive["label"]
    assert [row["day"] for row in figures["daily"]] == [
        today() - timedelta(days=n) for n in (2, 1, 0)
    ]
    assert figures["daily"][-1]["rendered"] == 271 and figures["daily"][0]["rendered"] == 0
    (product,) = figures["products"]
    assert (product["name"], product["rendered"], product["tryons"], product["carts"]) == (
        "Red tee",
        271,
        30,
        40,
    )


def test_summary_ranges_dates_and_datetimes():
    insert(EventKind.WIDGET_SHOWN)
    backdate(3)
    assert analytics.summary(today(), today())["events"] == {}
    assert (
        analytics.summary(today() - timedelta(days=3), today())["events"]["widget_shown"]["events"]
        == 1
    )
    now = timezone.now()
    assert analytics.summary(now - timedelta(days=4), now)["events"]["widget_shown"]["events"] == 1
    start, end = normalise_range(date(2025, 1, 1), date(2025, 1, 1))
    assert end - start == timedelta(days=1) and timezone.is_aware(start)
    with pytest.raises(ValueError):
        analytics.summary(today(), today() - timedelta(days=1))


def test_days_that_are_over_are_summed_once_and_read_from_their_totals():
    garment = make_garment(name="Red tee")
    shop_with_a_holdout(garment)
    backdate(5)
    # Datetimes: partial first and last days read live, whole days before yesterday summed.
    live = analytics.summary(timezone.now() - timedelta(days=10), timezone.now())
    assert TryOnEventDay.objects.filter(kind="").count() == 8  # today-9 .. today-2
    first = analytics.summary(today() - timedelta(days=10), today())
    assert TryOnEventDay.objects.filter(kind="").count() == 9  # and today-10
    assert TryOnVisitDay.objects.get(kind="widget_rendered", arm="exposed").visits == 150
    for figures in (live, first):
        assert figures["arms"]["exposed"]["sessions"] == 150
        assert figures["arms"]["holdout"]["conversions"] == 10
        assert figures["funnel"][0]["visits"] == 150
        assert figures["products"][0]["rendered"] == 271
    assert first["daily"][5]["rendered"] == 271 and first["daily"][5]["revenue"] == Decimal(
        "1058"
    )  # every order
    # The totals are what is read now: events of a summed day are not read again.
    TryOnEvent.objects.filter(kind="widget_rendered").delete()
    again = analytics.summary(today() - timedelta(days=10), today())
    assert again["arms"]["exposed"]["sessions"] == 150 and again["products"][0]["rendered"] == 271
    assert TryOnEventDay.objects.filter(kind="").count() == 9  # not summed twice
    assert analytics.roll_up_closed_days() == 0


def test_retention_takes_the_daily_totals_of_deleted_days():
    insert(EventKind.WIDGET_SHOWN, visitor=3)
    backdate(500)
    assert analytics.roll_up_closed_days(days_back=600) == 1
    assert TryOnEventDay.objects.exists() and TryOnVisitDay.objects.exists()
    assert analytics.delete_expired_events() == 1
    assert not TryOnEventDay.objects.exists() and not TryOnVisitDay.objects.exists()


def test_not_enough_data_without_a_holdout():
    shop_with_a_holdout(make_garment())
    TryOnEvent.objects.filter(arm="holdout").delete()
    holdout = analytics.summary(today(), today())["holdout"]
    assert not holdout["enough_data"]
    assert "HOLDOUT_PERCENT'] is 0" in holdout["message"]
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=10)):
        holdout = analytics.summary(today(), today())["holdout"]
    assert holdout["message"].startswith("Not enough data yet: the holdout arm has 0 sessions")


def test_ledger_splits_paid_calls_and_counts_what_was_saved():
    a, b = make_garment(name="A"), make_garment(name="B")
    photo = make_model_photo()
    now = timezone.now()
    DailyUsage.objects.create(day=today(), paid_calls=7)
    DailyUsage.objects.create(day=today() - timedelta(days=40), paid_calls=1000)  # out of range
    paid = TryOn.objects.create(
        garment=a, model_photo=photo, status="succeeded", provider_calls=2, finished_at=now
    )
    TryOn.objects.create(
        garment=a, model_photo=photo, status="succeeded", reused_from=paid, finished_at=now
    )
    TryOn.objects.create(
        garment=b,
        model_photo=photo,
        status="failed",
        provider_calls=1,
        error_code=10004,
        source="staff",
        finished_at=now,
    )
    TryOn.objects.create(garment=b, model_photo=photo, status="failed", finished_at=now)
    TryOn.objects.create(garment=b, model_photo=photo, status="pending")  # not finished
    # A row's own event is not counted twice; a deleted row's event is what remains of it.
    analytics.record_tryon_finished(paid)
    insert(
        EventKind.JOB_SUCCEEDED, tryon_id=uuid.uuid4(), garment_pk=b.pk, source="preview", calls=3
    )
    insert(
        EventKind.JOB_SUCCEEDED,
        tryon_id=uuid.uuid4(),
        garment_pk=b.pk,
        source="shopper",
        calls=0,
        reused=True,
    )
    with override_settings(TRYON=tryon_settings(DAILY_PAID_CALL_LIMIT=5)):
        figures = analytics.summary(today() - timedelta(days=6), today())
    book = figures["ledger"]
    assert figures["paid_calls"] == book["paid_calls"] == 7
    assert book["by_source"] == {"preview": 3, "shopper": 2, "staff": 1}
    assert book["unattributed_calls"] == 1
    assert figures["answered_without_call"] == book["credits_saved"] == 2
    assert book["failures"][0]["count"] == 1 and {f["code"] for f in book["failures"]} == {
        10004,
        "none",
    }
    assert "invalid" in next(f["description"] for f in book["failures"] if f["code"] == 10004)
    assert book["by_product"][a.pk] == {"tryons": 2, "paid_calls": 2, "failed": 0, "reused": 1}
    assert book["by_product"][b.pk]["paid_calls"] == 4
    assert book["cap"]["limit"] == 5 and book["cap"]["days_reached"] == 1
    assert book["cap"]["busiest_share"] == pytest.approx(7 / 5)
    assert [row["paid_calls"] for row in figures["daily"]] == [0] * 6 + [7]
    products = {row["name"]: row for row in figures["products"]}
    assert products["B"]["paid_calls"] == 4 and products["B"]["failed"] == 2


# -- the admin page ------------------------------------------------------------------------


@pytest.fixture
def analyst(django_user_model: Any) -> Client:
    user = django_user_model.objects.create_user("ana", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_analytics"))
    client = Client()
    client.force_login(user)
    return client


def test_the_permission_exists_as_tryon_view_analytics(django_user_model):
    permission = Permission.objects.get(codename="view_analytics")
    assert permission.content_type.app_label == "tryon"
    user = django_user_model.objects.create_user("p", is_staff=True)
    user.user_permissions.add(permission)
    assert django_user_model.objects.get(pk=user.pk).has_perm("tryon.view_analytics")


def test_dashboard_renders_for_staff_with_the_permission(analyst):
    garment = make_garment(name="Red tee")
    shop_with_a_holdout(garment)
    DailyUsage.objects.create(day=today(), paid_calls=3)
    response = analyst.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Try-on analytics" in html
    assert html.count("<svg") >= 4 and "<title>" in html
    assert "Naive comparison" in html and "not an effect" in html
    assert "Red tee" in html and "Credit ledger" in html
    assert "95% CI" in html
    assert reverse("admin:tryon_analyticsdashboard_changelist") == DASHBOARD
    index = analyst.get("/admin/").content.decode()
    assert DASHBOARD in index


def test_dashboard_says_plainly_when_there_is_not_enough_data(analyst):
    insert(EventKind.WIDGET_RENDERED, visitor=5, arm="exposed", assigned=True)
    html = analyst.get(DASHBOARD).content.decode()
    assert "No holdout" in html
    with override_settings(TRYON=tryon_settings(HOLDOUT_PERCENT=10)):
        html = analyst.get(DASHBOARD).content.decode()
    assert "Not enough data yet: the exposed arm has 1 sessions" in html


def test_dashboard_date_range(analyst):
    insert(EventKind.WIDGET_RENDERED, visitor=5, arm="exposed", assigned=True)
    TryOnEvent.objects.update(
        created_at=timezone.now() - timedelta(days=60), day=today() - timedelta(days=60)
    )
    html = analyst.get(DASHBOARD).content.decode()
    assert "<strong>0</strong>" in html
    start = (today() - timedelta(days=70)).isoformat()
    html = analyst.get(DASHBOARD, {"start": start, "end": today().isoformat()}).content.decode()
    assert "<strong>1</strong>" in html
    bad = analyst.get(DASHBOARD, {"start": today().isoformat(), "end": "2000-01-01"})
    assert bad.status_code == 200 and "must not be after" in bad.content.decode()


def test_dashboard_is_refused_without_the_permission(django_user_model):
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(DASHBOARD + "export.csv").status_code == 403
    shopper = django_user_model.objects.create_user("c", password="pw")
    client.force_login(shopper)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    anonymous = Client().get(DASHBOARD + "export.csv")
    assert anonymous.status_code == 302


def test_superusers_see_it(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    assert client.get(DASHBOARD).status_code == 200


def test_csv_export(analyst):
    garment = make_garment(name="=cmd|' /C calc'!A0")
    shop_with_a_holdout(garment)
    response = analyst.get(DASHBOARD + "export.csv", {"table": "products"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["garment", "name", "rendered"]
    assert rows[1][1].startswith("'=")  # no formula injection
    assert rows[1][2] == "271"
    daily = list(csv.reader(io.StringIO(analyst.get(DASHBOARD + "export.csv").content.decode())))
    assert daily[0][0] == "day" and len(daily) == 31
    funnel = analyst.get(DASHBOARD + "export.csv", {"table": "funnel"}).content.decode()
    assert funnel.splitlines()[1].startswith("widget_rendered,")


def test_normalise_range_keeps_aware_datetimes():
    moment = datetime(2025, 3, 1, 12, tzinfo=timezone.get_current_timezone())
    assert normalise_range(moment, moment + timedelta(hours=1)) == (
        moment,
        moment + timedelta(hours=1),
    )
