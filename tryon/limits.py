"""The store-wide daily cap on paid provider calls (``TRYON['DAILY_PAID_CALL_LIMIT']``).

Credits are money: past the cap, no new paid call is made until the next day (midnight
in the project's time zone). The count is a counter of its own (``DailyUsage``), and a
paid request takes its unit *before* it is sent (:func:`reserve_paid_call`, one
conditional UPDATE ``paid_calls < limit``): on PostgreSQL a second concurrent UPDATE
re-checks the condition once the first commits, SQLite serialises writes, so however
many workers race, exactly ``limit`` requests go out and never one more. A request
that is never answered stays counted: the provider may have charged it.

The job engine also checks before it waits for a provider slot (no wait for nothing);
the REST API checks before it accepts a try-on that would need a call, so shoppers hear
"unavailable today" at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .conf import tryon_settings
from .exceptions import LimitExceededError


def start_of_today() -> datetime:
    """Midnight today, in the current time zone (aware when ``USE_TZ``)."""
    now = timezone.localtime() if settings.USE_TZ else timezone.now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def seconds_until_tomorrow() -> int:
    """Seconds until the daily counters start again (at least 1)."""
    tomorrow = start_of_today() + timedelta(days=1)
    return max(1, int((tomorrow - timezone.now()).total_seconds()) + 1)


def daily_paid_call_limit() -> int | None:
    limit = tryon_settings.DAILY_PAID_CALL_LIMIT
    return None if limit is None else int(limit)


def paid_calls_today() -> int:
    """Paid provider calls made since midnight (retries included)."""
    from .models import DailyUsage

    usage = DailyUsage.objects.filter(day=start_of_today().date()).first()
    return usage.paid_calls if usage else 0


def reserve_paid_call() -> None:
    """Take one unit of today's cap for a request about to be sent, or raise.

    ``LimitExceededError`` when the cap is reached; nothing is counted then. Call it
    in the same transaction as the write that records the request (``tryon.paid``).
    """
    from .models import DailyUsage

    limit = daily_paid_call_limit()
    today = start_of_today().date()
    rows = DailyUsage.objects.filter(day=today)
    if limit is not None:
        rows = rows.filter(paid_calls__lt=limit)
    if rows.update(paid_calls=F("paid_calls") + 1):
        return
    # No unit left, or no row for today yet: create it (a row another worker is creating
    # right now is waited for, then left as it is) and ask once more.
    DailyUsage.objects.bulk_create([DailyUsage(day=today, paid_calls=0)], ignore_conflicts=True)
    if rows.update(paid_calls=F("paid_calls") + 1):
        return
    raise LimitExceededError(
        f"The store-wide daily cap of {limit} paid provider calls "
        "(TRYON['DAILY_PAID_CALL_LIMIT']) is reached."
    )


def record_paid_calls(calls: int) -> None:
    """Add ``calls`` to today's count after the fact, safely from many workers at once.

    Only for a backend that does not report its attempts before sending them
    (``BaseBackend.paid_attempts``): those cannot be held to the cap exactly.
    """
    from .models import DailyUsage

    if calls <= 0:
        return
    today = start_of_today().date()
    if not DailyUsage.objects.filter(day=today).update(paid_calls=F("paid_calls") + calls):
        try:
            with transaction.atomic():
                DailyUsage.objects.create(day=today, paid_calls=calls)
        except IntegrityError:  # another worker created today's row first
            DailyUsage.objects.filter(day=today).update(paid_calls=F("paid_calls") + calls)


def daily_cap_reached() -> bool:
    limit = daily_paid_call_limit()
    return limit is not None and paid_calls_today() >= limit


def check_paid_call_allowed() -> None:
    """Raise ``LimitExceededError`` when a new paid provider call would pass a cap."""
    if daily_cap_reached():
        raise LimitExceededError(
            f"The store-wide daily cap of {daily_paid_call_limit()} paid provider calls "
            "(TRYON['DAILY_PAID_CALL_LIMIT']) is reached."
        )


def backend_is_paid() -> bool:
    """Whether the configured backend spends credits (the offline preview does not)."""
    from .backends import get_backend

    return bool(get_backend().is_paid)


def shopper_cap_reached() -> bool:
    """Whether new shopper try-ons should be refused today (only a paid backend has a cap)."""
    return daily_paid_call_limit() is not None and backend_is_paid() and daily_cap_reached()
