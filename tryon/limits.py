"""The store-wide daily cap on paid provider calls (``TRYON['DAILY_PAID_CALL_LIMIT']``).

Credits are money: past the cap, no new paid call is made until the next day (midnight
in the project's time zone). The count is what the database records: the sum of
``TryOn.provider_calls`` of the jobs started today, retries included. Calls still in
flight are not counted yet, so with several workers the cap can be passed by at most the
number of calls in flight (``MAX_CONCURRENT_CALLS``).

The job engine checks before every paid call; the REST API checks before it accepts a
try-on that would need one, so shoppers hear "unavailable today" at once.
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


def record_paid_calls(calls: int) -> None:
    """Add ``calls`` to today's count, safely from many workers at once."""
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
