"""``summary(start, end)``: every figure of the dashboard, as a dict.

Two units are counted, each where it fits:

- The holdout compares **sessions that joined the experiment in the range**: a session
  joins at its first widget render (``assigned``), in its arm, whatever happens later.
  It converted when it recorded an order (``carts``: an add to cart) in the range,
  attributed to its arm; its revenue is the sum of those orders' values.
- The funnel, the naive comparison's base and the per-day chart count **visits**: a
  session on one day (as web analytics do), and events.

Daily totals come from ``rollup.py``; only conversions and try-on requests are read from
events, each checked against the session's assignment.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from ..models import Garment
from .holdout import holdout_percent
from .ledger import days_of, ledger
from .models import CONVERSION_KINDS, Arm, EventKind, TryOnEvent
from .rollup import totals, visits
from .stats import Sample, compare_means, compare_rates

#: The funnel's steps: (kind, label). Visits of the exposed arm.
FUNNEL = (
    (EventKind.WIDGET_RENDERED, "Widget on a product page"),
    (EventKind.WIDGET_SHOWN, "Widget seen"),
    (EventKind.DIALOG_OPENED, "Dialog opened"),
    (EventKind.TRYON_REQUESTED, "Try-on requested"),
    (EventKind.TRYON_SUCCEEDED, "Try-on shown"),
    (EventKind.RESULT_VIEWED, "Result viewed"),
    (EventKind.RESULT_DOWNLOADED, "Result downloaded"),
    (EventKind.ADD_TO_CART, "Added to cart"),
    (EventKind.ORDER, "Ordered"),
)
NAIVE_LABEL = (
    "Naive comparison, not an effect: sessions that chose to try something on against "
    "those that did not (both saw the widget). Shoppers who try things on differ from "
    "those who do not, so this gap measures who uses try-on, not what it does; the "
    "holdout comparison above does."
)
ARMS = (Arm.EXPOSED, Arm.HOLDOUT)
Conversions = dict[str, dict[str, dict[int, Decimal]]]  # arm -> kind -> visitor -> value


def normalise_range(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` as aware datetimes; a date ``end`` includes that whole day."""

    def moment(value: date | datetime, next_day: bool) -> datetime:
        if not isinstance(value, datetime):
            value = datetime.combine(value + timedelta(days=int(next_day)), time.min)
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    first, last = moment(start, False), moment(end, True)
    if last <= first:
        raise ValueError("summary(): end must be after start")
    return first, last


def summary(start: date | datetime, end: date | datetime) -> dict[str, Any]:
    """The dashboard's figures for ``[start, end)`` (aware datetimes, or dates)."""
    start, end = normalise_range(start, end)
    in_range = TryOnEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    # Events of sessions that joined in the range (the arm is the one they joined).
    joined = in_range.filter(joined_at__gte=start, joined_at__lt=end)
    by_kind = totals(start, end, ["kind", "arm"])
    kind_visits = visits(start, end)
    conversions = _conversions(joined)
    arms = _arms(by_kind, conversions)
    book = ledger(start, end)
    waited = by_kind.get((EventKind.TRYON_SUCCEEDED.value, ""), {})
    return {
        "start": start,
        "end": end,
        "funnel": _funnel(by_kind, kind_visits),
        "events": _events(by_kind, kind_visits),
        "arms": arms,
        "holdout": _holdout(arms, conversions),
        "naive": _naive(joined, arms, conversions),
        "wait": {
            "count": waited.get("waits", 0),
            "average_ms": waited["wait_ms"] / waited["waits"] if waited.get("waits") else None,
        },
        "daily": _daily(start, end, book),
        "products": _products(start, end, book),
        "paid_calls": book["paid_calls"],
        "answered_without_call": book["answered_without_call"],
        "credits_saved": book["credits_saved"],
        "ledger": book,
    }


