"""A bound on provider calls in flight for the whole shop, across processes and machines.

Why the database: it is the one thing every worker shares (``db_worker`` processes, RQ
workers on other machines, web processes running ``ImmediateBackend``), it needs no
extra service, and a conditional UPDATE is atomic on SQLite and PostgreSQL alike.

How: ``TRYON["MAX_CONCURRENT_CALLS"]`` rows of :class:`~tryon.models.ProviderCallSlot`
are leases. A worker takes a free (or expired) one with
``UPDATE ... WHERE number = n AND (holder = '' OR leased_until < now)``; exactly one
concurrent UPDATE of the same row can match, on PostgreSQL because the second one
re-checks the WHERE clause after the first commits, on SQLite because writes are
serialised. It frees the slot in ``finally``. A worker that dies mid-call cannot free
it, so every lease has an expiry (``PROVIDER_SLOT_LEASE``) after which it is taken over.
A job that finds every slot taken polls the table, at a small fraction of how long calls
hold a slot, so a freed slot does not sit idle for long whatever the provider's latency.

Shoppers before bulk runs: the first ``SHOPPER_RESERVED_CALLS`` slots are only ever
taken by ``source="shopper"`` jobs, so a catalogue run can never occupy every slot, and
shoppers poll more often than bulk jobs when they wait. (The task queue's priority,
``services.PRIORITY_BY_SOURCE``, also puts shopper jobs first where the backend
supports priorities.)
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from .conf import tryon_settings
from .connections import CONNECTION_ERRORS, close_if_lost
from .exceptions import ProviderBusyError
from .models import ProviderCallSlot, TryOnSource

logger = logging.getLogger("tryon.concurrency")

# How often a waiting job looks for a free slot: a fraction of how long a call holds
# one (measured in this process), so a slot freed by another process sits idle for only
# a few per cent of a call, while minute-long calls cost the database few polls.
# Shoppers look twice as often as staff and four times as often as bulk runs.
_POLL_SHARE: dict[str, float] = {TryOnSource.SHOPPER: 0.0125, TryOnSource.STAFF: 0.025}
_BULK_POLL_SHARE = 0.05
_POLL_BOUNDS = (0.005, 1.0)  # seconds
_FIRST_HOLD_GUESS = 2.0  # seconds, until this process has seen a call
_LEASE_MARGIN = 60  # seconds on top of the slowest legitimate call
# Wakes this process's waiting threads the moment one of its own slots is freed; slots
# freed by other processes are noticed by polling.
_released = threading.Condition()
_typical_hold = _FIRST_HOLD_GUESS  # moving average of how long this process holds a slot


@dataclass(frozen=True)
class Lease:
    number: int
    holder: str


@contextmanager
def provider_slot(source: str) -> Iterator[Lease | None]:
    """Hold one of the shop's provider-call slots while the body runs."""
    lease = acquire(source)
    taken = time.monotonic()
    try:
        yield lease
    finally:
        try:
            release(lease)
        except CONNECTION_ERRORS:
            # The lease expires on its own; an answer in hand is not lost for it.
            logger.warning(
                "Provider-call slot %d not freed: database connection lost", lease.number
            )
            close_if_lost()
        _observe_hold(time.monotonic() - taken)


def acquire(source: str, *, wait: float | None = None) -> Lease:
    """Take a slot, waiting up to ``wait`` seconds (default ``PROVIDER_SLOT_WAIT``)."""
    numbers = slot_numbers(source)
    limit = float(tryon_settings.PROVIDER_SLOT_WAIT) if wait is None else wait
    deadline = time.monotonic() + limit
    while True:
        lease = try_acquire(source, numbers)
        if lease is not None:
            return lease
        if time.monotonic() >= deadline:
            raise ProviderBusyError(
                f"No provider-call slot came free within {limit:g} s "
                f"(TRYON['MAX_CONCURRENT_CALLS'] is {max_calls()})."
            )
        # Jitter keeps waiting workers from polling in lockstep.
        with _released:
            _released.wait(poll_interval(source) * random.uniform(0.5, 1.5))


