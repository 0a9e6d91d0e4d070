"""A paid request is recorded before it is sent, and its answer as soon as it comes.

The job hands the backend a :class:`PaidAttempts` (``backend.paid_attempts``); the
backend calls it around every POST, retries included:

- ``before_paid_attempt()``, right before the request goes out, in its own committed
  transaction: one unit of the day's cap is reserved (``limits.reserve_paid_call``,
  exact under any number of workers), ``TryOn.provider_calls`` goes up by one and the
  row is marked ``request_sent_at`` ("a paid request is out"). If the cap is reached it
  raises ``LimitExceededError``, and if the row is no longer this job's (recovery gave
  it to another) it raises :class:`Superseded`: either way nothing is sent.
- ``paid_attempt_settled(result)``, once the attempt is over with nothing out: an
  answer came (``result`` on success, None for an error), or the request provably never
  left. A success's result URLs are kept on the row (``provider_answer``) in the same
  write that clears the mark, so a worker that dies before the picture is stored leaves
  a row recovery re-queues, and the next job finishes from those URLs without paying.

Whatever happens between the two (a SIGKILL, a lost machine), the row says a request
is out: recovery then fails it (``tryon.abandoned``) instead of paying again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .backends import BackendResult, GeneratedImage
from .connections import once_more_if_lost
from .limits import reserve_paid_call
from .models import TryOn, TryOnStatus

logger = logging.getLogger("tryon.paid")


class Superseded(Exception):
    """The row was re-queued by recovery and taken by another job: this one must not pay."""


class PaidAttempts:
    """Records the paid attempts of one job (``tryon`` as it was taken, ``started_at``
    included: the mark is only written while the row is still this job's)."""

    def __init__(self, tryon: TryOn) -> None:
        self.tryon = tryon
        self.sent = 0  # attempts recorded before sending
        self.answer_recorded = False

    def before_paid_attempt(self) -> None:
        once_more_if_lost(self._record_attempt)
        self.sent += 1
        self.tryon.provider_calls += 1

    def paid_attempt_settled(self, result: BackendResult | None) -> None:
        values: dict[str, Any] = {"request_sent_at": None}
        if result is not None:
            answer = answer_of(result)
            if answer is None:
                # Bytes, not URLs: nothing to finish from after a crash, so the request
                # stays "out" until the picture is stored (``state.succeed`` clears it).
                return
            values["provider_answer"] = answer
        once_more_if_lost(self._mine().update, **values)
        self.answer_recorded = self.answer_recorded or result is not None
        self.tryon.request_sent_at = None

    def _record_attempt(self) -> None:
        now = timezone.now()
        with transaction.atomic():
            reserve_paid_call()
            marked = self._mine().update(
                request_sent_at=now, provider_calls=F("provider_calls") + 1
            )
            if not marked:
                raise Superseded(str(self.tryon.pk))  # rolls the reservation back
        self.tryon.request_sent_at = now

    def _mine(self) -> Any:
        return TryOn.objects.filter(
            pk=self.tryon.pk, status=TryOnStatus.RUNNING, started_at=self.tryon.started_at
        )


def answer_of(result: BackendResult) -> dict[str, Any] | None:
    """What a job needs to finish from ``result`` later, or None if it holds bytes."""
    if result.image.url is None or (result.mask is not None and result.mask.url is None):
        return None
    return {
        "image": result.image.url,
        "mask": result.mask.url if result.mask is not None else None,
        "seed": result.seed,
        "cache_hit": result.cache_hit,
        "is_preview": result.is_preview,
    }


def answered_result(answer: dict[str, Any]) -> BackendResult:
    """The result a recorded answer stands for (its pictures still to download)."""
    mask = answer.get("mask")
    return BackendResult(
        image=GeneratedImage(url=str(answer["image"])),
        mask=GeneratedImage(url=str(mask)) if mask else None,
        seed=answer.get("seed"),
        cache_hit=bool(answer.get("cache_hit")),
        is_preview=bool(answer.get("is_preview")),
    )
