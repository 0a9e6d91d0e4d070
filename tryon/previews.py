"""Catalogue previews: every garment on every preset model, queued once.

The admin action and ``tryon_pregenerate`` both come through :func:`queue_previews`,
so a run is resumable the same way everywhere: a garment × model pair whose current
picture (same fingerprint: same images, category, description) already succeeded is
skipped, one already queued or running is left alone, and a failed one is retried
only when asked. A pair keeps one row: a retry re-queues the failed TryOn itself.

The queries that show previews live here too: to staff (:func:`latest_by_model`,
:func:`failed_previews`) and to shoppers (:func:`garment_previews`, for the REST API
and ``{% tryon_previews %}``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from . import services
from .exceptions import InvalidImageError
from .fingerprint import compute_fingerprint
from .models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus

_CHUNK = 100  # garments whose existing previews are loaded in one query
# Bounds the rows read per garment for shoppers (try-ons on presets accumulate).
_PREVIEW_CANDIDATES = 500


@dataclass
class PreviewReport:
    """What :func:`queue_previews` did, pair by pair."""

    queued: int = 0  # new TryOns, enqueued
    retried: int = 0  # failed TryOns enqueued again
    reused: int = 0  # answered at once from an identical earlier result
    done: int = 0  # already succeeded: skipped
    in_progress: int = 0  # already pending or running: left alone
    failed: int = 0  # failed earlier and not retried
    unusable: list[str] = field(default_factory=list)  # pairs whose images cannot be used
    # Every TryOn this run is waiting for (queued, retried or already in progress).
    waiting_ids: list[str] = field(default_factory=list)
    # The rows of pairs that are finished (done, reused, failed and not retried).
    finished_ids: list[str] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return (
            self.queued
            + self.retried
            + self.reused
            + self.done
            + self.in_progress
            + self.failed
            + len(self.unusable)
        )

    def summary(self) -> str:
        parts = [
            f"{self.queued} queued",
            f"{self.retried} failed ones retried",
            f"{self.done + self.reused} already done",
            f"{self.in_progress} already queued or running",
        ]
        if self.failed:
            parts.append(f"{self.failed} failed earlier (not retried)")
        if self.unusable:
            parts.append(f"{len(self.unusable)} with unusable images")
        return ", ".join(parts)


def preset_models(ids: Iterable[object] | None = None) -> QuerySet[ModelPhoto]:
    """The active preset models, or those of ``ids`` (which must be presets)."""
    models = ModelPhoto.objects.presets()
    if ids is not None:
        models = models.filter(pk__in=list(ids))
    return models.order_by("name", "created_at")


def garments_for(queryset: QuerySet[Model]) -> QuerySet[Garment]:
    """The garments of a Garment queryset, or the active ones linked to products.

    Garments picked one by one are previewed even if inactive (staff chose them); a
    product's inactive garments are not.
    """
    if queryset.model is Garment:
        return queryset  # type: ignore[return-value]
    content_type = ContentType.objects.get_for_model(queryset.model)
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
    return Garment.objects.filter(content_type=content_type, object_id__in=ids, is_active=True)


def queue_previews(
    garments: Iterable[Garment],
    model_photos: Sequence[ModelPhoto] | None = None,
    *,
    retry_failed: bool = False,
    only_failed: bool = False,
) -> PreviewReport:
    """Queue one preview per garment × preset model that has none yet.

    ``retry_failed`` re-queues pairs whose preview failed; ``only_failed`` does only
    that (the "retry failed" action). ``model_photos`` defaults to every active preset.
    """
    models = list(preset_models() if model_photos is None else model_photos)
    report = PreviewReport()
    garment_list = list(garments)
    for start in range(0, len(garment_list), _CHUNK):
        chunk = garment_list[start : start + _CHUNK]
        existing = _existing_rows(chunk, models)
        for garment in chunk:
            for model_photo in models:
                _queue_pair(
                    garment,
                    model_photo,
                    existing.get((garment.pk, model_photo.pk), []),
                    report,
                    retry_failed=retry_failed or only_failed,
                    only_failed=only_failed,
                )
    return report


def _existing_rows(
    garments: list[Garment], models: list[ModelPhoto]
) -> dict[tuple[object, object], list[TryOn]]:
    rows: dict[tuple[object, object], list[TryOn]] = defaultdict(list)
    queryset = (
        # Catalogue previews only: a shopper's try-on on a preset model is not one (an
        # identical picture is still reused, free, when the preview is requested).
        TryOn.objects.filter(
            garment__in=garments,
            model_photo__in=models,
            source__in=[TryOnSource.PREVIEW, TryOnSource.STAFF],
        )
        .only(
            "id", "garment_id", "model_photo_id", "status", "source", "fingerprint", "result_image"
        )
        .order_by("-created_at")
    )
    for row in queryset:
        rows[(row.garment_id, row.model_photo_id)].append(row)
    return rows


def _queue_pair(
    garment: Garment,
    model_photo: ModelPhoto,
    rows: list[TryOn],
    report: PreviewReport,
    *,
    retry_failed: bool,
    only_failed: bool,
) -> None:
    try:
        fingerprint = compute_fingerprint(TryOn(garment=garment, model_photo=model_photo))
    except (InvalidImageError, OSError) as exc:
        report.unusable.append(f"{garment} on {model_photo}: {exc}")
        return
    # Rows of an older version of the garment or model image no longer count.
    current = [row for row in rows if row.fingerprint == fingerprint]
    by_status: dict[str, list[TryOn]] = defaultdict(list)
    for row in current:  # newest first
        by_status[row.status].append(row)

    if any(row.result_image for row in by_status[TryOnStatus.SUCCEEDED]):
        report.done += 1
        report.finished_ids.append(str(by_status[TryOnStatus.SUCCEEDED][0].pk))
        return
    unfinished = by_status[TryOnStatus.PENDING] + by_status[TryOnStatus.RUNNING]
    if unfinished:
        report.in_progress += 1
        report.waiting_ids.append(str(unfinished[0].pk))
        return
    failed = by_status[TryOnStatus.FAILED]
    if failed:
        if retry_failed and services.retry(failed[0]):
            report.retried += 1
            report.waiting_ids.append(str(failed[0].pk))
        else:
            report.failed += 1
            report.finished_ids.append(str(failed[0].pk))
        return
    if only_failed:
        return
    tryon, answered_now = services.request_tryon(
        garment=garment, model_photo=model_photo, source=TryOnSource.PREVIEW
    )
    if answered_now:
        report.reused += 1
        report.finished_ids.append(str(tryon.pk))
    else:
        report.queued += 1
        report.waiting_ids.append(str(tryon.pk))


def status_counts(tryon_ids: Sequence[str]) -> Counter[str]:
    """How many of these TryOns are in each status."""
    counts: Counter[str] = Counter()
    for start in range(0, len(tryon_ids), 500):
        chunk = tryon_ids[start : start + 500]
        counts.update(TryOn.objects.filter(pk__in=chunk).values_list("status", flat=True))
    return counts


def preview_rows(garment: Garment) -> QuerySet[TryOn]:
    """Every TryOn of this garment on a preset model, newest first."""
    return (
        TryOn.objects.filter(garment=garment, model_photo__is_preset=True)
        .select_related("model_photo")
        .order_by("-created_at")
    )


def latest_by_model(garment: Garment, status: str) -> list[TryOn]:
    """The newest TryOn in ``status`` per preset model, in model order (for staff)."""
    newest = _newest_per_model(preview_rows(garment).filter(status=status))
    return sorted(newest.values(), key=lambda row: (row.model_photo.name, str(row.model_photo_id)))


def failed_previews(garment: Garment) -> list[TryOn]:
    """Per preset model, the newest preview when it failed (none succeeded or is queued)."""
    rows = list(preview_rows(garment))
    settled = {row.model_photo_id for row in rows if row.status != TryOnStatus.FAILED}
    return [
        row
        for model_id, row in _newest_per_model(rows).items()
        if model_id not in settled and row.status == TryOnStatus.FAILED
    ]


def garment_previews(garment: Garment) -> list[TryOn]:
    """What shoppers see: the newest succeeded try-on of ``garment`` per active preset.

    Catalogue previews come first; any other succeeded try-on on a preset model (a
    shopper's, which shows only the preset model) fills in models without one. In the
    order of the presets (the widget's picker).
    """
    rows = (
        TryOn.objects.succeeded()
        .filter(garment=garment, model_photo__is_preset=True, model_photo__is_active=True)
        .exclude(result_image="")
        .select_related("model_photo")
        .order_by("-finished_at", "-created_at")[:_PREVIEW_CANDIDATES]
    )
    best = _newest_per_model(rows, preferred=lambda row: row.source == TryOnSource.PREVIEW)
    photo_order = {photo.pk: index for index, photo in enumerate(ModelPhoto.objects.presets())}
    return sorted(best.values(), key=lambda row: photo_order.get(row.model_photo_id, 0))


def _newest_per_model(
    rows: Iterable[TryOn], *, preferred: Callable[[TryOn], bool] | None = None
) -> dict[object, TryOn]:
    """The first of ``rows`` (newest first) per model photo; a ``preferred`` row wins over
    newer ones that are not."""
    best: dict[object, TryOn] = {}
    for row in rows:
        current = best.get(row.model_photo_id)
        if current is None or (preferred is not None and preferred(row) and not preferred(current)):
            best[row.model_photo_id] = row
    return best
