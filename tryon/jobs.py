"""Running one TryOn: claim it, call the backend, store the result, finish it.

Every path ends the row ``succeeded`` or ``failed``; nothing leaves it ``running``.
A job that finds its row already taken does nothing, so a task delivered twice is
processed once. Identical requests share one provider call: the first job to claim
the fingerprint calls the provider, the others wait for its result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import signals
from .backends import BackendResult, BaseBackend, GeneratedImage, get_backend
from .backends.codes import ERROR_DESCRIPTIONS
from .concurrency import provider_slot
from .conf import tryon_settings
from .exceptions import (
    DownloadError,
    InvalidImageError,
    LimitExceededError,
    ProviderError,
    TryOnError,
)
from .fingerprint import compute_fingerprint, prepared_image
from .images import probe_image
from .limits import check_paid_call_allowed, record_paid_calls
from .models import GenerationClaim, TryOn, TryOnStatus
from .storage import extension_for, save_content_addressed

logger = logging.getLogger("tryon.jobs")

# How many times a job re-checks for a result that appeared while it stepped aside.
_MAX_HANDOFF_ROUNDS = 3
# The outcome for a row deleted (by its shopper) while its job ran.
_GONE = "gone"


class Superseded(Exception):
    """The row was re-queued by recovery and taken by another job while this one waited."""


@dataclass(frozen=True)
class Failure:
    code: int | None
    message: str


def execute_tryon(tryon_id: str) -> str:
    """Run the job for ``tryon_id``; return the row's status afterwards."""
    for _round in range(_MAX_HANDOFF_ROUNDS):
        if not _take(tryon_id):
            return _status_of(tryon_id)
        tryon = TryOn.objects.select_related("garment", "model_photo").get(pk=tryon_id)
        try:
            outcome = _run_taken(tryon)
        except Exception as exc:  # never leave a row running, whatever broke
            logger.exception("Try-on %s failed unexpectedly", tryon_id)
            _fail(tryon, Failure(None, f"Internal error: {type(exc).__name__}"))
            return TryOnStatus.FAILED
        if outcome != "waiting":
            return outcome
        # We stepped aside for another job computing the same picture. If it finished
        # before we were back to pending, nobody will hand us its result: look again.
        if _claim_exists(tryon.fingerprint):
            return TryOnStatus.PENDING
    return _status_of(tryon_id)


def _take(tryon_id: str) -> bool:
    """Move the row pending -> running; False if another job has it or it is done."""
    return (
        TryOn.objects.filter(pk=tryon_id, status=TryOnStatus.PENDING).update(
            status=TryOnStatus.RUNNING, started_at=timezone.now()
        )
        == 1
    )


def _status_of(tryon_id: str) -> str:
    status = TryOn.objects.filter(pk=tryon_id).values_list("status", flat=True).first()
    return status or "missing"


def _run_taken(tryon: TryOn) -> str:
    try:
        if not tryon.fingerprint:
            tryon.fingerprint = compute_fingerprint(tryon)
            TryOn.objects.filter(pk=tryon.pk).update(fingerprint=tryon.fingerprint)
    except (InvalidImageError, OSError) as exc:
        _fail(tryon, Failure(None, f"The input image cannot be used: {exc}"))
        return TryOnStatus.FAILED

    source = find_reusable(tryon.fingerprint, exclude=tryon.pk)
    if source is not None:
        succeed_from(tryon, source)
        return TryOnStatus.SUCCEEDED

    if tryon.fingerprint and not _claim(tryon):
        # Another job is paying for this exact picture: wait for it, pending.
        TryOn.objects.filter(pk=tryon.pk, status=TryOnStatus.RUNNING).update(
            status=TryOnStatus.PENDING, started_at=None
        )
        return "waiting"

    # From here on we hold the claim: every path releases it and then tells the jobs
    # that stepped aside for us, or they would wait for ever.
    superseded = False
    failure: Failure | None = None
    holder: TryOn = tryon  # the row whose result the waiting jobs get
    try:
        # A leader may have finished (and released its claim) between our first look
        # and our claim: look once more before paying.
        source = find_reusable(tryon.fingerprint, exclude=tryon.pk)
        if source is not None:
            holder = source
            outcome = TryOnStatus.SUCCEEDED if succeed_from(tryon, source) else _GONE
        else:
            failure = _generate(tryon)
            if failure is None:
                outcome = TryOnStatus.SUCCEEDED if _finish_succeeded(tryon) else _GONE
            else:
                _fail(tryon, failure)
                outcome = TryOnStatus.FAILED
    except Superseded:
        # Recovery gave the row to another job while we waited: it is that job's now.
        superseded = True
        return _status_of(str(tryon.pk))
    except Exception as exc:  # a storage or database error: fail, never strand anyone
        logger.exception("Try-on %s failed unexpectedly", tryon.pk)
        failure = Failure(None, f"Internal error: {type(exc).__name__}")
        _fail(tryon, failure)
        outcome = TryOnStatus.FAILED
    finally:
        # Released before the hand-off below, so a job stepping aside either sees no
        # claim (and looks again) or is still pending when we hand out the result.
        if not superseded:
            _release(tryon)
    if outcome == TryOnStatus.SUCCEEDED:
        _hand_result_to_waiting(tryon, holder)
    elif failure is not None:
        _hand_failure_to_waiting(tryon, failure)
    else:
        # The shopper deleted this row while it ran: the others run on their own.
        _requeue_waiting(tryon)
    return outcome if outcome != _GONE else "missing"


