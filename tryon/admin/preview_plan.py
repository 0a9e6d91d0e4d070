"""What "Generate try-on previews" will do, shown on its page before anything is queued.

For the selected rows: which are left out and why (a product with no garment, or only
inactive ones), and per garment the preset models it will be previewed on, retried on,
or skipped on with the reason. The decisions mirror ``tryon.previews.queue_previews``
(same fingerprint rule, same catalogue-preview rows), so the page says what will happen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import InvalidImageError
from ..fingerprint import compute_fingerprint
from ..models import Garment, ModelPhoto, TryOn, TryOnStatus
from .summaries import PREVIEW_SOURCES


@dataclass
class LeftOut:
    """A selected row no preview will be made for."""

    item: str
    reason: str


@dataclass
class GarmentPlan:
    garment: Garment
    to_queue: list[ModelPhoto] = field(default_factory=list)
    to_retry: list[ModelPhoto] = field(default_factory=list)
    skipped: list[tuple[ModelPhoto, str]] = field(default_factory=list)

    @property
    def has_work(self) -> bool:
        return bool(self.to_queue or self.to_retry)

    @property
    def skip_summary(self) -> str:
        """One reason when every chosen model is skipped for the same one."""
        reasons = {reason for _model, reason in self.skipped}
        if self.has_work or len(reasons) != 1:
            return ""
        return _("every chosen preset model: %(reason)s") % {"reason": reasons.pop()}


@dataclass
class PreviewPlan:
    selected: int  # rows selected in the changelist
    selected_name: str  # what they are, e.g. "products"
    selects_garments: bool
    left_out: list[LeftOut] = field(default_factory=list)
    garments: list[GarmentPlan] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return sum(len(plan.to_queue) + len(plan.to_retry) for plan in self.garments)


def plan_previews(
    queryset: QuerySet[Model],
    garments: Sequence[Garment],
    models: Sequence[ModelPhoto],
    *,
    retry_failed: bool,
) -> PreviewPlan:
    """The plan for ``garments`` (``previews.garments_for(queryset)``) on ``models``."""
    opts = queryset.model._meta
    selected = queryset.count()
    plan = PreviewPlan(
        selected=selected,
        selected_name=str(opts.verbose_name if selected == 1 else opts.verbose_name_plural),
        selects_garments=queryset.model is Garment,
    )
    if not plan.selects_garments:
        plan.left_out = _products_left_out(queryset, {g.pk for g in garments})
    rows = _existing_rows(garments, models)
    for garment in garments:
        garment_plan = GarmentPlan(garment)
        for model_photo in models:
            _plan_pair(garment_plan, model_photo, rows[(garment.pk, model_photo.pk)], retry_failed)
        plan.garments.append(garment_plan)
    return plan


def _products_left_out(queryset: QuerySet[Model], previewed: set[object]) -> list[LeftOut]:
    content_type = ContentType.objects.get_for_model(queryset.model)
    products = list(queryset)
    linked: dict[str, list[Garment]] = defaultdict(list)
    for garment in Garment.objects.filter(
        content_type=content_type, object_id__in=[str(p.pk) for p in products]
    ).order_by("name"):
        linked[garment.object_id].append(garment)
    left_out = []
    for product in products:
        garments = linked.get(str(product.pk), [])
        if any(garment.pk in previewed for garment in garments):
            continue
        if not garments:
            reason = _("no try-on garment is linked to it")
        else:
            names = ", ".join(f"“{garment.name}”" for garment in garments)
            reason = ngettext(
                "its garment %(names)s is inactive",
                "its garments %(names)s are inactive",
                len(garments),
            ) % {"names": names}
        left_out.append(LeftOut(str(product), reason))
    return left_out


def _existing_rows(
    garments: Sequence[Garment], models: Sequence[ModelPhoto]
) -> dict[tuple[object, object], list[TryOn]]:
    rows: dict[tuple[object, object], list[TryOn]] = defaultdict(list)
    if not garments or not models:
        return rows
    queryset = (
        TryOn.objects.filter(
            garment__in=list(garments), model_photo__in=list(models), source__in=PREVIEW_SOURCES
        )
        .only("id", "garment_id", "model_photo_id", "status", "fingerprint", "result_image")
        .order_by("-created_at")
    )
    for row in queryset:
        rows[(row.garment_id, row.model_photo_id)].append(row)
    return rows


def _plan_pair(
    plan: GarmentPlan, model_photo: ModelPhoto, rows: list[TryOn], retry_failed: bool
) -> None:
    try:
        fingerprint = compute_fingerprint(TryOn(garment=plan.garment, model_photo=model_photo))
    except (InvalidImageError, OSError) as exc:
        plan.skipped.append((model_photo, _("image unusable: %(problem)s") % {"problem": exc}))
        return
    current = [row for row in rows if row.fingerprint == fingerprint]
    statuses = {row.status for row in current if row.status != TryOnStatus.SUCCEEDED}
    if any(row.status == TryOnStatus.SUCCEEDED and row.result_image for row in current):
        plan.skipped.append((model_photo, _("already has a preview")))
    elif statuses & {TryOnStatus.PENDING, TryOnStatus.RUNNING}:
        plan.skipped.append((model_photo, _("already queued or running")))
    elif TryOnStatus.FAILED in statuses:
        if retry_failed:
            plan.to_retry.append(model_photo)
        else:
            plan.skipped.append((model_photo, _("failed before, not retried")))
    else:
        plan.to_queue.append(model_photo)
