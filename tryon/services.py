"""The app's entry points: request a try-on, enqueue it, recover lost jobs.

The REST API, the admin, the commands and host shops' own code all come through
here, so dedup, ownership and enqueueing behave the same everywhere.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .compat import InvalidTaskBackendError, task_backends
from .conf import tryon_settings
from .exceptions import InvalidImageError
from .fingerprint import compute_fingerprint
from .jobs import find_reusable, succeed_from
from .models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus

logger = logging.getLogger("tryon.services")

# Shoppers wait on the page; catalogue previews can wait in the queue.
PRIORITY_BY_SOURCE: dict[str, int] = {
    TryOnSource.SHOPPER: 10,
    TryOnSource.STAFF: 0,
    TryOnSource.PREVIEW: -10,
}


def request_tryon(
    *,
    model_photo: ModelPhoto,
    garment: Garment | None = None,
    prompt: str = "",
    seed: int | None = None,
    randomize_seed: bool | None = None,
    guidance_scale: float | None = None,
    num_inference_steps: int | None = None,
    source: str = TryOnSource.SHOPPER,
    owner: Any = None,
    session_key: str = "",
    expires_at: Any = None,
) -> tuple[TryOn, bool]:
    """Create a TryOn and queue it; ``(tryon, answered_now)``.

    ``answered_now`` is True when an identical earlier request already succeeded: the
    new row is finished at once from that result, with no job and no provider call.
    """
    if garment is None and not prompt.strip():
        raise ValueError("A try-on needs a garment or a prompt.")
    tryon = TryOn(
        garment=garment,
        model_photo=model_photo,
        prompt=prompt.strip() if garment is None else "",
        seed=seed,
        randomize_seed=randomize_seed,
        guidance_scale=guidance_scale,
        num_inference_steps=num_inference_steps,
        source=source,
        owner=owner if getattr(owner, "is_authenticated", False) else None,
        session_key=session_key or "",
        expires_at=expires_at,
    )
    try:
        tryon.fingerprint = compute_fingerprint(tryon)
    except (InvalidImageError, OSError) as exc:
        # A garment or preset image the shop stored cannot be read: the job will fail
        # with a clear message for staff; the shopper gets an answer, not a 500.
        logger.warning("Try-on input unusable (%s); queued without a fingerprint", exc)
        tryon.fingerprint = ""
    with transaction.atomic():
        tryon.save(force_insert=True)
        existing = find_reusable(tryon.fingerprint, exclude=tryon.pk)
        if existing is not None:
            succeed_from(tryon, existing)
            return tryon, True
        enqueue_on_commit(tryon)
    return tryon, False


def enqueue_on_commit(tryon: TryOn) -> None:
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
        now = timezone.now()
        TryOn.objects.filter(pk=tryon_id, status=TryOnStatus.PENDING).update(
            status=TryOnStatus.FAILED,
            error_message=f"The job could not be queued: {type(exc).__name__}",
            finished_at=now,
            updated_at=now,
        )
        return False
    return True


def enqueue(tryon_id: str, source: str = TryOnSource.SHOPPER) -> None:
    """Put ``run_tryon(tryon_id)`` on the configured task backend."""
    from .tasks import run_tryon

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
    run_tryon.using(**options).enqueue(tryon_id)


def retry(tryon: TryOn) -> bool:
    """Queue a failed TryOn again; False if it is not failed."""
    updated = TryOn.objects.filter(pk=tryon.pk, status=TryOnStatus.FAILED).update(
        status=TryOnStatus.PENDING,
        error_code=None,
        error_message="",
        started_at=None,
        finished_at=None,
    )
    if updated:
        enqueue_on_commit(tryon)
    return bool(updated)


def recover_stale(older_than: timedelta | None = None, *, requeue_pending: bool = False) -> int:
    """Re-queue jobs a dead worker left behind; the number re-queued.

    A ``running`` row older than ``STALE_RUNNING_AFTER`` is presumed abandoned, set back
    to ``pending`` and enqueued again. With ``requeue_pending`` every ``pending`` row that
    old is enqueued again too (after the queue itself lost its tasks): not by default,
    since in a long catalogue run thousands of rows wait in the queue legitimately, and
    a periodic run would enqueue each of them again every time. Enqueueing twice is
    harmless otherwise: only one job can take a pending row.
    """
    if older_than is None:  # not `or`: timedelta(0) is a valid age
        older_than = timedelta(seconds=int(tryon_settings.STALE_RUNNING_AFTER))
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stale = list(
            TryOn.objects.filter(status=TryOnStatus.RUNNING, started_at__lt=cutoff).values_list(
                "pk", "source"
            )
        )
        TryOn.objects.filter(
            pk__in=[pk for pk, _ in stale], status=TryOnStatus.RUNNING, started_at__lt=cutoff
        ).update(status=TryOnStatus.PENDING, started_at=None)
        if requeue_pending:
            stale += list(
                TryOn.objects.filter(status=TryOnStatus.PENDING, created_at__lt=cutoff)
                .exclude(pk__in=[pk for pk, _ in stale])
                .values_list("pk", "source")
            )
        for tryon_id, source in stale:
            transaction.on_commit(partial(enqueue, str(tryon_id), source))
    if stale:
        logger.warning("Re-queued %d try-on jobs left behind by a stopped worker", len(stale))
    return len(stale)
