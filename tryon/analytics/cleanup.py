"""Retention: events older than ``TRYON["ANALYTICS_RETENTION_DAYS"]`` are deleted.

``tryon_cleanup`` calls ``delete_expired_events()`` (and ``roll_up_closed_days()``, so the
dashboard's first view of a long range finds its daily totals ready). Deleting in
batches keeps each statement short, so a first run over a large table does not hold a
long lock. The daily totals of the days deleted go with them. An erasure request
(``tryon_forget``) deletes one person's events at once: ``forget_sessions()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from ..conf import tryon_settings
from .models import TryOnEvent, TryOnEventDay, TryOnVisitDay
from .store import local_day
from .visitors import SESSION_KEY, visitor_hash

_BATCH = 10_000


def retention_cutoff(now: datetime | None = None) -> datetime | None:
    """Events created before this are expired; None keeps them for ever."""
    days = tryon_settings.ANALYTICS_RETENTION_DAYS
    if days is None:
        return None
    return (now or timezone.now()) - timedelta(days=float(days))


def delete_expired_events(now: datetime | None = None, *, dry_run: bool = False) -> int:
    """Delete (or, with ``dry_run``, count) expired events; how many."""
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return 0
    expired = TryOnEvent.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return expired.count()
    deleted = 0
    while True:
        batch = list(expired.order_by("pk").values_list("pk", flat=True)[:_BATCH])
        if not batch:
            break
        deleted += TryOnEvent.objects.filter(pk__in=batch).delete()[0]
    # A day partly expired is partly counted: its totals go too.
    last_day = local_day(cutoff)
    TryOnEventDay.objects.filter(day__lte=last_day).delete()
    TryOnVisitDay.objects.filter(day__lte=last_day).delete()
    return deleted


def forget_sessions(session_keys: Iterable[str]) -> int:
    """Delete every event of these browser sessions (an erasure request); how many.

    Events carry only a keyed hash of the session they started in: the hash of each key,
    and the one the session itself remembers (it survives a key change at login).
    """
    visitors: set[int] = set()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        if not key:
            continue
        visitors.add(visitor_hash(key))
        remembered = store(session_key=key).get(SESSION_KEY)
        if isinstance(remembered, int) and not isinstance(remembered, bool) and remembered:
            visitors.add(remembered)
    if not visitors:
        return 0
    return TryOnEvent.objects.filter(visitor__in=visitors).delete()[0]
