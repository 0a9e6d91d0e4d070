"""Finding the jobs a dead worker left behind: the one recovery every caller uses.

A worker killed mid-job (OOM, a deploy, a lost machine) leaves its row ``running`` for
ever, and one killed between taking the task and starting the job leaves it
``pending`` with no task to run it: neither the task backends nor the job itself can
notice, something periodic has to: ``tryon_recover`` (from cron, every minute),
``tryon_pregenerate --wait`` (for the rows it follows) and staff.

What it does, each time (idempotent, a few indexed queries, never a provider call):

0. claims left by a finished row (its worker died while handing its outcome to the rows
   waiting for the same picture): the hand-off is finished (``tryon.abandoned``).
1. ``running`` rows whose job started longer ago than ``older_than``: the rule of
   ``tryon.abandoned``: queued again, or failed if a paid request was out (never
   re-sent).
2. ``pending`` rows nobody holds, queued again:
   - picked by a worker (``picked_at``) over a minute ago (or ``older_than``, if
     shorter) and still pending: the worker died before the job began. A row waiting
     for another job paying for the same picture (a live claim) is not lost: it is
     handed that job's outcome.
   - not picked, queued longer than ``older_than`` ago, whose task the task backend no
     longer holds (``get_result``: gone, finished, or started long ago): taken before
     the worker could mark it, or lost with the queue (a Redis flush). Only backends
     that can tell (``supports_get_result``: db_worker, RQ) are asked, at most
     :data:`TASK_LOOKUPS` rows a run, oldest first; others are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import abandoned
from .compat import TaskResultDoesNotExist, TaskResultStatus, task_backends
from .conf import tryon_settings
from .models import GenerationClaim, TryOn, TryOnStatus
from .tasks import enqueue_or_fail

logger = logging.getLogger("tryon.recovery")

_CHUNK = 500  # ids per query when recovery is limited to given rows
#: How long a picked row may stay pending before it counts as lost (jobs take their
#: row within milliseconds of starting).
PICKED_GRACE = timedelta(seconds=60)
#: How many not-picked rows a run asks the task backend about.
TASK_LOOKUPS = 200


@dataclass
class RecoveryReport:
    requeued: int = 0  # rows queued again (running ones set back to pending, lost pending)
    failed: int = 0  # rows failed: a paid request was out when their worker stopped
    handed_off: int = 0  # finished rows whose interrupted hand-off was completed


def recover_stale(
    older_than: timedelta | None = None,
    *,
    requeue_pending: bool = False,
    among: Sequence[Any] | None = None,
) -> int:
    """Re-queue jobs a dead worker left behind; the number re-queued (see :func:`recover`)."""
    return recover(older_than, requeue_pending=requeue_pending, among=among).requeued


def recover(
    older_than: timedelta | None = None,
    *,
    requeue_pending: bool = False,
    among: Sequence[Any] | None = None,
) -> RecoveryReport:
    """Apply the module's rules to every row, or to ``among`` (``tryon_pregenerate``'s).

    ``older_than`` (default ``STALE_RUNNING_AFTER``: no job runs that long) is when a
    running job is presumed dead. ``requeue_pending`` also queues again every pending row
    created that long ago, whatever its task says: once, after the queue lost its tasks,
    on a backend that cannot tell. A row the task backend then refuses is failed (and
    ``tryon_finished`` sent).
    """
    if older_than is None:  # not `or`: timedelta(0) is a valid age
        older_than = timedelta(seconds=int(tryon_settings.STALE_RUNNING_AFTER))
    now = timezone.now()
    report = RecoveryReport()
    report.handed_off = abandoned.finish_hand_offs()
    requeue: dict[Any, str] = {}
    for rows in _scopes(among):
        stale = rows.filter(status=TryOnStatus.RUNNING, started_at__lt=now - older_than)
        for pk, source, started_at in stale.values_list("pk", "source", "started_at"):
            settled = abandoned.settle(pk, started_at)
            if settled is abandoned.Settled.REQUEUE:
                logger.warning("Try-on %s: its worker stopped mid-job; queued again", pk)
                requeue[pk] = source
            elif settled is abandoned.Settled.FAILED:
                report.failed += 1
        pending = rows.filter(status=TryOnStatus.PENDING).exclude(pk__in=list(requeue))
        for pk, source in _lost_pending(pending, now, older_than):
            logger.warning("Try-on %s: its task was taken and lost; queued again", pk)
            requeue[pk] = source
        if requeue_pending:
            old = pending.filter(created_at__lt=now - older_than).exclude(pk__in=list(requeue))
            requeue.update(old.values_list("pk", "source"))
    for tryon_id, source in requeue.items():
        # After the commit: a worker must find the row pending when the task arrives.
        transaction.on_commit(partial(enqueue_or_fail, str(tryon_id), source))
    report.requeued = len(requeue)
    if requeue or report.failed:
        logger.warning(
            "Recovery: %d try-on job(s) queued again, %d failed with a paid request out",
            report.requeued,
            report.failed,
        )
    return report


def _lost_pending(
    pending: QuerySet[TryOn], now: datetime, older_than: timedelta
) -> Iterator[tuple[Any, str]]:
    """Pending rows whose task was taken (or lost) and which no job will ever run."""
    grace = min(older_than, PICKED_GRACE)
    waiting = _waiting_on_live_claims()
    picked = pending.filter(picked_at__lt=now - grace)
    for pk, source, fingerprint in picked.values_list("pk", "source", "fingerprint"):
        if waiting.get(fingerprint, pk) == pk:  # no live claim, or its own
            yield pk, source
    unpicked = (
        pending.filter(picked_at=None, queued_at__lt=now - older_than)
        .exclude(task_id="")
        .order_by("queued_at")
        .values_list("pk", "source", "fingerprint", "task_id")
    )
    for pk, source, fingerprint, task_id in unpicked[:TASK_LOOKUPS]:
        if waiting.get(fingerprint, pk) == pk and not _task_still_held(task_id, now - grace):
            yield pk, source


def _waiting_on_live_claims() -> dict[str, Any]:
    """Fingerprint -> the unfinished row holding its claim: rows of that fingerprint
    wait for it to hand them its outcome."""
    live = GenerationClaim.objects.filter(
        tryon__status__in=[TryOnStatus.PENDING, TryOnStatus.RUNNING]
    )
    return dict(live.values_list("fingerprint", "tryon_id"))


def _task_still_held(task_id: str, started_before: datetime) -> bool:
    """Whether the task backend still holds the task: queued, or started recently.

    True when it cannot tell (a backend without ``get_result``, or unreachable).
    """
    backend = task_backends[tryon_settings.TASK_BACKEND]
    if not getattr(backend, "supports_get_result", False):
        return True
    try:
        result = backend.get_result(task_id)
    except TaskResultDoesNotExist:
        return False
    except Exception:
        logger.warning("Could not ask the task backend about task %s", task_id, exc_info=True)
        return True
    if result.status == TaskResultStatus.READY:
        return True
    started = result.started_at
    return result.status == TaskResultStatus.RUNNING and (
        started is None or started >= started_before
    )


def _scopes(among: Sequence[Any] | None) -> Iterator[QuerySet[TryOn]]:
    """Every row at once, or the given rows in chunks (a SQL parameter list is bounded)."""
    if among is None:
        yield TryOn.objects.all()
        return
    ids = list(among)
    for start in range(0, len(ids), _CHUNK):
        yield TryOn.objects.filter(pk__in=ids[start : start + _CHUNK])
