"""Writing one event row: the only INSERT the analytics make on a shopper's request."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import TryOnEvent

logger = logging.getLogger("tryon.analytics")


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in the project's time zone."""
    if settings.USE_TZ and timezone.is_aware(moment):
        return timezone.localtime(moment).date()
    return moment.date()


def insert(kind: str, **fields: Any) -> bool:
    """Write one event; False (and a logged error) if the database refused it.

    Inside a transaction the INSERT gets a savepoint, so a failure here cannot break
    the caller's transaction; outside one it is a plain autocommitted INSERT.
    """
    now = timezone.now()
    event = TryOnEvent(kind=kind, created_at=now, day=local_day(now), **fields)
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                event.save(force_insert=True)
        else:
            event.save(force_insert=True)
    except (DatabaseError, ValueError, TypeError, ArithmeticError):
        logger.exception("tryon analytics: could not record a %s event", kind)
        return False
    return True
