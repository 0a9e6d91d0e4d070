"""``summary(start, end)``: every figure of the dashboard, as a dict.

Sessions are counted by their visitor hash; a session is in the experiment when the
widget was rendered for it in the range (the exposed arm saw it, the holdout's was
recorded and not drawn). A session converted when it recorded an order (``carts``:
an add to cart) attributed to its arm; revenue is the sum of its orders' values.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from ..models import Garment
from .holdout import holdout_percent
from .ledger import days_of, ledger
from .models import CONVERSION_KINDS, Arm, EventKind, TryOnEvent
from .stats import Sample, compare_means, compare_rates

#: The funnel's steps: (kind, label). Conversions count the exposed arm's sessions.
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
    renders = in_range.filter(kind=EventKind.WIDGET_RENDERED)
    counts = _counts(in_range)
    arms, conversions = _arms(in_range, renders, counts)
    book = ledger(start, end)
    return {
        "start": start,
        "end": end,
        "funnel": _funnel(counts, conversions),
        "events": {
            kind: {"events": sum(c["events"] for c in by_arm.values()), "sessions": _any(by_arm)}
            for kind, by_arm in counts.items()
        },
        "arms": arms,
        "holdout": _holdout(arms, conversions),
        "naive": _naive(in_range, renders, arms, conversions),
        "wait": in_range.filter(kind=EventKind.TRYON_SUCCEEDED, wait_ms__isnull=False).aggregate(
            count=Count("pk"), average_ms=Avg("wait_ms")
        ),
        "daily": _daily(in_range, start, end, book),
        "products": _products(in_range, book),
        "paid_calls": book["paid_calls"],
        "answered_without_call": book["answered_without_call"],
        "credits_saved": book["credits_saved"],
        "ledger": book,
    }


def _counts(in_range: QuerySet[TryOnEvent]) -> dict[str, dict[str, dict[str, int]]]:
    """kind -> arm -> {"events", "sessions"}."""
    rows = (
        in_range.exclude(kind=EventKind.BUDGET_ALERT)
        .values("kind", "arm")
        .annotate(
            events=Count("pk"), sessions=Count("visitor", distinct=True, filter=~Q(visitor=""))
        )
        .order_by()
    )
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for row in rows:
        counts[row["kind"]][row["arm"]] = {"events": row["events"], "sessions": row["sessions"]}
    return counts


def _any(by_arm: dict[str, dict[str, int]]) -> int:
    # Sessions of one kind across arms: a session has one arm, so the sum is exact
    # except for conversions both attributed and not (rare); good enough for a total.
    return sum(c["sessions"] for c in by_arm.values())


def _funnel(
    counts: dict[str, dict[str, dict[str, int]]],
    conversions: dict[str, dict[str, dict[str, Decimal]]],
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for kind, label in FUNNEL:
        by_arm = counts.get(kind, {})
        if kind in CONVERSION_KINDS:  # the exposed sessions' own, as in the holdout figures
            figures = {
                **by_arm.get(Arm.EXPOSED, {}),
                "sessions": len(conversions[Arm.EXPOSED][kind]),
            }
        elif kind == EventKind.WIDGET_RENDERED:
            figures = by_arm.get(Arm.EXPOSED, {})
        else:
            figures = _merged(by_arm)
        steps.append(
            {
                "kind": str(kind),
                "label": label,
                "events": figures.get("events", 0),
                "sessions": figures.get("sessions", 0),
            }
        )
    top = steps[0]["sessions"] or 0
    for step in steps:
        step["share"] = step["sessions"] / top if top else None
    return steps


def _merged(by_arm: dict[str, dict[str, int]]) -> dict[str, int]:
    return {"events": sum(c["events"] for c in by_arm.values()), "sessions": _any(by_arm)}


def _arms(
    in_range: QuerySet[TryOnEvent],
    renders: QuerySet[TryOnEvent],
    counts: dict[str, dict[str, dict[str, int]]],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Decimal]]]]:
    """Per arm: sessions, converting sessions, revenue; and arm -> kind -> visitor -> value."""
    seen_in_arm = renders.filter(visitor=OuterRef("visitor"), arm=OuterRef("arm"))
    rows = (
        in_range.filter(kind__in=CONVERSION_KINDS, arm__in=[Arm.EXPOSED, Arm.HOLDOUT])
        .exclude(visitor="")
        .filter(Exists(seen_in_arm))
        .values("arm", "kind", "visitor")
        .annotate(revenue=Sum("value"))
        .order_by()
    )
    conversions: dict[str, dict[str, dict[str, Decimal]]] = {
        arm: {str(kind): {} for kind in CONVERSION_KINDS} for arm in (Arm.EXPOSED, Arm.HOLDOUT)
    }
    for row in rows:
        conversions[row["arm"]][row["kind"]][row["visitor"]] = row["revenue"] or Decimal(0)
    rendered = counts.get(EventKind.WIDGET_RENDERED, {})
    arms = {}
    for arm in (Arm.EXPOSED, Arm.HOLDOUT):
        sessions = rendered.get(arm, {}).get("sessions", 0)
        orders = conversions[arm][EventKind.ORDER]
        carts = conversions[arm][EventKind.ADD_TO_CART]
        revenue = sum(orders.values(), Decimal(0))
        arms[str(arm)] = {
            "sessions": sessions,
            "conversions": len(orders),
            "carts": len(carts),
            "revenue": revenue,
            "conversion_rate": len(orders) / sessions if sessions else None,
            "cart_rate": len(carts) / sessions if sessions else None,
            "revenue_per_session": float(revenue) / sessions if sessions else None,
        }
    return arms, conversions


def _sample(sessions: int, values: dict[str, Decimal]) -> Sample:
    amounts = [float(v) for v in values.values()]
    return Sample(sessions, sum(amounts), sum(a * a for a in amounts))


def _holdout(
    arms: dict[str, dict[str, Any]], conversions: dict[str, dict[str, dict[str, Decimal]]]
) -> dict[str, Any]:
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
    in_range: QuerySet[TryOnEvent],
    renders: QuerySet[TryOnEvent],
    arms: dict[str, dict[str, Any]],
    conversions: dict[str, dict[str, dict[str, Decimal]]],
) -> dict[str, Any]:
    exposed_render = renders.filter(visitor=OuterRef("visitor"), arm=Arm.EXPOSED)
    users = set(
        in_range.filter(kind=EventKind.TRYON_REQUESTED)
        .exclude(visitor="")
        .filter(Exists(exposed_render))
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
        group["conversion_rate"] = (
            group["conversions"] / group["sessions"] if group["sessions"] else None
        )
        group["cart_rate"] = group["carts"] / group["sessions"] if group["sessions"] else None
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


def _daily(
    in_range: QuerySet[TryOnEvent], start: datetime, end: datetime, book: dict[str, Any]
) -> list[dict[str, Any]]:
    first_day, last_day = days_of(start, end)
    days: dict[date, dict[str, Any]] = {}
    day = first_day
    while day <= last_day:
        days[day] = {
            "day": day,
            **dict.fromkeys(_DAILY_KINDS.values(), 0),
            "revenue": Decimal(0),
        }
        day += timedelta(days=1)
    rows = (
        in_range.filter(kind__in=list(_DAILY_KINDS))
        .values("day", "kind")
        .annotate(n=Count("pk"), revenue=Sum("value"))
        .order_by()
    )
    for row in rows:
        if row["day"] in days:
            days[row["day"]][_DAILY_KINDS[row["kind"]]] += row["n"]
            if row["kind"] == EventKind.ORDER:
                days[row["day"]]["revenue"] += row["revenue"] or Decimal(0)
    for entry in book["daily"]:
        if entry["day"] in days:
            days[entry["day"]]["paid_calls"] = entry["paid_calls"]
    return list(days.values())


_PRODUCT_KINDS: dict[str, str] = {
    EventKind.WIDGET_RENDERED: "rendered",
    EventKind.DIALOG_OPENED: "opened",
    EventKind.TRYON_REQUESTED: "tryons",
    EventKind.TRYON_SUCCEEDED: "shown",
    EventKind.ADD_TO_CART: "carts",
    EventKind.ORDER: "orders",
}


def _products(in_range: QuerySet[TryOnEvent], book: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (
        in_range.filter(kind__in=list(_PRODUCT_KINDS), garment_pk__isnull=False)
        .values("garment_pk", "kind")
        .annotate(n=Count("pk"), revenue=Sum("value"))
        .order_by()
    )
    table: dict[int, dict[str, Any]] = {}

    def entry(pk: int) -> dict[str, Any]:
        if pk not in table:
            table[pk] = {"garment": pk, **dict.fromkeys(_PRODUCT_KINDS.values(), 0)}
            table[pk].update(revenue=Decimal(0), paid_calls=0, failed=0, reused=0)
        return table[pk]

    for row in rows:
        item = entry(int(row["garment_pk"] or 0))
        item[_PRODUCT_KINDS[row["kind"]]] += row["n"]
        if row["kind"] == EventKind.ORDER:
            item["revenue"] += row["revenue"] or Decimal(0)
    for pk, calls in book["by_product"].items():
        if pk is not None:
            item = entry(pk)
            item.update(
                paid_calls=calls["paid_calls"], failed=calls["failed"], reused=calls["reused"]
            )
    names = dict(Garment.objects.filter(pk__in=list(table)).values_list("pk", "name"))
    for pk, item in table.items():
        item["name"] = names.get(pk, f"(deleted garment {pk})")
    return sorted(table.values(), key=lambda item: (-item["rendered"], item["name"]))
