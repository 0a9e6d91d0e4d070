"""Running one TryOn: claim it, call the backend, store the result, finish it.

Every path ends the row ``succeeded`` or ``failed``; nothing leaves it ``running``.
A job that finds its row already taken does nothing, so a task delivered twice is
processed once. Identical requests share one provider call: the first job to claim
the fingerprint (``tryon.claims``) pays, the others step aside and get its result or
its failure (``tryon.reuse``). Status changes are ``tryon.state``'s. Queueing is the
task layer's (``tryon.tasks``): a job returns the rows it leaves to be queued again.

Crash safety: every paid attempt is recorded before it is sent and its answer as soon
as it comes (``tryon.paid``); a job that finds an answer recorded on its row (its
previous worker died after it) finishes from it without paying. A job that loses its
database connection reconnects and leaves its row as recovery would
(``tryon.abandoned``): queued again, or failed if a paid request was out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from . import abandoned, claims, provenance, state
from .backends import BackendResult, BaseBackend, GeneratedImage, get_backend
from .backends.codes import ERROR_DESCRIPTIONS
from .concurrency import provider_slot
from .conf import tryon_settings
from .connections import CONNECTION_ERRORS, close_if_lost, once_more_if_lost
from .exceptions import (
    DownloadError,
    InvalidImageError,
    LimitExceededError,
    ProviderError,
    TryOnError,
)
from .files import delete_unreferenced_files
from .fingerprint import compute_fingerprint, model_input, prepared_image
from .images import probe_image
from .limits import check_paid_call_allowed, record_paid_calls
from .models import TryOn, TryOnStatus
from .paid import PaidAttempts, Superseded, answered_result
from .provenance import COMPOSITE_CAPTURE, TRAINED_ALGORITHMIC_MEDIA
from .reuse import find_reusable, hand_failure_to_waiting, hand_result_to_waiting, waiting_for
from .state import Failure
from .storage import extension_for, private_folder, save_content_addressed

logger = logging.getLogger("tryon.jobs")

_PROVENANCE_DESCRIPTIONS = {
    TRAINED_ALGORITHMIC_MEDIA: "AI-generated virtual try-on (Change Clothes AI via django-tryon)",
    COMPOSITE_CAPTURE: "Offline try-on preview: a composite of two photographs, not AI",
}

# How many times a job re-checks for a result that appeared while it stepped aside.
_MAX_HANDOFF_ROUNDS = 3
# The outcome of a job that stepped aside for another paying for the same picture.
_WAITING = "waiting"


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended: the row's status (or "missing"), and the rows to queue again."""

    status: str
    requeue: tuple[TryOn, ...] = ()


@dataclass(frozen=True)
class _Made:
    """How the paying job ended: the row holding the result (``holder``), a failure,
    or neither when its own row was deleted (or finished by another job) meanwhile."""

    holder: TryOn | None = None
    failure: Failure | None = None


def run_job(tryon_id: str) -> JobOutcome:
    """Run the job for ``tryon_id``; ``tryon.tasks.execute_tryon`` queues what it returns."""
    if _previous_step_unfinished(tryon_id):
        # An outfit's second step runs once the first has its picture; ``tryon.outfits``
        # queues it then (or fails it with the first step).
        return JobOutcome(TryOnStatus.PENDING)
    for _round in range(_MAX_HANDOFF_ROUNDS):
        if not state.take(tryon_id):
            return JobOutcome(_status_of(tryon_id))
        tryon = TryOn.objects.select_related("garment", "model_photo", "after").get(pk=tryon_id)
        try:
            outcome = _run_taken(tryon)
        except CONNECTION_ERRORS as exc:  # the database went away under us
            return _after_connection_error(tryon, exc)
        except Exception as exc:  # never leave a row running, whatever broke
            _fail_internal(tryon, exc)
            return JobOutcome(_status_of(tryon_id))
        if outcome.status != _WAITING:
            return outcome
        # We stepped aside for another job computing the same picture. If it finished
        # before we were back to pending, nobody will hand us its result: look again.
        if claims.exists(tryon.fingerprint):
            return JobOutcome(TryOnStatus.PENDING)
    return JobOutcome(_status_of(tryon_id))


def _previous_step_unfinished(tryon_id: Any) -> bool:
    previous = TryOn.objects.filter(pk=tryon_id).values_list("after__status", flat=True).first()
    return previous is not None and previous != TryOnStatus.SUCCEEDED


def _status_of(tryon_id: Any) -> str:
    status = TryOn.objects.filter(pk=tryon_id).values_list("status", flat=True).first()
    return status or "missing"


def _run_taken(tryon: TryOn) -> JobOutcome:
    failure = _ensure_fingerprint(tryon)
    if failure is not None:
        state.fail(tryon, failure)
        return JobOutcome(TryOnStatus.FAILED)
    return _reuse_or_claim(tryon)


