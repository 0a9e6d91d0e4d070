"""The daily budget alert: a signal and one mail to ``ADMINS`` when paid calls cross it.

``TRYON["DAILY_BUDGET_ALERT"]`` (a number of paid provider calls, default None: off) is
checked each time a try-on finishes (``events.record_tryon_finished``). The first check
of a day that finds today's paid calls at or past it sends ``budget_alert`` and mails
the site's ``ADMINS``; a row in the events table, unique per day, makes that happen once
a day however many workers cross it at the same moment. The alert is about money, so it
works with ``TRYON["ANALYTICS"] = False`` too (its row names no one).
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import mail_admins
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from ..conf import tryon_settings
from ..models import DailyUsage
from ..signals import budget_alert
from .models import EventKind, TryOnEvent

logger = logging.getLogger("tryon.analytics")


def today() -> date:
    return timezone.localdate() if settings.USE_TZ else date.today()


def budget_threshold() -> int | None:
    threshold = tryon_settings.DAILY_BUDGET_ALERT
    try:
        return None if threshold is None else int(threshold)
    except (TypeError, ValueError):
        logger.error("TRYON['DAILY_BUDGET_ALERT'] must be a whole number or None.")
        return None


def check_budget_alert() -> bool:
    """Send today's alert if paid calls reached the threshold; True if sent now."""
    threshold = budget_threshold()
    if threshold is None:
        return False
    try:
        day = today()
        usage = DailyUsage.objects.filter(day=day).values_list("paid_calls", flat=True).first()
        paid_calls = int(usage or 0)
        if paid_calls < threshold or _already_sent(day):
            return False
        if not _claim(day, paid_calls):
            return False
    except DatabaseError:
        logger.exception("tryon analytics: could not check the daily budget alert")
        return False
    _send(day, paid_calls, threshold)
    return True


def _already_sent(day: date) -> bool:
    return TryOnEvent.objects.filter(kind=EventKind.BUDGET_ALERT, day=day).exists()


def _claim(day: date, paid_calls: int) -> bool:
    """Insert today's alert row; False if another process did first."""
    try:
        with transaction.atomic():
            TryOnEvent.objects.create(
                kind=EventKind.BUDGET_ALERT,
                created_at=timezone.now(),
                day=day,
                calls=paid_calls,
            )
    except IntegrityError:
        return False
    return True


def _send(day: date, paid_calls: int, threshold: int) -> None:
    try:
        budget_alert.send(sender=DailyUsage, day=day, paid_calls=paid_calls, threshold=threshold)
    except Exception:  # a receiver's bug must not stop the mail
        logger.exception("tryon analytics: a budget_alert receiver failed")
    limit = tryon_settings.DAILY_PAID_CALL_LIMIT
    cap = f"The daily cap (TRYON['DAILY_PAID_CALL_LIMIT']) is {limit}." if limit else "No cap."
    logger.warning(
        "Try-on paid calls today (%s): %s, past the alert at %s", day, paid_calls, threshold
    )
    try:  # the alert must not break the job that crossed it (Django 6 drops fail_silently)
        mail_admins(
            f"Try-on: {paid_calls} paid provider calls today",
            (
                f"Paid provider calls on {day}: {paid_calls}, past TRYON['DAILY_BUDGET_ALERT'] "
                f"= {threshold}.\n{cap}\nThis mail is sent once a day. The admin's "
                "'Try-on analytics' page has the ledger by product and source."
            ),
        )
    except Exception:
        logger.exception("The daily budget alert mail could not be sent")
