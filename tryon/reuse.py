"""Answering from an identical earlier result, and handing one result to waiting jobs.

Credits are money: a request whose fingerprint matches a succeeded TryOn is answered
from it, and jobs that stepped aside while another paid for the same picture get that
job's result (or its failure) instead of paying again.
"""

from __future__ import annotations

from typing import Any

from . import state
from .models import TryOn, TryOnStatus


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


def waiting_for(tryon: TryOn) -> list[TryOn]:
    """The pending rows of the same picture: jobs that stepped aside for ``tryon``'s."""
    if not tryon.fingerprint:
        return []
    return list(
        TryOn.objects.filter(fingerprint=tryon.fingerprint, status=TryOnStatus.PENDING)
        .exclude(pk=tryon.pk)
        .select_related("garment", "model_photo")
    )


def hand_result_to_waiting(tryon: TryOn, holder: TryOn) -> None:
    """Finish the jobs waiting for ``tryon`` with ``holder``'s result."""
    for waiting in waiting_for(tryon):
        if state.take(waiting.pk):
            state.succeed_from(waiting, holder)


def hand_failure_to_waiting(tryon: TryOn, failure: state.Failure) -> None:
    """Fail the jobs waiting for ``tryon``: the same request made at the same moment
    would get the same answer."""
    for waiting in waiting_for(tryon):
        if state.take(waiting.pk):
            waiting.refresh_from_db()
            state.fail(waiting, failure)
