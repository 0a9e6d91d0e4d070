"""Complete the look: an upper-body and a lower-body garment on one person.

The provider dresses one garment at a time, so an outfit is two chained try-ons: the
first puts the upper-body garment on the model photo, the second puts the lower-body
garment on the first one's picture (``TryOn.after``). Each step is a try-on of its own:
deduplicated on its own fingerprint, paid, counted and capped like any other. The
second step is the outfit the shopper sees; it waits, pending, until the first has its
picture, then this module queues it (or fails it with the first).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import signals, state
from .models import Category, Garment, TryOn, TryOnStatus
from .reuse import find_reusable
from .services import request_tryon
from .tasks import enqueue_on_commit


class OutfitError(ValueError):
    """The garments cannot be combined (the message says why, for the shopper)."""


def ordered_outfit(garments: list[Garment]) -> tuple[Garment, Garment]:
    """``(upper, lower)`` from two garments in any order; OutfitError if they don't combine."""
    by_category = {garment.category: garment for garment in garments}
    if len(garments) != 2 or len(by_category) != 2:
        raise OutfitError(_("Choose one upper-body and one lower-body garment."))
    if Category.DRESSES in by_category:
        raise OutfitError(_("A dress is a whole outfit: it does not combine with another garment."))
    return by_category[Category.UPPER_BODY], by_category[Category.LOWER_BODY]


def request_outfit(*, garments: list[Garment], **request: Any) -> tuple[TryOn, bool]:
    """Both steps of an outfit; ``(second step, answered_now)``. Keywords as ``request_tryon``."""
    upper, lower = ordered_outfit(garments)
    for garment_mode_only in ("garment", "prompt"):
        request.pop(garment_mode_only, None)
    with transaction.atomic():  # both rows exist before the first step's job can run
        first, _first_now = request_tryon(garment=upper, **request)
        second, _ = request_tryon(garment=lower, after=first, **request)
    return second, second.status == TryOnStatus.SUCCEEDED


def steps_of(tryon: TryOn) -> list[TryOn]:
    """The outfit's rows, first step first (a plain try-on is its own single step)."""
    steps = [tryon]
    while steps[0].after is not None:
        steps.insert(0, steps[0].after)
    return steps


def _on_finished(sender: Any, tryon: TryOn, succeeded: bool, **kwargs: Any) -> None:
    """The first step is done: queue (or answer, or fail) the steps waiting on it."""
    waiting = TryOn.objects.filter(after=tryon, status=TryOnStatus.PENDING).select_related("after")
    for step in waiting:
        if not succeeded:
            message = f"The first garment could not be tried on: {tryon.error_message}"
            if state.take(step.pk):
                state.fail(step, state.Failure(tryon.error_code, message))
            continue
        existing = find_reusable(step.fingerprint, exclude=step.pk)
        if existing is not None and state.take(step.pk):
            state.succeed_from(step, existing)
        else:
            enqueue_on_commit(step)


signals.tryon_finished.connect(_on_finished, dispatch_uid="tryon.outfits")