def _generate(tryon: TryOn) -> Failure | None:
    """Call the backend and store what it made; the failure, if any."""
    backend = get_backend()
    try:
        return _generate_with(tryon, backend)
    finally:
        backend.close()  # a worker runs thousands of jobs: no connection left behind


def _generate_with(tryon: TryOn, backend: BaseBackend) -> Failure | None:
    try:
        if backend.is_paid:
            check_paid_call_allowed()
            with provider_slot(tryon.source):
                _renew(tryon)
                result = call_backend(tryon, backend)
        else:
            result = call_backend(tryon, backend)
    except ProviderError as exc:
        _add_provider_calls(tryon, exc.attempts)
        logger.warning("Try-on %s failed: %s", tryon.pk, exc.describe())
        return Failure(exc.code, str(exc))
    except LimitExceededError as exc:
        logger.warning("Try-on %s not sent: the daily cap is reached", tryon.pk)
        return Failure(exc.code, ERROR_DESCRIPTIONS[exc.code])
    except TryOnError as exc:
        logger.warning("Try-on %s failed: %s", tryon.pk, exc)
        return Failure(getattr(exc, "code", None), str(exc))
    _add_provider_calls(tryon, result.provider_calls)
    try:
        _store_result(tryon, result, backend)
    except (DownloadError, InvalidImageError) as exc:
        return Failure(None, f"The result could not be downloaded: {exc}")
    except Exception as exc:  # any storage backend's own error (OSError, botocore...)
        logger.exception("Try-on %s: result not stored", tryon.pk)
        return Failure(None, f"The result could not be stored: {type(exc).__name__}")
    return None


def find_reusable(fingerprint: str, *, exclude: Any = None) -> TryOn | None:
    """A succeeded TryOn of this fingerprint whose result file is still there."""
    if not fingerprint:
        return None
    candidates = TryOn.objects.filter(fingerprint=fingerprint, status=TryOnStatus.SUCCEEDED)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    for candidate in candidates.exclude(result_image="").order_by("created_at")[:5]:
        if candidate.result_image.storage.exists(candidate.result_image.name or ""):
            return candidate
    return None


def call_backend(tryon: TryOn, backend: BaseBackend | None = None) -> BackendResult:
    backend = backend or get_backend()
    model_bytes = prepared_image(tryon.model_photo)
    if tryon.garment is not None:
        return backend.change_clothes(
            model_image=model_bytes,
            garment_image=prepared_image(tryon.garment),
            category=tryon.garment.category,
            description=tryon.garment.description.strip(),
        )
    return backend.change_clothes_by_prompt(
        model_image=model_bytes,
        prompt=tryon.prompt,
        seed=tryon.seed,
        randomize_seed=tryon.randomize_seed,
        guidance_scale=tryon.guidance_scale,
        num_inference_steps=tryon.num_inference_steps,
    )


def _store_result(tryon: TryOn, result: BackendResult, backend: BaseBackend) -> None:
    tryon.result_image.name = _save_generated(result.image, backend)
    tryon.mask_image.name = ""
    if result.mask is not None:
        try:
            tryon.mask_image.name = _save_generated(result.mask, backend)
        except Exception as exc:
            # The mask is a diagnostic extra; a missing one must not cost the picture.
            logger.warning("Try-on %s: mask not stored: %s", tryon.pk, exc)
    if result.seed is not None:
        tryon.seed = result.seed
    tryon.cache_hit = result.cache_hit
    tryon.is_preview = result.is_preview


def _save_generated(image: GeneratedImage, backend: BaseBackend) -> str:
    content = image.content if image.content is not None else backend.download(image.url or "")
    # A CDN error page must not be stored as a picture.
    info = probe_image(content, max_bytes=tryon_settings.MAX_DOWNLOAD_BYTES)
    return save_content_addressed("results", content, extension_for(info.format))


def _finish_succeeded(tryon: TryOn) -> bool:
    """Record the stored result; False (and no files kept) if the row was deleted."""
    tryon.status = TryOnStatus.SUCCEEDED
    tryon.error_code = None
    tryon.error_message = ""
    tryon.finished_at = timezone.now()
    updated = TryOn.objects.filter(pk=tryon.pk).update(
        status=tryon.status,
        result_image=tryon.result_image.name,
        mask_image=tryon.mask_image.name,
        seed=tryon.seed,
        cache_hit=tryon.cache_hit,
        is_preview=tryon.is_preview,
        error_code=None,
        error_message="",
        finished_at=tryon.finished_at,
        updated_at=tryon.finished_at,
    )
    if not updated:
        # The shopper deleted the try-on while it ran: keep none of their picture.
        from .privacy import delete_unreferenced_files

        names = {tryon.result_image.name or "", tryon.mask_image.name or ""}
        delete_unreferenced_files(names - {""})
        return False
    _send_finished(tryon)
    return True


