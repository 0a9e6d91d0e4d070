"""Re-queueing jobs a dead worker left behind: the one recovery every caller uses.

A worker killed mid-job (OOM, a deploy, a lost machine) leaves its row ``running``
for ever: neither the task backends nor the job itself can notice, something periodic
has to: ``tryon_recover`` (from cron), ``tryon_pregenerate --wait`` (for the rows it
follows) and staff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import state
from .conf import tryon_settings
from .models import TryOn, TryOnStatus
from .tasks import enqueue_or_fail

logger = logging.getLogger("tryon.recovery")

_CHUNK = 500  # ids per query when recovery is limited to given rows


def recover_stale(
    older_than: timedelta | None = None,
    *,
    requeue_pending: bool = False,
    among: Sequence[Any] | None = None,
) -> int:
    """Re-queue jobs a dead worker left behind; the number re-queued.

    A ``running`` row whose job started longer ago than ``older_than`` (default
    ``STALE_RUNNING_AFTER``: no job runs that long) is presumed abandoned, set back to
    ``pending`` and enqueued again. With ``requeue_pending`` every ``pending`` row
    created that long ago is enqueued again too (after the queue itself lost its
    tasks): not by default, since in a long catalogue run thousands of rows wait in the
    queue legitimately, and a periodic run would enqueue each of them again every time.
    Enqueueing twice is harmless otherwise: only one job can take a pending row.
    ``among`` limits recovery to those rows (``tryon_pregenerate --wait``'s own).

    A row the task backend then refuses is failed (and ``tryon_finished`` sent).
    """
    if older_than is None:  # not `or`: timedelta(0) is a valid age
        older_than = timedelta(seconds=int(tryon_settings.STALE_RUNNING_AFTER))
    cutoff = timezone.now() - older_than
    requeued: list[tuple[Any, str]] = []
    with transaction.atomic():
        for rows in _scopes(among):
            stale = rows.filter(status=TryOnStatus.RUNNING, started_at__lt=cutoff)
            for pk, source, started_at in stale.values_list("pk", "source", "started_at"):
                if state.requeue_running(pk, started_at):
                    logger.warning("Try-on %s: its worker stopped mid-job; queued again", pk)
                    requeued.append((pk, source))
            if requeue_pending:
                pending = rows.filter(status=TryOnStatus.PENDING, created_at__lt=cutoff)
                reset = [pk for pk, _source in requeued]
                requeued += list(pending.exclude(pk__in=reset).values_list("pk", "source"))
        # After the commit: a worker must find the rows pending when the task arrives.
        for tryon_id, source in requeued:
            transaction.on_commit(partial(enqueue_or_fail, str(tryon_id), source))
    if requeued:
        logger.warning("Re-queued %d try-on jobs left behind by a stopped worker", len(requeued))
    return len(requeued)


def _scopes(among: Sequence[Any] | None) -> Iterator[QuerySet[TryOn]]:
    """Every row at once, or the given rows in chunks (a SQL parameter list is bounded)."""
    if among is None:
        yield TryOn.objects.all()
        return
    ids = list(among)
    for start in range(0, len(ids), _CHUNK):
        yield TryOn.objects.filter(pk__in=ids[start : start + _CHUNK])
