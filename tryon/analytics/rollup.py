"""Daily totals, so the dashboard reads a few thousand rows instead of every event.

A day is summed once it is over by a full day (``today - 2`` and older, in the project's
time zone: nothing is recorded into it any more), the first time a range that covers it
is asked for (or by ``roll_up_closed_days()`` from ``tryon_cleanup``). Events of the
last two days, and of partial days at the ends of a range, are read live.

``totals()`` sums events, sessions that joined the experiment (``assigned``), order
values, waits and paid calls over any grouping of day, kind, arm, garment, source,
reuse and error code (``GRAIN``);
``visits()`` counts each session once per day (a visit) per kind and arm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import EventKind, TryOnEvent, TryOnEventDay, TryOnVisitDay
from .store import local_day

MEASURES = ("events", "assignments", "value", "wait_ms", "waits", "calls")
GRAIN = ("day", "kind", "arm", "garment_pk", "source", "reused", "code")
_MARKER = ""  # the kind of the row that marks a day as summed


def _midnight(day: date) -> datetime:
    moment = datetime.combine(day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def split(start: datetime, end: datetime) -> tuple[list[date], list[tuple[datetime, datetime]]]:
    """The closed whole days inside ``[start, end)``, and the time ranges left to read live."""
    last_closed = timezone.localdate() - timedelta(days=2)
    first = local_day(start)
    if _midnight(first) < start:
        first += timedelta(days=1)
    days = []
    day = first
    while day <= last_closed and _midnight(day + timedelta(days=1)) <= end:
        days.append(day)
        day += timedelta(days=1)
    if not days:
        return [], [(start, end)]
    live = [(start, _midnight(days[0])), (_midnight(days[-1] + timedelta(days=1)), end)]
    return days, [(low, high) for low, high in live if low < high]


def roll_up(days: Sequence[date]) -> int:
    """Sum the given closed days that are not summed yet; how many were summed."""
    if not days:
        return 0
    done = set(
        TryOnEventDay.objects.filter(kind=_MARKER, day__in=days).values_list("day", flat=True)
    )
    missing = sorted(set(days) - done)
    if not missing:
        return 0
    events = TryOnEvent.objects.filter(
        created_at__gte=_midnight(missing[0]),
        created_at__lt=_midnight(missing[-1] + timedelta(days=1)),
        day__in=missing,
    ).exclude(kind=EventKind.BUDGET_ALERT)
    totals = [
        TryOnEventDay(**{field: row[field] for field in (*GRAIN, *MEASURES)})
        for row in _measured(_grouped(events, GRAIN))
    ]
    visits = [
        TryOnVisitDay(**row)
        for row in events.exclude(visitor=0)
        .values("day", "kind", "arm")
        .annotate(visits=Count("visitor", distinct=True))
        .order_by()
    ]
    markers = [TryOnEventDay(day=day, kind=_MARKER) for day in missing]
    try:
        with transaction.atomic():
            TryOnEventDay.objects.bulk_create([*totals, *markers])
            TryOnVisitDay.objects.bulk_create(visits)
    except IntegrityError:  # another process summed these days at the same moment
        return 0
    return len(missing)


def roll_up_closed_days(days_back: int = 400) -> int:
    """Sum every closed day of the last ``days_back`` that has events (for cron)."""
    last = timezone.localdate() - timedelta(days=2)
    first = last - timedelta(days=days_back)
    days = TryOnEvent.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True)
    return roll_up(sorted(set(days.distinct())))


def _grouped(events: QuerySet[TryOnEvent], by: Sequence[str]) -> QuerySet[Any, Any]:
    """``events.values(*by)`` as the daily totals have them: no garment or code is 0."""
    plain = [field for field in by if field not in _ZERO_FOR_NONE]
    zeroed = {f"g_{field}": Coalesce(field, Value(0)) for field in by if field in _ZERO_FOR_NONE}
    return events.values(*plain, **zeroed)


_ZERO_FOR_NONE = ("garment_pk", "code")


def _measured(rows: QuerySet[Any, Any]) -> Iterable[dict[str, Any]]:
    """The measures of each group of events (annotations named apart from the fields)."""
    annotated = rows.annotate(
        m_events=Count("pk"),
        m_assignments=Count("pk", filter=Q(assigned=True)),
        m_value=Sum("value"),
        m_wait_ms=Coalesce(Sum("wait_ms"), 0),
        m_waits=Count("wait_ms"),
        m_calls=Coalesce(Sum("calls"), 0),
    ).order_by()
    return (_unprefixed(row) for row in annotated)


def _unprefixed(row: dict[str, Any]) -> dict[str, Any]:
    return {key.removeprefix("m_").removeprefix("g_"): value for key, value in row.items()}


def totals(
    start: datetime, end: datetime, by: Sequence[str], kinds: Sequence[str] = ()
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Measures of ``[start, end)`` grouped by ``by`` (fields of ``GRAIN``), of ``kinds``
    only if given."""
    days, live = split(start, end)
    roll_up(days)
    result: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    if days:
        summed = (
            _of_kinds(TryOnEventDay.objects.filter(day__gte=days[0], day__lte=days[-1]), kinds)
            .exclude(kind=_MARKER)
            .values(*by)
            .annotate(**{f"m_{measure}": Sum(measure) for measure in MEASURES})
            .order_by()
        )
        _add(result, (_unprefixed(row) for row in summed), by)
    for low, high in live:
        events = _of_kinds(
            TryOnEvent.objects.filter(created_at__gte=low, created_at__lt=high), kinds
        ).exclude(kind=EventKind.BUDGET_ALERT)
        _add(result, _measured(_grouped(events, by)), by)
    return dict(result)


def _of_kinds(rows: QuerySet[Any], kinds: Sequence[str]) -> QuerySet[Any]:
    return rows.filter(kind__in=kinds) if kinds else rows


def _add(
    result: dict[tuple[Any, ...], dict[str, Any]], rows: Iterable[dict[str, Any]], by: Sequence[str]
) -> None:
    for row in rows:
        key = tuple(row[field] for field in by)
        entry = result[key]
        for measure in MEASURES:
            entry[measure] = (entry[measure] or 0) + (row[measure] or 0)


def visits(start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """(kind, arm) -> visits: each session counted once a day it did that."""
    days, live = split(start, end)
    roll_up(days)
    result: dict[tuple[str, str], int] = defaultdict(int)
    if days:
        summed = (
            TryOnVisitDay.objects.filter(day__gte=days[0], day__lte=days[-1])
            .values("kind", "arm")
            .annotate(n=Sum("visits"))
            .order_by()
        )
        for row in summed:
            result[(row["kind"], row["arm"])] += row["n"]
    for low, high in live:
        rows = (
            TryOnEvent.objects.filter(created_at__gte=low, created_at__lt=high)
            .exclude(visitor=0)
            .values("day", "kind", "arm")
            .annotate(n=Count("visitor", distinct=True))
            .order_by()
        )
        for row in rows:
            result[(row["kind"], row["arm"])] += row["n"]
    return dict(result)