def _ensure_fingerprint(tryon: TryOn) -> Failure | None:
    """Fingerprint a row queued without one; the failure if its images cannot be read."""
    if tryon.fingerprint:
        return None
    try:
        tryon.fingerprint = compute_fingerprint(tryon)
    except (InvalidImageError, OSError) as exc:
        return Failure(None, f"The input image cannot be used: {exc}")
    TryOn.objects.filter(pk=tryon.pk).update(fingerprint=tryon.fingerprint)
    return None


def _reuse_or_claim(tryon: TryOn) -> JobOutcome:
    """An identical result if there is one; else wait for the job paying for it, or pay."""
    source = find_reusable(tryon.fingerprint, exclude=tryon.pk)
    if source is not None:
        state.succeed_from(tryon, source)
        return JobOutcome(TryOnStatus.SUCCEEDED)
    if tryon.fingerprint and not claims.claim(tryon):
        # Another job is paying for this exact picture: wait for it, pending.
        state.step_aside(tryon)
        return JobOutcome(_WAITING)
    return _lead(tryon)


def _lead(tryon: TryOn) -> JobOutcome:
    """Holding the claim: make the picture, release the claim, then hand off."""
    try:
        made = _reuse_or_pay(tryon)
    except Superseded:
        # Recovery gave the row to another job while we waited for a provider slot: it
        # is that job's now, and so is the claim, which names the row.
        return JobOutcome(_status_of(tryon.pk))
    except CONNECTION_ERRORS:
        # Kept: the row is settled by the rule recovery applies (``_after_connection_
        # error``), and until then no duplicate may pay for a request perhaps still out.
        raise
    except BaseException:
        claims.release(tryon)  # a worker stopping mid-job must not block the others
        raise
    if made.failure is not None:
        # A failure is handed out while the claim still stands too: if this worker dies
        # midway, recovery finds the claim of a failed row and finishes the hand-off,
        # instead of a waiting job paying for what just failed.
        hand_failure_to_waiting(tryon, made.failure)
    # Released before the hand-off, so a job stepping aside either sees no claim (and
    # looks again) or is still pending when we hand out the result.
    claims.release(tryon)
    return _hand_off(tryon, made)


def _reuse_or_pay(tryon: TryOn) -> _Made:
    try:
        # A leader may have finished (and released its claim) between our first look
        # and our claim: look once more before paying.
        source = find_reusable(tryon.fingerprint, exclude=tryon.pk)
        if source is not None:
            return _Made(holder=source) if state.succeed_from(tryon, source) else _Made()
        return _pay_and_store(tryon)
    except Superseded:
        raise
    except CONNECTION_ERRORS:
        raise
    except Exception as exc:  # a storage or database error: fail, never strand anyone
        return _Made(failure=_fail_internal(tryon, exc))


def _pay_and_store(tryon: TryOn) -> _Made:
    failure = _generate(tryon)
    if failure is not None:
        state.fail(tryon, failure)
        return _Made(failure=failure)
    # Repeated once on a new connection if it was lost: the picture is paid for and stored.
    if once_more_if_lost(state.succeed, tryon):
        return _Made(holder=tryon)
    # The shopper deleted the try-on while it ran: keep none of their picture.
    delete_unreferenced_files({tryon.result_image.name or "", tryon.mask_image.name or ""})
    return _Made()


def _hand_off(tryon: TryOn, made: _Made) -> JobOutcome:
    """Tell the jobs that stepped aside for this one, or they would wait for ever."""
    if made.holder is not None:
        hand_result_to_waiting(tryon, made.holder)
        return JobOutcome(TryOnStatus.SUCCEEDED)
    if made.failure is not None:
        hand_failure_to_waiting(tryon, made.failure)
        return JobOutcome(TryOnStatus.FAILED)
    # Our row is gone: the waiting ones run on their own, queued again.
    return JobOutcome(_status_of(tryon.pk), requeue=tuple(waiting_for(tryon)))


def _fail_internal(tryon: TryOn, exc: Exception) -> Failure:
    logger.exception("Try-on %s failed unexpectedly", tryon.pk)
    failure = Failure(None, f"Internal error: {type(exc).__name__}")
    try:
        state.fail(tryon, failure)  # a no-op on a row already finished: success is final
    except CONNECTION_ERRORS:
        # An error handler must not raise on a dead connection: the row stays running
        # and recovery applies its rule to it.
        close_if_lost()
        logger.warning("Try-on %s left for recovery: the database is unreachable", tryon.pk)
    return failure


def _after_connection_error(tryon: TryOn, exc: Exception) -> JobOutcome:
    """Reconnect, then leave the row as recovery would: re-queued, or failed if a paid
    request was out; a row already finished hands its outcome to the waiting jobs."""
    logger.warning("Try-on %s: database error mid-job (%s); reconnecting", tryon.pk, exc)
    close_if_lost()  # if it is not back, the next query raises to the task layer
    settled = abandoned.settle(tryon.pk, tryon.started_at)
    if settled is abandoned.Settled.REQUEUE:
        return JobOutcome(TryOnStatus.PENDING, requeue=(tryon,))
    row = TryOn.objects.filter(pk=tryon.pk).first()
    if row is not None and row.status == TryOnStatus.SUCCEEDED:
        hand_result_to_waiting(row, row)
    elif row is not None and row.status == TryOnStatus.FAILED:
        hand_failure_to_waiting(row, Failure(row.error_code, row.error_message))
    return JobOutcome(_status_of(tryon.pk))