def try_acquire(source: str, numbers: Sequence[int] | None = None) -> Lease | None:
    """Take a free or expired slot at once, or return None."""
    numbers = list(slot_numbers(source) if numbers is None else numbers)
    now = timezone.now()
    free = _free_slots(numbers, now)
    if source == TryOnSource.SHOPPER:
        # A shopper takes a reserved slot first, leaving the shared ones to bulk runs.
        reserved = set(range(reserved_calls()))
        free.sort(key=lambda number: (number not in reserved, random.random()))
    else:
        random.shuffle(free)  # spread competing workers over different rows
    holder = uuid.uuid4().hex
    for number in free:
        taken = (
            ProviderCallSlot.objects.filter(number=number)
            .filter(_is_free(now))
            .update(holder=holder, source=source, leased_until=now + lease_duration())
        )
        if taken:
            return Lease(number, holder)
    return None


def release(lease: Lease | None) -> None:
    """Free a slot; a lease already taken over (it expired) is left to its new holder."""
    if lease is None:
        return
    ProviderCallSlot.objects.filter(number=lease.number, holder=lease.holder).update(
        holder="", source="", leased_until=None
    )
    with _released:
        _released.notify_all()  # any of them may be the one allowed this slot


def poll_interval(source: str) -> float:
    """Seconds between two looks for a free slot, for a job of ``source``."""
    share = _POLL_SHARE.get(source, _BULK_POLL_SHARE)
    low, high = _POLL_BOUNDS
    return min(high, max(low, share * _typical_hold))


def _observe_hold(seconds: float) -> None:
    global _typical_hold
    # An exponential moving average: recent calls count most, one odd call little.
    _typical_hold += 0.2 * (seconds - _typical_hold)


def max_calls() -> int:
    return max(1, int(tryon_settings.MAX_CONCURRENT_CALLS))


def reserved_calls() -> int:
    """Slots kept for shoppers; at least one slot is always left for everything else."""
    return min(max(0, int(tryon_settings.SHOPPER_RESERVED_CALLS)), max_calls() - 1)


def slot_numbers(source: str) -> range:
    """The slots a job of ``source`` may take."""
    if source == TryOnSource.SHOPPER:
        return range(max_calls())
    return range(reserved_calls(), max_calls())


def lease_duration() -> timedelta:
    configured = tryon_settings.PROVIDER_SLOT_LEASE
    if configured is not None:
        return timedelta(seconds=float(configured))
    attempts = int(tryon_settings.MAX_RETRIES) + 1
    backoff = float(tryon_settings.RETRY_BACKOFF) * (2 ** (attempts - 1) - 1)
    return timedelta(seconds=float(tryon_settings.TIMEOUT) * attempts + backoff + _LEASE_MARGIN)


def in_flight() -> int:
    """Provider calls in flight right now, shop-wide (leases held and not expired)."""
    return (
        ProviderCallSlot.objects.filter(number__lt=max_calls())
        .exclude(holder="")
        .filter(leased_until__gte=timezone.now())
        .count()
    )


def _is_free(now: datetime) -> Q:
    return Q(holder="") | Q(leased_until__isnull=True) | Q(leased_until__lt=now)


def _free_slots(numbers: list[int], now: datetime) -> list[int]:
    rows = {
        number: (holder, leased_until)
        for number, holder, leased_until in ProviderCallSlot.objects.filter(
            number__in=numbers
        ).values_list("number", "holder", "leased_until")
    }
    missing = [n for n in numbers if n not in rows]
    if missing:
        # First use, or MAX_CONCURRENT_CALLS was raised: create the missing rows. Any
        # process may do it; ignore_conflicts makes the race harmless.
        ProviderCallSlot.objects.bulk_create(
            [ProviderCallSlot(number=n) for n in missing], ignore_conflicts=True
        )
    free = list(missing)
    for number, (holder, leased_until) in rows.items():
        if not holder:
            free.append(number)
        elif leased_until is None or leased_until < now:
            logger.warning("Provider-call slot %d: lease expired, taking it over", number)
            free.append(number)
    return free