def succeed_from(tryon: TryOn, source: TryOn) -> bool:
    """Finish ``tryon`` with ``source``'s result; False if ``tryon`` is gone or not ours.

    A conditional UPDATE, not ``save()``: saving a row its shopper just deleted would
    insert it again.
    """
    now = timezone.now()
    values = {
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
    mine = TryOn.objects.filter(pk=tryon.pk).exclude(status=TryOnStatus.SUCCEEDED)
    try:
        with transaction.atomic():  # the source may be deleted meanwhile: FK check
            updated = mine.update(reused_from=source.reused_from_id or source.pk, **values)
    except IntegrityError:
        updated = mine.update(reused_from=None, **values)
    if not updated:
        return False
    for name, value in values.items():
        setattr(tryon, name, value)
    tryon.reused_from_id = source.reused_from_id or source.pk
    _send_finished(tryon)
    return True


def _fail(tryon: TryOn, failure: Failure) -> None:
    tryon.status = TryOnStatus.FAILED
    tryon.error_code = failure.code
    tryon.error_message = failure.message[:2000]
    tryon.finished_at = timezone.now()
    TryOn.objects.filter(pk=tryon.pk).update(
        status=tryon.status,
        error_code=tryon.error_code,
        error_message=tryon.error_message,
        finished_at=tryon.finished_at,
        updated_at=tryon.finished_at,
    )
    _send_finished(tryon)


def _waiting_for(tryon: TryOn) -> list[TryOn]:
    if not tryon.fingerprint:
        return []
    return list(
        TryOn.objects.filter(fingerprint=tryon.fingerprint, status=TryOnStatus.PENDING)
        .exclude(pk=tryon.pk)
        .select_related("garment", "model_photo")
    )


def _hand_result_to_waiting(tryon: TryOn, holder: TryOn) -> None:
    for waiting in _waiting_for(tryon):
        if _take(str(waiting.pk)):
            succeed_from(waiting, holder)


def _requeue_waiting(tryon: TryOn) -> None:
    from .services import enqueue

    for waiting in _waiting_for(tryon):
        enqueue(str(waiting.pk), waiting.source)


def _hand_failure_to_waiting(tryon: TryOn, failure: Failure) -> None:
    # The same request made at the same moment would get the same answer.
    for waiting in _waiting_for(tryon):
        if _take(str(waiting.pk)):
            waiting.refresh_from_db()
            _fail(waiting, failure)


def _renew(tryon: TryOn) -> None:
    """Restart the stale clock once a provider slot is ours, or stop if we lost the row.

    Waiting for a slot can be long; if recovery meanwhile handed the row to another job,
    paying now would pay twice.
    """
    now = timezone.now()
    kept = TryOn.objects.filter(
        pk=tryon.pk, status=TryOnStatus.RUNNING, started_at=tryon.started_at
    ).update(started_at=now)
    if not kept:
        raise Superseded(str(tryon.pk))
    tryon.started_at = now
    if tryon.fingerprint:
        GenerationClaim.objects.filter(fingerprint=tryon.fingerprint, tryon=tryon).update(
            claimed_at=now
        )


def _claim(tryon: TryOn) -> bool:
    """Become the one job that calls the provider for this fingerprint."""
    try:
        with transaction.atomic():
            GenerationClaim.objects.create(fingerprint=tryon.fingerprint, tryon=tryon)
        return True
    except IntegrityError:
        pass
    # A claim left by a worker that died is taken over once it is old enough.
    stale_before = timezone.now() - timedelta(seconds=_stale_after())
    # So is our own claim, left when this very job's worker died and it was re-queued.
    taken_over = (
        GenerationClaim.objects.filter(fingerprint=tryon.fingerprint)
        .filter(Q(claimed_at__lt=stale_before) | Q(tryon=tryon))
        .update(tryon=tryon, claimed_at=timezone.now())
    )
    return taken_over == 1


def _release(tryon: TryOn) -> None:
    if tryon.fingerprint:
        GenerationClaim.objects.filter(fingerprint=tryon.fingerprint, tryon=tryon).delete()


def _claim_exists(fingerprint: str) -> bool:
    return bool(fingerprint) and GenerationClaim.objects.filter(fingerprint=fingerprint).exists()


def _stale_after() -> int:
    return int(tryon_settings.STALE_RUNNING_AFTER)


def _add_provider_calls(tryon: TryOn, calls: int) -> None:
    if calls:
        from django.db.models import F

        TryOn.objects.filter(pk=tryon.pk).update(provider_calls=F("provider_calls") + calls)
        tryon.provider_calls += calls
        record_paid_calls(calls)


def _send_finished(tryon: TryOn) -> None:
    try:
        signals.tryon_finished.send(
            sender=TryOn, tryon=tryon, succeeded=tryon.status == TryOnStatus.SUCCEEDED
        )
    except Exception:  # a receiver's bug must not undo a finished job
        logger.exception("A tryon_finished receiver failed for %s", tryon.pk)
