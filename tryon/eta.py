"""How long a try-on has left, and when its shopper should look again.

The widget does not poll on a fixed backoff: every answer about a try-on carries

- ``eta_seconds``: seconds until it is expected to end, from the moment of the answer
  (``None`` once it has ended, or while the shop has no figures yet);
- ``poll_after_ms``: when to send the next ``GET`` (``None`` once it has ended), also sent
  as the header ``X-Poll-After-Ms`` (``Retry-After`` allows whole seconds only).

The estimate uses figures the shop already records: the median job time
(``finished_at - started_at``) and pick-up time (``started_at - created_at``) of the last
``SAMPLE_SIZE`` paid try-ons, cached for ``TIMINGS_TTL`` seconds; and, for a try-on still
queued, how many shopper try-ons were queued before it, the provider-call slots
(``MAX_CONCURRENT_CALLS``) still free, and when the running calls should end (when the
queue shows every worker busy, only those). A queued try-on is looked at just after its
expected start, since from then on the estimate is the call's own.

The hint aims the first look just after the expected end (a long wait is cut into even
parts of at most ``MAX_WAIT``), looks every ``NEAR`` seconds around it, and spaces the
looks out as a job runs late (half its lateness, at most ``MAX_WAIT``): a try-on that ends
on time is seen after one or two looks, within about ``NEAR`` of its end, and a late one
costs a handful. The widget adds its own bounds (on average one request a second, twenty
per try-on, and it gives up), whatever it is told.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from .conf import tryon_settings
from .models import TryOn, TryOnSource, TryOnStatus

SAMPLE_SIZE = 20  # recent paid try-ons the medians are taken over
TIMINGS_TTL = 5.0  # seconds the medians are reused (one query per process per TTL)
NEAR = 0.25  # seconds between looks around the expected end
MARGIN = 0.05  # a look just before the end is wasted: aim this much after it
MAX_WAIT = 10.0  # the longest gap between looks, so the status and the ETA stay fresh
LATE_SHARE = 0.5  # a job late by T is looked at again after T x this
UNKNOWN_FIRST = 1.0  # with no figures yet: the first look after this many seconds,
UNKNOWN_MAX = 3.0  # then half the time waited so far, up to this

QUEUED = 1.0  # a try-on expected to start later than this is queued: look at its start
QUEUE_SLACK = timedelta(seconds=1)  # pending longer than a pick-up and this: workers busy
_RUNNING_LOOKED_AT = 500  # running try-ons read to tell when slots come free

HEADER = "X-Poll-After-Ms"
_CACHE_KEY = "tryon:eta:timings"


@dataclass(frozen=True)
class Timings:
    """Medians of recent paid try-ons, in seconds; ``None`` with no sample."""

    job: float | None
    pickup: float | None
    samples: int


@dataclass(frozen=True)
class PollHint:
    poll_after_ms: int | None
    eta_seconds: float | None

    def fields(self) -> dict[str, Any]:
        return {"poll_after_ms": self.poll_after_ms, "eta_seconds": self.eta_seconds}

    def headers(self) -> dict[str, str]:
        return {} if self.poll_after_ms is None else {HEADER: str(self.poll_after_ms)}


FINISHED = PollHint(poll_after_ms=None, eta_seconds=None)


def recent_timings() -> Timings:
    """The medians of the last ``SAMPLE_SIZE`` paid try-ons (cached briefly)."""
    cached = cache.get(_CACHE_KEY)
    if isinstance(cached, Timings):
        return cached
    # Newest first by created_at (indexed), so the scan stops after SAMPLE_SIZE rows.
    rows = list(
        TryOn.objects.filter(
            status=TryOnStatus.SUCCEEDED,
            provider_calls__gt=0,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .order_by("-created_at")
        .values_list("source", "created_at", "started_at", "finished_at")[:SAMPLE_SIZE]
    )
    jobs: list[float] = []
    pickups: list[float] = []
    for source, created, started, finished in rows:
        if started is None or finished is None:  # excluded by the query; for the types
            continue
        jobs.append((finished - started).total_seconds())
        if source == TryOnSource.SHOPPER:
            pickups.append((started - created).total_seconds())
    timings = Timings(
        job=max(statistics.median(jobs), 0.0) if jobs else None,
        pickup=max(statistics.median(pickups), 0.0) if pickups else None,
        samples=len(rows),
    )
    cache.set(_CACHE_KEY, timings, TIMINGS_TTL)
    return timings


def poll_after(remaining: float | None, waited: float) -> float:
    """Seconds until the next look, given the seconds ``remaining`` to the expected end
    (negative: late; ``None``: unknown) and the seconds ``waited`` since the request."""
    if remaining is None:
        return min(max(UNKNOWN_FIRST, waited * 0.5), UNKNOWN_MAX)
    if remaining > MAX_WAIT:
        # Looks evenly spaced, so that the last one lands at the end, not just before it.
        return remaining / math.ceil(remaining / MAX_WAIT)
    if remaining > NEAR:
        return remaining + MARGIN
    late = max(-remaining, 0.0)
    return min(max(NEAR, late * LATE_SHARE), MAX_WAIT)


@dataclass(frozen=True)
class Expected:
    start: datetime | None  # None: the provider call has started
    end: datetime


def expected(tryon: TryOn, timings: Timings, now: datetime) -> Expected | None:
    """When ``tryon`` should start and end, or None when there are no figures to tell."""
    if timings.job is None:
        return None
    job = timedelta(seconds=timings.job)
    if tryon.status == TryOnStatus.RUNNING and tryon.started_at is not None:
        return Expected(start=None, end=tryon.started_at + job)
    start = _expected_start(tryon, timings, now)
    return Expected(start=start, end=start + job)


def _expected_start(tryon: TryOn, timings: Timings, now: datetime) -> datetime:
    job = timedelta(seconds=timings.job or 0.0)
    pickup = timedelta(seconds=timings.pickup or 0.0)
    picked_up = max(tryon.created_at + pickup, now)
    ahead = _queued_ahead(tryon).aggregate(count=Count("pk"), oldest=Min("created_at"))
    turn = int(ahead["count"])
    running: list[datetime] = [
        started
        for started in TryOn.objects.filter(status=TryOnStatus.RUNNING, started_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", flat=True)[:_RUNNING_LOOKED_AT]
        if started is not None
    ]
    capacity = max(int(tryon_settings.MAX_CONCURRENT_CALLS), 1)
    oldest = ahead["oldest"]
    if oldest is not None and oldest < now - pickup - QUEUE_SLACK:
        # Try-ons ahead wait longer than a pick-up: every worker is busy (there may be
        # fewer workers than slots), so only the running ones' ends free one.
        capacity = len(running)
    free = max(capacity - len(running), 0)
    if turn < free or not running:
        return picked_up
    # The slots come free as the running calls end, then every ``job`` again: ours is
    # the one after the ``turn`` try-ons ahead of us have had theirs.
    ends: list[datetime] = sorted(max(started + job, now) for started in running)
    rounds, index = divmod(turn - free, len(ends))
    return max(picked_up, ends[index] + rounds * job)


def _queued_ahead(tryon: TryOn) -> QuerySet[TryOn]:
    """Pending try-ons a worker takes before this one (shoppers' go first)."""
    older = TryOn.objects.filter(status=TryOnStatus.PENDING, created_at__lt=tryon.created_at)
    if tryon.source == TryOnSource.SHOPPER:
        older = older.filter(source=TryOnSource.SHOPPER)
    return older


def poll_hint(tryon: TryOn, now: datetime | None = None) -> PollHint:
    """What to tell the shopper waiting for ``tryon``."""
    if tryon.is_finished:
        return FINISHED
    now = now or timezone.now()
    waited = max((now - tryon.created_at).total_seconds(), 0.0)
    guess = expected(tryon, recent_timings(), now)
    if guess is None:
        return PollHint(round(poll_after(None, waited) * 1000), None)
    remaining = (guess.end - now).total_seconds()
    until = remaining
    if guess.start is not None and (guess.start - now).total_seconds() > QUEUED:
        # Queued: its start is the least certain part, so look just after it; from then
        # on the estimate is the call's own (started_at + the usual job time).
        until = (guess.start - now).total_seconds()
    return PollHint(
        poll_after_ms=round(poll_after(until, waited) * 1000),
        eta_seconds=round(max(remaining, 0.0), 1),
    )
