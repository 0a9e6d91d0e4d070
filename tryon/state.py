"""Every status change of a TryOn, and the ``tryon_finished`` signal that ends one.

The only module that writes ``TryOn.status`` (``tests/test_structure.py`` checks it)::

    pending -> running            take                  a job starts it
    running -> pending            step_aside            it waits for an identical job
    running -> pending            requeue_running       a worker stopped, no paid request out
    running -> failed             fail_unanswered       a worker stopped, a paid request out
    failed  -> pending            reset_failed          staff retry it
    pending | running -> succeeded  succeed, succeed_from
    pending | running -> failed     fail
    pending -> failed             fail_unqueued         the task backend refused it

Each is a conditional UPDATE, never ``save()``: two workers (or a worker and recovery)
may race for the same row, and saving a row its shopper just deleted would insert it
again. Only the UPDATE that actually finishes a row sends ``tryon_finished``, so every
finished row sends it exactly once. And a success is final: nothing here moves a
``succeeded`` row anywhere (only ``failed`` rows are ever reset), so no error after the
result is stored, a lost database connection included, can turn it into a failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import signals
from .models import TryOn, TryOnStatus

logger = logging.getLogger("tryon.state")

_UNFINISHED = (TryOnStatus.PENDING, TryOnStatus.RUNNING)


@dataclass(frozen=True)
class Failure:
    """Why a try-on failed: the provider's (or the shop's) code, and a message for staff."""

    code: int | None
    message: str


def take(tryon_id: Any) -> bool:
    """pending -> running; False if another job has it or it is done."""
    taken = TryOn.objects.filter(pk=tryon_id, status=TryOnStatus.PENDING).update(
        status=TryOnStatus.RUNNING, started_at=timezone.now()
    )
    return taken == 1


def step_aside(tryon: TryOn) -> bool:
    """running -> pending, to wait for the job paying for the same picture."""
    moved = TryOn.objects.filter(pk=tryon.pk, status=TryOnStatus.RUNNING).update(
        status=TryOnStatus.PENDING, started_at=None
    )
    return moved == 1


def keep_running(tryon: TryOn) -> bool:
    """Restart the stale clock of a row this job runs; False if it is no longer ours.

    Ours means still running since the moment this job took it: if recovery re-queued
    it and another job took it meanwhile, its ``started_at`` changed.
    """
    now = timezone.now()
    kept = TryOn.objects.filter(
        pk=tryon.pk, status=TryOnStatus.RUNNING, started_at=tryon.started_at
    ).update(started_at=now)
    if kept:
        tryon.started_at = now
    return kept == 1


def requeue_running(tryon_id: Any, started_at: datetime | None) -> bool:
    """running -> pending for a row whose job started at ``started_at`` and stopped.

    Matching ``started_at`` means two watchers cannot both re-queue it, and a row taken
    again since is left to the job that has it. Never a row with a paid request out:
    running it again could pay twice (:func:`fail_unanswered` ends those).
    """
    reset = TryOn.objects.filter(
        pk=tryon_id, status=TryOnStatus.RUNNING, started_at=started_at, request_sent_at=None
    ).update(status=TryOnStatus.PENDING, started_at=None)
    return reset == 1


def fail_unanswered(tryon: TryOn, failure: Failure) -> bool:
    """running -> failed for a row whose job stopped with a paid request out.

    Matching ``started_at`` and the request mark: a job still alive that recorded its
    answer meanwhile keeps its row.
    """
    now = timezone.now()
    values: dict[str, Any] = {
        "status": TryOnStatus.FAILED,
        "error_code": failure.code,
        "error_message": failure.message[:2000],
        "finished_at": now,
        "updated_at": now,
    }
    failed = TryOn.objects.filter(
        pk=tryon.pk,
        status=TryOnStatus.RUNNING,
        started_at=tryon.started_at,
        request_sent_at__isnull=False,
    ).update(**values)
    if not failed:
        return False
    _apply(tryon, values)
    _send_finished(tryon)
    return True


def reset_failed(tryon: TryOn) -> bool:
    """failed -> pending, to be queued again; False if it is not failed."""
    reset = TryOn.objects.filter(pk=tryon.pk, status=TryOnStatus.FAILED).update(
        status=TryOnStatus.PENDING,
        error_code=None,
        error_message="",
        started_at=None,
        finished_at=None,
        # Staff retry knowingly: a request that may have been charged is sent again.
        request_sent_at=None,
        provider_answer=None,
    )
    return reset == 1


def succeed(tryon: TryOn) -> bool:
    """Finish ``tryon`` with the result set on it; False if it is gone or already finished."""
    now = timezone.now()
    values: dict[str, Any] = {
        "result_image": tryon.result_image.name,
        "mask_image": tryon.mask_image.name,
        "seed": tryon.seed,
        "cache_hit": tryon.cache_hit,
        "is_preview": tryon.is_preview,
        "status": TryOnStatus.SUCCEEDED,
        "error_code": None,
        "error_message": "",
        "finished_at": now,
        "updated_at": now,
        # The outcome of the paid request is recorded: nothing is out any more.
        "request_sent_at": None,
        "provider_answer": None,
    }
    if not _unfinished(tryon.pk).update(**values):
        return False
    _apply(tryon, values)
    _send_finished(tryon)
    return True


def succeed_from(tryon: TryOn, source: TryOn) -> bool:
    """Finish ``tryon`` with ``source``'s result; False if it is gone or already finished."""
    now = timezone.now()
    values: dict[str, Any] = {
        "result_image": source.result_image.name,
        "mask_image": source.mask_image.name,
        "seed": source.seed if source.seed is not None else tryon.seed,
        "cache_hit": source.cache_hit,
        "is_preview": source.is_preview,
        "status": TryOnStatus.SUCCEEDED,
        "error_code": None,
        "error_message": "",
        "finished_at": now,
        "updated_at": now,
    }
    original: Any = source.reused_from_id or source.pk
    mine = _unfinished(tryon.pk)
    try:
        with transaction.atomic():  # the source may be deleted meanwhile: FK check
            updated = mine.update(reused_from=original, **values)
    except IntegrityError:
        original = None
        updated = mine.update(reused_from=None, **values)
    if not updated:
        return False
    _apply(tryon, values)
    tryon.reused_from_id = original
    _send_finished(tryon)
    return True