def _events(
    by_kind: dict[tuple[Any, ...], dict[str, Any]], kind_visits: dict[tuple[str, str], int]
) -> dict[str, dict[str, int]]:
    """kind -> {"events", "visits"} over both arms."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: {"events": 0, "visits": 0})
    for (kind, _arm), measures in by_kind.items():
        result[kind]["events"] += measures["events"]
    for (kind, _arm), count in kind_visits.items():
        result[kind]["visits"] += count
    return dict(result)


def _funnel(
    by_kind: dict[tuple[Any, ...], dict[str, Any]], kind_visits: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for kind, label in FUNNEL:
        # Renders and conversions: the exposed arm's. The rest happen only where the
        # widget is shown, whatever arm (or none) they carry.
        exposed_only = kind in (EventKind.WIDGET_RENDERED, *CONVERSION_KINDS)
        arms = [Arm.EXPOSED.value] if exposed_only else ["", *[arm.value for arm in ARMS]]
        steps.append(
            {
                "kind": str(kind),
                "label": label,
                "events": sum(by_kind.get((kind.value, arm), {}).get("events", 0) for arm in arms),
                "visits": sum(kind_visits.get((kind.value, arm), 0) for arm in arms),
            }
        )
    top = steps[0]["visits"]
    for step in steps:
        step["share"] = step["visits"] / top if top else None
    return steps


def _conversions(joined: QuerySet[TryOnEvent]) -> Conversions:
    """Conversions of sessions that joined in the range, in the arm they joined."""
    result: Conversions = {arm: {str(kind): {} for kind in CONVERSION_KINDS} for arm in ARMS}
    converted = joined.filter(arm__in=ARMS).exclude(visitor=0)
    carts = converted.filter(kind=EventKind.ADD_TO_CART).values_list("arm", "visitor").distinct()
    for arm, visitor in carts:
        result[arm][EventKind.ADD_TO_CART][visitor] = Decimal(0)
    orders = (
        converted.filter(kind=EventKind.ORDER)
        .values_list("arm", "visitor")
        .annotate(revenue=Sum("value"))
        .order_by()
    )
    for arm, visitor, revenue in orders:
        result[arm][EventKind.ORDER][visitor] = revenue or Decimal(0)
    return result


def _arms(
    by_kind: dict[tuple[Any, ...], dict[str, Any]], conversions: Conversions
) -> dict[str, dict[str, Any]]:
    arms = {}
    for arm in ARMS:
        rendered = by_kind.get((EventKind.WIDGET_RENDERED.value, arm.value), {})
        sessions = int(rendered.get("assignments", 0))
        orders = conversions[arm][EventKind.ORDER]
        carts = conversions[arm][EventKind.ADD_TO_CART]
        revenue = _money(sum(orders.values(), Decimal(0)))
        arms[str(arm)] = {
            "sessions": sessions,
            "conversions": len(orders),
            "carts": len(carts),
            "revenue": revenue,
            "conversion_rate": len(orders) / sessions if sessions else None,
            "cart_rate": len(carts) / sessions if sessions else None,
            "revenue_per_session": float(revenue) / sessions if sessions else None,
        }
    return arms


def _money(amount: Decimal) -> Decimal:
    # Sums come back from SQLite with a float's digits: cents, as they were recorded.
    return Decimal(amount).quantize(Decimal("0.01"))


def _sample(sessions: int, values: dict[int, Decimal]) -> Sample:
    amounts = [float(v) for v in values.values()]
    return Sample(sessions, sum(amounts), sum(a * a for a in amounts))


def _holdout(arms: dict[str, dict[str, Any]], conversions: Conversions) -> dict[str, Any]:
    exposed, holdout = arms[Arm.EXPOSED], arms[Arm.HOLDOUT]
    orders = compare_rates(
        exposed["conversions"], exposed["sessions"], holdout["conversions"], holdout["sessions"]
    )
    carts = compare_rates(
        exposed["carts"], exposed["sessions"], holdout["carts"], holdout["sessions"]
    )
    revenue = compare_means(
        _sample(exposed["sessions"], conversions[Arm.EXPOSED][EventKind.ORDER]),
        _sample(holdout["sessions"], conversions[Arm.HOLDOUT][EventKind.ORDER]),
        (exposed["conversions"], holdout["conversions"]),
    )
    percent = holdout_percent()
    message = orders.message
    if not holdout["sessions"] and percent <= 0:
        message = (
            "No holdout: TRYON['HOLDOUT_PERCENT'] is 0, so every session sees the widget and "
            "there is nothing to compare with. Set it (e.g. 10) to measure what try-on does."
        )
    return {
        "percent": percent,
        "enough_data": orders.enough_data,
        "message": message,
        "orders": orders.as_dict(),
        "carts": carts.as_dict(),
        "revenue_per_session": revenue.as_dict(),
    }


def _naive(
    joined: QuerySet[TryOnEvent], arms: dict[str, dict[str, Any]], conversions: Conversions
) -> dict[str, Any]:
    """Among the exposed arm's sessions: those that requested a try-on against the rest."""
    users = set(
        joined.filter(kind=EventKind.TRYON_REQUESTED, arm=Arm.EXPOSED)
        .exclude(visitor=0)
        .values_list("visitor", flat=True)
        .distinct()
    )
    sessions = arms[Arm.EXPOSED]["sessions"]
    orders = conversions[Arm.EXPOSED][EventKind.ORDER]
    carts = conversions[Arm.EXPOSED][EventKind.ADD_TO_CART]
    used: dict[str, Any] = {
        "sessions": len(users),
        "conversions": len(users & orders.keys()),
        "carts": len(users & carts.keys()),
    }
    others: dict[str, Any] = {
        "sessions": max(0, sessions - used["sessions"]),
        "conversions": len(orders) - used["conversions"],
        "carts": len(carts) - used["carts"],
    }
    for group in (used, others):
        n = group["sessions"]
        group["conversion_rate"] = group["conversions"] / n if n else None
        group["cart_rate"] = group["carts"] / n if n else None
    names = ("used try-on", "did not")
    return {
        "label": NAIVE_LABEL,
        "used_tryon": used,
        "did_not": others,
        "orders": compare_rates(
            used["conversions"],
            used["sessions"],
            others["conversions"],
            others["sessions"],
            names=names,
        ).as_dict(),
        "carts": compare_rates(
            used["carts"], used["sessions"], others["carts"], others["sessions"], names=names
        ).as_dict(),
    }


