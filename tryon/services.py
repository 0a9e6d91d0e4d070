"""The app's entry points: request a try-on, retry a failed one, recover lost jobs.

The REST API, the admin, the commands and host shops' own code all come through
here, so dedup, ownership and enqueueing behave the same everywhere. Queueing itself
is ``tryon.tasks``'s, recovery ``tryon.recovery``'s (re-exported here).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from . import state
from .exceptions import InvalidImageError
from .fingerprint import compute_fingerprint
from .models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus
from .recovery import recover_stale
from .reuse import find_reusable
from .tasks import enqueue_on_commit

__all__ = ["recover_stale", "request_tryon", "retry"]

logger = logging.getLogger("tryon.services")


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
    after: TryOn | None = None,
) -> tuple[TryOn, bool]:
    """Create a TryOn and queue it; ``(tryon, answered_now)``.

    ``answered_now`` is True when an identical earlier request already succeeded: the
    new row is finished at once from that result, with no job and no provider call.
    With ``after`` (an outfit's first step, see ``tryon.outfits``) the new row dresses
    that row's picture, and is queued only once that picture exists.
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
        after=after,
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
            state.succeed_from(tryon, existing)
            return tryon, True
        if after is None or after.status == TryOnStatus.SUCCEEDED:
            enqueue_on_commit(tryon)
    return tryon, False


def retry(tryon: TryOn) -> bool:
    """Queue a failed TryOn again; False if it is not failed."""
    if not state.reset_failed(tryon):
        return False
    enqueue_on_commit(tryon)
    return True