def fail(tryon: TryOn, failure: Failure) -> bool:
    """Finish ``tryon`` as failed; False if it is gone or already finished."""
    now = timezone.now()
    values: dict[str, Any] = {
        "status": TryOnStatus.FAILED,
        "error_code": failure.code,
        "error_message": failure.message[:2000],
        "finished_at": now,
        "updated_at": now,
    }
    if not _unfinished(tryon.pk).update(**values):
        return False
    _apply(tryon, values)
    _send_finished(tryon)
    return True


def fail_unqueued(tryon_id: Any, message: str) -> bool:
    """pending -> failed for a row the task backend would not take (no job will run it)."""
    now = timezone.now()
    failed = TryOn.objects.filter(pk=tryon_id, status=TryOnStatus.PENDING).update(
        status=TryOnStatus.FAILED,
        error_message=message[:2000],
        finished_at=now,
        updated_at=now,
    )
    if not failed:
        return False
    tryon = TryOn.objects.filter(pk=tryon_id).first()
    if tryon is not None:
        _send_finished(tryon)
    return True


def _unfinished(tryon_id: Any) -> Any:
    return TryOn.objects.filter(pk=tryon_id, status__in=_UNFINISHED)


def _apply(tryon: TryOn, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(tryon, name, value)


def _send_finished(tryon: TryOn) -> None:
    try:
        signals.tryon_finished.send(
            sender=TryOn, tryon=tryon, succeeded=tryon.status == TryOnStatus.SUCCEEDED
        )
    except Exception:  # a receiver's bug must not undo a finished job
        logger.exception("A tryon_finished receiver failed for %s", tryon.pk)