def _generate(tryon: TryOn) -> Failure | None:
    """Call the backend and store what it made; the failure, if any."""
    backend = get_backend()
    try:
        return _generate_with(tryon, backend)
    finally:
        backend.close()  # a worker runs thousands of jobs: no connection left behind


def _generate_with(tryon: TryOn, backend: BaseBackend) -> Failure | None:
    if tryon.provider_answer:
        # This row's previous job was answered, then its worker stopped before storing
        # the picture: finish from that answer, never pay for it again.
        logger.warning("Try-on %s: finishing from the answer its last job received", tryon.pk)
        result = answered_result(tryon.provider_answer)
    else:
        called = _call_provider(tryon, backend)
        if isinstance(called, Failure):
            return called
        result = called
    try:
        _store_result(tryon, result, backend)
    except (DownloadError, InvalidImageError) as exc:
        return Failure(None, f"The result could not be downloaded: {exc}")
    except Exception as exc:  # any storage backend's own error (OSError, botocore...)
        logger.exception("Try-on %s: result not stored", tryon.pk)
        return Failure(None, f"The result could not be stored: {type(exc).__name__}")
    return None


def _call_provider(tryon: TryOn, backend: BaseBackend) -> BackendResult | Failure:
    """Call the backend, recording each paid attempt before it is sent (``tryon.paid``)."""
    attempts = PaidAttempts(tryon)
    try:
        if backend.is_paid:
            check_paid_call_allowed()  # before waiting for a slot for nothing
            with provider_slot(tryon.source):
                _renew(tryon)
                backend.paid_attempts = attempts
                result = call_backend(tryon, backend)
        else:
            result = call_backend(tryon, backend)
    except ProviderError as exc:
        _count_unreported(tryon, attempts, exc.attempts)
        logger.warning("Try-on %s failed: %s", tryon.pk, exc.describe())
        return Failure(exc.code, str(exc))
    except LimitExceededError as exc:
        logger.warning("Try-on %s not sent: the daily cap is reached", tryon.pk)
        return Failure(exc.code, ERROR_DESCRIPTIONS[exc.code])
    except TryOnError as exc:
        logger.warning("Try-on %s failed: %s", tryon.pk, exc)
        return Failure(getattr(exc, "code", None), str(exc))
    finally:
        backend.paid_attempts = None
    _count_unreported(tryon, attempts, result.provider_calls)
    if backend.is_paid and not attempts.answer_recorded:
        attempts.paid_attempt_settled(result)  # a backend that does not report its answers
    return result


def call_backend(tryon: TryOn, backend: BaseBackend | None = None) -> BackendResult:
    backend = backend or get_backend()
    model_bytes = model_input(tryon)
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
    # Made from a shopper's own photo: as private as the photo.
    folder = "results" if tryon.model_photo.is_preset else private_folder("results")
    source_type = COMPOSITE_CAPTURE if result.is_preview else TRAINED_ALGORITHMIC_MEDIA
    tryon.result_image.name = _save_generated(result.image, backend, folder, source_type)
    tryon.mask_image.name = ""
    if result.mask is not None:
        try:
            tryon.mask_image.name = _save_generated(result.mask, backend, folder, source_type)
        except Exception as exc:
            # The mask is a diagnostic extra; a missing one must not cost the picture.
            logger.warning("Try-on %s: mask not stored: %s", tryon.pk, exc)
    if result.seed is not None:
        tryon.seed = result.seed
    tryon.cache_hit = result.cache_hit
    tryon.is_preview = result.is_preview


def _save_generated(
    image: GeneratedImage, backend: BaseBackend, folder: str, source_type: str
) -> str:
    content = image.content if image.content is not None else backend.download(image.url or "")
    # A CDN error page must not be stored as a picture.
    info = probe_image(content, max_bytes=tryon_settings.MAX_DOWNLOAD_BYTES)
    # Machine-readable provenance (EU AI Act): what made this picture, in its own XMP.
    marked = provenance.mark(content, source_type, _PROVENANCE_DESCRIPTIONS[source_type])
    return save_content_addressed(folder, marked, extension_for(info.format))


def _renew(tryon: TryOn) -> None:
    """Restart the stale clock once a provider slot is ours, or stop if we lost the row.

    Waiting for a slot can be long; if recovery meanwhile handed the row to another job,
    paying now would pay twice.
    """
    if not state.keep_running(tryon):
        raise Superseded(str(tryon.pk))
    claims.renew(tryon)


def _count_unreported(tryon: TryOn, attempts: PaidAttempts, calls: int) -> None:
    """Count, after the fact, paid attempts the backend sent without reporting them
    first (a backend not built on the HTTP base); reported ones are counted already."""
    unreported = (calls or 0) - attempts.sent
    if unreported > 0:
        TryOn.objects.filter(pk=tryon.pk).update(provider_calls=F("provider_calls") + unreported)
        tryon.provider_calls += unreported
        record_paid_calls(unreported)
