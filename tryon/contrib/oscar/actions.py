"""Every call the Oscar dashboard makes into tryon's preview machinery, in one place.

The dashboard pages read preview states and queue previews only through these
functions, so a reorganisation of ``tryon.previews`` or ``tryon.services`` is followed
here and nowhere else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tryon import previews
from tryon.exceptions import InvalidImageError
from tryon.fingerprint import compute_fingerprint
from tryon.models import Garment, ModelPhoto, TryOn, TryOnStatus

PreviewReport = previews.PreviewReport

# A preview's state for one garment on one preset model, as the dashboard shows it.
DONE = "done"
IN_PROGRESS = "in_progress"
FAILED = "failed"
OUTDATED = "outdated"  # only pictures of an earlier garment or model image exist
MISSING = "missing"
UNUSABLE = "unusable"  # the garment's or the model's image cannot be used

STATE_LABELS = {
    DONE: _("Done"),
    IN_PROGRESS: _("Queued or running"),
    FAILED: _("Failed"),
    OUTDATED: _("Of an earlier picture"),
    MISSING: _("None yet"),
    UNUSABLE: _("Image unusable"),
}
STATE_ORDER = [DONE, IN_PROGRESS, FAILED, OUTDATED, MISSING, UNUSABLE]


@dataclass
class PreviewState:
    """The preview of one garment on one preset model."""

    model_photo: ModelPhoto
    state: str
    tryon: TryOn | None = None  # the row shown: the picture, the failure or the job
    problem: str = ""  # why the images cannot be used

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def picture(self) -> TryOn | None:
        """The row whose picture can be shown (done, or of an earlier picture)."""
        if self.tryon is not None and self.state in (DONE, OUTDATED):
            return self.tryon
        return None


@dataclass
class GarmentPlan:
    """What generating previews would do for one garment: to queue, and skipped with why."""

    garment: Garment
    to_queue: list[PreviewState] = field(default_factory=list)
    skipped: list[tuple[PreviewState, str]] = field(default_factory=list)


def preset_models(ids: Iterable[object] | None = None) -> QuerySet[ModelPhoto]:
    """The active preset models (or those of ``ids``), in the order pages show them."""
    return previews.preset_models(ids)


def preview_states(garment: Garment, models: Sequence[ModelPhoto]) -> list[PreviewState]:
    """The state of ``garment``'s preview on each of ``models``, in that order.

    Decided as ``tryon.previews.queue_previews`` decides: only pictures of the current
    garment and model images (same fingerprint) count as done, in progress or failed.
    """
    rows = list(previews.preview_rows(garment).filter(model_photo__in=list(models)))
    states = []
    for model_photo in models:
        mine = [row for row in rows if row.model_photo_id == model_photo.pk]  # newest first
        states.append(_state_of(garment, model_photo, mine))
    return states


def _state_of(garment: Garment, model_photo: ModelPhoto, rows: list[TryOn]) -> PreviewState:
    try:
        fingerprint = compute_fingerprint(TryOn(garment=garment, model_photo=model_photo))
    except (InvalidImageError, OSError) as exc:
        return PreviewState(model_photo, UNUSABLE, problem=str(exc))
    current = [row for row in rows if row.fingerprint == fingerprint]
    for row in current:
        if row.status == TryOnStatus.SUCCEEDED and row.result_image:
            return PreviewState(model_photo, DONE, row)
    for row in current:
        if row.status in (TryOnStatus.PENDING, TryOnStatus.RUNNING):
            return PreviewState(model_photo, IN_PROGRESS, row)
    for row in current:
        if row.status == TryOnStatus.FAILED:
            return PreviewState(model_photo, FAILED, row)
    for row in rows:
        if row.status == TryOnStatus.SUCCEEDED and row.result_image:
            return PreviewState(model_photo, OUTDATED, row)
    return PreviewState(model_photo, MISSING)


def state_counts(states: Iterable[PreviewState]) -> list[tuple[str, str, int]]:
    """``(state, label, count)`` for each state that occurs, in a fixed order."""
    counts = Counter(state.state for state in states)
    return [
        (state, str(STATE_LABELS[state]), counts[state]) for state in STATE_ORDER if counts[state]
    ]


def plan_previews(
    garments: Iterable[Garment], models: Sequence[ModelPhoto], *, retry_failed: bool
) -> list[GarmentPlan]:
    """What :func:`queue_previews` would queue, and what it would skip and why."""
    plans = []
    for garment in garments:
        plan = GarmentPlan(garment)
        for state in preview_states(garment, models):
            reason = _skip_reason(state, retry_failed=retry_failed)
            if reason is None:
                plan.to_queue.append(state)
            else:
                plan.skipped.append((state, reason))
        plans.append(plan)
    return plans


def _skip_reason(state: PreviewState, *, retry_failed: bool) -> str | None:
    if state.state == DONE:
        return str(_("already done"))
    if state.state == IN_PROGRESS:
        return str(_("already queued or running"))
    if state.state == FAILED and not retry_failed:
        return str(_("failed before; tick “retry” to try again"))
    if state.state == UNUSABLE:
        return str(_("image unusable: %(problem)s") % {"problem": state.problem})
    return None


def queue_previews(
    garments: Iterable[Garment], models: Sequence[ModelPhoto], *, retry_failed: bool
) -> PreviewReport:
    """Queue the missing previews of ``garments`` on ``models``."""
    return previews.queue_previews(list(garments), list(models), retry_failed=retry_failed)


def retry_failed_previews(garments: Iterable[Garment]) -> PreviewReport:
    """Queue again the failed previews of ``garments``; nothing else."""
    return previews.queue_previews(list(garments), only_failed=True)