_DAILY_KINDS: dict[str, str] = {
    EventKind.WIDGET_RENDERED: "rendered",
    EventKind.TRYON_REQUESTED: "tryons",
    EventKind.ADD_TO_CART: "carts",
    EventKind.ORDER: "orders",
}


def _daily(start: datetime, end: datetime, book: dict[str, Any]) -> list[dict[str, Any]]:
    first_day, last_day = days_of(start, end)
    days: dict[date, dict[str, Any]] = {}
    day = first_day
    while day <= last_day:
        days[day] = {"day": day, **dict.fromkeys(_DAILY_KINDS.values(), 0)}
        days[day].update(revenue=Decimal(0), paid_calls=0)
        day += timedelta(days=1)
    for (day, kind), measures in totals(start, end, ["day", "kind"]).items():
        if day in days and kind in _DAILY_KINDS:
            days[day][_DAILY_KINDS[kind]] += measures["events"]
            if kind == EventKind.ORDER:
                days[day]["revenue"] += measures["value"] or Decimal(0)
    for entry in book["daily"]:
        if entry["day"] in days:
            days[entry["day"]]["paid_calls"] = entry["paid_calls"]
    for entry in days.values():
        entry["revenue"] = _money(entry["revenue"])
    return list(days.values())


_PRODUCT_KINDS: dict[str, str] = {
    EventKind.WIDGET_RENDERED: "rendered",
    EventKind.DIALOG_OPENED: "opened",
    EventKind.TRYON_REQUESTED: "tryons",
    EventKind.TRYON_SUCCEEDED: "shown",
    EventKind.ADD_TO_CART: "carts",
    EventKind.ORDER: "orders",
}


def _products(start: datetime, end: datetime, book: dict[str, Any]) -> list[dict[str, Any]]:
    table: dict[int, dict[str, Any]] = {}

    def entry(pk: int) -> dict[str, Any]:
        if pk not in table:
            table[pk] = {"garment": pk, **dict.fromkeys(_PRODUCT_KINDS.values(), 0)}
            table[pk].update(revenue=Decimal(0), paid_calls=0, failed=0, reused=0)
        return table[pk]

    for (pk, kind), measures in totals(start, end, ["garment_pk", "kind"]).items():
        if pk and kind in _PRODUCT_KINDS:
            item = entry(int(pk))
            item[_PRODUCT_KINDS[kind]] += measures["events"]
            if kind == EventKind.ORDER:
                item["revenue"] += measures["value"] or Decimal(0)
    for pk, calls in book["by_product"].items():
        if pk is not None:
            entry(pk).update(
                paid_calls=calls["paid_calls"], failed=calls["failed"], reused=calls["reused"]
            )
    names = dict(Garment.objects.filter(pk__in=list(table)).values_list("pk", "name"))
    for pk, item in table.items():
        item["name"] = names.get(pk, f"(deleted garment {pk})")
        item["revenue"] = _money(item["revenue"])
    return sorted(table.values(), key=lambda item: (-item["rendered"], item["name"]))
