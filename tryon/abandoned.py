"""A job whose worker stopped mid-way: the one rule recovery and the jobs themselves share.

A worker can stop anywhere: killed (OOM, a deploy, a lost machine), or cut off from the
database. Its row is then ``running`` with nobody running it, and what happens next
depends on one thing, whether a paid request is out (``TryOn.request_sent_at``, see
``tryon.paid``):

- **No request out**: back to ``pending``, to be queued again. If the provider had
  already answered (``provider_answer``), the next job finishes from that answer
  without paying.
- **A request out and never answered**: ``failed`` with :data:`UNANSWERED_CODE`, the
  same rule as a read timeout. It is never sent again automatically: the provider may
  have done, and charged for, the work. Jobs waiting for the same picture get the same
  failure (never a second payment) and its claim is released. Staff retry it knowingly
  (the admin's retry action, ``tryon_pregenerate --retry-failed``).
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import Any

from . import claims, state
from .exceptions import UNANSWERED_REQUEST_CODE
from .models import TERMINAL_STATUSES, GenerationClaim, TryOn, TryOnStatus
from .reuse import hand_failure_to_waiting, hand_result_to_waiting

logger = logging.getLogger("tryon.recovery")

UNANSWERED_CODE = UNANSWERED_REQUEST_CODE
UNANSWERED_MESSAGE = (
    "A paid request was sent to the provider, then its worker stopped before the answer "
    "was recorded: the provider may have charged for it. It is not sent again "
    "automatically; retry it (admin action or tryon_pregenerate --retry-failed) if "
    "paying again is acceptable."
)


class Settled(enum.Enum):
    REQUEUE = "requeue"  # back to pending: queue it again
    FAILED = "failed"  # a paid request was out: failed, not re-sent
    UNTOUCHED = "untouched"  # no longer running since ``started_at``: someone else's


def settle(tryon_id: Any, started_at: datetime | None) -> Settled:
    """Apply the rule to a row whose job (started at ``started_at``) stopped."""
    tryon = (
        TryOn.objects.filter(pk=tryon_id, status=TryOnStatus.RUNNING, started_at=started_at)
        .select_related("garment", "model_photo")
        .first()
    )
    if tryon is None:
        return Settled.UNTOUCHED
    if tryon.request_sent_at is None:
        if state.requeue_running(tryon.pk, started_at):
            return Settled.REQUEUE
        return Settled.UNTOUCHED  # a job still alive sent a request meanwhile, or took it
    failure = state.Failure(UNANSWERED_CODE, UNANSWERED_MESSAGE)
    if not state.fail_unanswered(tryon, failure):
        return Settled.UNTOUCHED
    logger.warning(
        "Try-on %s: its worker stopped with a paid request out (sent at %s); failed with "
        "code %d, not sent again.",
        tryon.pk,
        tryon.request_sent_at,
        UNANSWERED_CODE,
    )
    hand_failure_to_waiting(tryon, failure)
    claims.release(tryon)  # after: see finish_hand_off
    return Settled.FAILED


def finish_hand_offs() -> int:
    """Hand the outcome of a finished row whose claim is still there (its worker died
    while handing it out) to the rows waiting for it, and release the claim; how many.

    A waiting row then never pays for a picture that was just paid for, or that just
    failed: it gets that result or that failure, as if the hand-off had finished.
    """
    finished = GenerationClaim.objects.filter(tryon__status__in=TERMINAL_STATUSES)
    done = 0
    for claim in finished.select_related("tryon"):
        holder = claim.tryon
        if holder.status == TryOnStatus.SUCCEEDED:
            hand_result_to_waiting(holder, holder)
        else:
            hand_failure_to_waiting(holder, state.Failure(holder.error_code, holder.error_message))
        claims.release(holder)
        done += 1
    return done
