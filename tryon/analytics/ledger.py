"""The credit ledger: what the paid provider calls were spent on, and what was saved.

Paid calls per day come from ``tryon.models.DailyUsage``, the counter the daily cap
uses (exact: retries included, never given back when try-ons are deleted). The split by
source (shopper, preview, staff) and by product comes from the ``job_succeeded`` /
``job_failed`` events recorded when each try-on finished (its ``provider_calls``,
``source``, ``garment``, reuse and error code: kept after shopper results expire), and,
for try-ons still stored that have no such event (finished before analytics were on),
from the ``TryOn`` rows themselves. Calls the counter has but no try-on explains are
reported as unattributed, not hidden.

A request answered from an earlier identical result (``TryOn.reused_from``) made no
call: each saved at least one credit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum

from ..backends.codes import describe_code
from ..conf import tryon_settings
from ..models import DailyUsage, TryOn, TryOnStatus
from .models import JOB_KINDS, EventKind, TryOnEvent
from .rollup import totals
from .store import local_day

NO_CODE = "none"


@dataclass
class ProductCalls:
    tryons: int = 0
    paid_calls: int = 0
    failed: int = 0
    reused: int = 0


@dataclass
class _Tally:
    by_source: Counter[str] = field(default_factory=Counter)
    by_product: defaultdict[int | None, ProductCalls] = field(
        default_factory=lambda: defaultdict(ProductCalls)
    )
    failures: Counter[int | None] = field(default_factory=Counter)
    answered_without_call: int = 0
    finished: int = 0

    def add(self, row: dict[str, Any], *, succeeded: bool, reused: bool) -> None:
        count, calls = int(row["n"]), int(row["calls"] or 0)
        self.finished += count
        self.by_source[str(row["source"] or "unknown")] += calls
        product = self.by_product[row["garment"]]
        product.tryons += count
        product.paid_calls += calls
        if succeeded and reused:
            self.answered_without_call += count
            product.reused += count
        if not succeeded:
            self.failures[row["code"]] += count
            product.failed += count


def days_of(start: datetime, end: datetime) -> tuple[date, date]:
    """First and last local day of the range ``[start, end)``."""
    return local_day(start), local_day(end - timedelta(microseconds=1))


def _tally_rows(tally: _Tally, start: datetime, end: datetime) -> None:
    recorded = TryOnEvent.objects.filter(kind__in=JOB_KINDS, tryon_id=OuterRef("pk"))
    rows = (
        TryOn.objects.filter(
            finished_at__gte=start,
            finished_at__lt=end,
            status__in=[TryOnStatus.SUCCEEDED, TryOnStatus.FAILED],
        )
        .filter(~Exists(recorded))
        .annotate(is_reused=Q(reused_from__isnull=False))
        .values("source", "garment_id", "status", "is_reused", "error_code")
        .annotate(n=Count("pk"), calls=Sum("provider_calls"))
        .order_by()
    )
    for row in rows:
        tally.add(
            {
                "source": row["source"],
                "garment": row["garment_id"],
                "code": row["error_code"],
                "n": row["n"],
                "calls": row["calls"],
            },
            succeeded=row["status"] == TryOnStatus.SUCCEEDED,
            reused=bool(row["is_reused"]),
        )


def _tally_events(tally: _Tally, start: datetime, end: datetime) -> None:
    by = ["kind", "source", "garment_pk", "reused", "code"]
    for (kind, source, garment, reused, code), measures in totals(
        start, end, by, kinds=JOB_KINDS
    ).items():
        tally.add(
            {
                "source": source,
                "garment": garment or None,
                "code": code or None,
                "n": measures["events"],
                "calls": measures["calls"],
            },
            succeeded=kind == EventKind.JOB_SUCCEEDED,
            reused=bool(reused),
        )


def _cap() -> int | None:
    limit = tryon_settings.DAILY_PAID_CALL_LIMIT
    return None if limit is None else int(limit)


def ledger(start: datetime, end: datetime) -> dict[str, Any]:
    """The ledger of ``[start, end)`` (aware datetimes) as plain data."""
    first_day, last_day = days_of(start, end)
    usage = dict(
        DailyUsage.objects.filter(day__gte=first_day, day__lte=last_day).values_list(
            "day", "paid_calls"
        )
    )
    limit = _cap()
    daily: list[dict[str, Any]] = []
    day = first_day
    while day <= last_day:
        calls = int(usage.get(day, 0))
        daily.append(
            {"day": day, "paid_calls": calls, "cap_reached": limit is not None and calls >= limit}
        )
        day += timedelta(days=1)
    tally = _Tally()
    _tally_rows(tally, start, end)
    _tally_events(tally, start, end)
    paid_calls = sum(usage.values())
    attributed = sum(tally.by_source.values())
    alerts = TryOnEvent.objects.filter(
        kind=EventKind.BUDGET_ALERT, day__gte=first_day, day__lte=last_day
    ).values_list("day", flat=True)
    return {
        "paid_calls": paid_calls,
        "daily": daily,
        "by_source": dict(sorted(tally.by_source.items())),
        "unattributed_calls": max(0, paid_calls - attributed),
        "by_product": {pk: vars(calls) for pk, calls in tally.by_product.items()},
        "finished_tryons": tally.finished,
        "answered_without_call": tally.answered_without_call,
        "credits_saved": tally.answered_without_call,
        "failures": [
            {
                "code": NO_CODE if code is None else code,
                "count": count,
                "description": describe_code(code)
                if code is not None
                else "No provider code: a network error, an unusable image, or our side.",
            }
            for code, count in tally.failures.most_common()
        ],
        "cap": {
            "limit": limit,
            "days_reached": sum(1 for row in daily if row["cap_reached"]),
            "busiest_day": max(daily, key=lambda row: row["paid_calls"])["day"] if daily else None,
            "busiest_share": (
                max(row["paid_calls"] for row in daily) / limit if daily and limit else None
            ),
        },
        "budget_alert": tryon_settings.DAILY_BUDGET_ALERT,
        "budget_alert_days": sorted(alerts),
    }
