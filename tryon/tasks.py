"""The task layer, on the Django Tasks API: putting ``run_tryon`` on the queue, and
running it. Arguments are JSON-safe (ids as strings).

Everything that enqueues comes through :func:`enqueue` (or :func:`enqueue_or_fail`,
which fails the row cleanly when the task backend refuses it), and everything that
runs a job through :func:`execute_tryon`, which queues again the rows a job hands back.

Two things make a row whose task was lost findable (``tryon.recovery``): the row
records the task's id and when it was queued, and a worker starting the task marks it
``picked_at`` (the task backends' ``task_started`` signal, sent by ``db_worker`` and
RQ's work-horse before the job runs). A row still ``pending`` long after a worker
picked it was never run: the worker died in between.

A worker's database connection may be cut at any time: ``execute_tryon`` closes a lost
one before and after each job (what ``close_old_connections`` does around a request),
so the task backend can record the task's outcome and the worker goes on serving.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from . import state
from .compat import InvalidTaskBackendError, task, task_backends, task_started
from .conf import tryon_settings
from .connections import CONNECTION_ERRORS, close_lost_connections
from .jobs import run_job
from .models import TryOn, TryOnSource, TryOnStatus

logger = logging.getLogger("tryon.tasks")

# Shoppers wait on the page; catalogue previews can wait in the queue.
PRIORITY_BY_SOURCE: dict[str, int] = {
    TryOnSource.SHOPPER: 10,
    TryOnSource.STAFF: 0,
    TryOnSource.PREVIEW: -10,
}


@task()
def run_tryon(tryon_id: str) -> str:
    """Generate one TryOn. Safe to deliver twice: a row already taken is left alone."""
    return execute_tryon(str(tryon_id))


def execute_tryon(tryon_id: str) -> str:
    """What the worker does for ``run_tryon``; the row's status afterwards."""
    close_lost_connections()  # cut while the worker idled
    try:
        outcome = run_job(tryon_id)
        for row in outcome.requeue:
            enqueue_or_fail(str(row.pk), row.source)
    except CONNECTION_ERRORS:
        # The database is unreachable even on a new connection: the row stays as it is
        # for recovery. Close the dead connection so that the task backend records the
        # failure on a new one instead of raising (and killing the worker) too.
        close_lost_connections()
        raise
    close_lost_connections()  # the task backend records the outcome on it next
    return outcome.status


@receiver(task_started, dispatch_uid="tryon.tasks.mark_picked")
def mark_picked(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """A worker is starting ``run_tryon`` for a row: note when (see the module docstring)."""
    if getattr(task_result.task, "module_path", None) != run_tryon.module_path:
        return
    try:
        TryOn.objects.filter(pk=task_result.args[0], status=TryOnStatus.PENDING).update(
            picked_at=timezone.now()
        )
    except Exception:  # bookkeeping: never stop the task from running
        logger.warning("Could not mark task %s as picked", task_result.id, exc_info=True)
        close_lost_connections()


def enqueue_on_commit(tryon: TryOn) -> None:
    """Queue ``tryon`` once the transaction that made it pending is committed."""
    transaction.on_commit(partial(enqueue_or_fail, str(tryon.pk), tryon.source))


def enqueue_or_fail(tryon_id: str, source: str = TryOnSource.SHOPPER) -> bool:
    """Enqueue; if the task backend refuses (say Redis is down), fail the row cleanly.

    Runs after the commit, so an error here must not escape into the request: the rows
    are committed and a pending row with no task would wait for ever.
    """
    try:
        enqueue(tryon_id, source)
    except Exception as exc:
        logger.exception("Try-on %s could not be queued", tryon_id)
        state.fail_unqueued(tryon_id, f"The job could not be queued: {type(exc).__name__}")
        return False
    return True


def enqueue(tryon_id: str, source: str = TryOnSource.SHOPPER) -> None:
    """Put ``run_tryon(tryon_id)`` on the configured task backend."""
    alias = tryon_settings.TASK_BACKEND
    try:
        backend = task_backends[alias]
    except InvalidTaskBackendError as exc:
        raise ImproperlyConfigured(
            f"TRYON['TASK_BACKEND'] is {alias!r}, which is not an alias in settings.TASKS."
        ) from exc
    queue_name = tryon_settings.QUEUE_NAME
    if source == TryOnSource.PREVIEW and tryon_settings.BULK_QUEUE_NAME:
        # Catalogue runs on a queue of their own: on a backend without priorities (RQ),
        # workers that list the shoppers' queue first still serve shoppers first.
        queue_name = tryon_settings.BULK_QUEUE_NAME
    options: dict[str, Any] = {"backend": alias, "queue_name": queue_name}
    if backend.supports_priority:
        options["priority"] = PRIORITY_BY_SOURCE.get(source, 0)
    rows = TryOn.objects.filter(pk=tryon_id)
    # Before enqueueing: a worker may start the task (and mark it picked) at once.
    rows.update(queued_at=timezone.now(), picked_at=None)
    result = run_tryon.using(**options).enqueue(tryon_id)
    rows.update(task_id=str(result.id)[:64])
