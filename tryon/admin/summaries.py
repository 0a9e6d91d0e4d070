"""A garment's previews summarised on its admin pages: counts by status, gallery, failures.

A preview is a try-on of the garment on a preset model made for the catalogue (source
"preview" or "staff"); a shopper's try-on on a preset model is not one. The pages show
one preview per preset model: its newest succeeded one (a thumbnail), else the newest
queued or running one, else the newest failed one (in the failures list). The counts by
status count exactly those, so "Succeeded: 3" sits above three thumbnails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..models import Garment, TryOn, TryOnSource, TryOnStatus
from .display import (
    INLINE_SIZE,
    PREVIEW_SIZE,
    THUMBNAIL_SIZE,
    admin_link,
    error_description,
    thumbnail,
)

STATUS_ORDER = [s.value for s in TryOnStatus]
PREVIEW_SOURCES = (TryOnSource.PREVIEW, TryOnSource.STAFF)
PREFETCHED = "tryon_preview_rows"  # attribute a changelist's garments carry their rows in

# Which row of a preset model is shown: a picture beats work in progress beats a failure.
_RANK = {TryOnStatus.SUCCEEDED: 0, TryOnStatus.PENDING: 1, TryOnStatus.RUNNING: 1}
_FAILED_RANK = 2


def preview_queryset() -> QuerySet[TryOn]:
    """Every catalogue preview on a preset model, newest first."""
    return (
        TryOn.objects.filter(model_photo__is_preset=True, source__in=PREVIEW_SOURCES)
        .select_related("model_photo")
        .order_by("-created_at")
    )


def prefetch_previews() -> Prefetch[Any]:
    """For a garment queryset: each garment's previews, in one query per page."""
    return Prefetch("tryons", queryset=preview_queryset(), to_attr=PREFETCHED)


def shown_previews(garment: Garment) -> list[TryOn]:
    """The one preview per preset model the admin shows, in model order."""
    rows: Iterable[TryOn] | None = getattr(garment, PREFETCHED, None)
    if rows is None:
        rows = preview_queryset().filter(garment=garment)
    best: dict[object, tuple[int, TryOn]] = {}
    for row in rows:  # newest first: the first row of the best rank wins
        rank = _rank(row)
        if rank is None:
            continue
        current = best.get(row.model_photo_id)
        if current is None or rank < current[0]:
            best[row.model_photo_id] = (rank, row)
    shown = [row for _rank_, row in best.values()]
    return sorted(shown, key=lambda row: (row.model_photo.name, str(row.model_photo_id)))


def _rank(row: TryOn) -> int | None:
    if row.status == TryOnStatus.FAILED:
        return _FAILED_RANK
    if row.status == TryOnStatus.SUCCEEDED and not row.result_image:
        return None  # nothing to show
    return _RANK.get(TryOnStatus(row.status))


def status_counts(garment: Garment) -> Counter[str]:
    return Counter(row.status for row in shown_previews(garment))


def preview_counts_html(counts: Counter[str] | dict[str, int]) -> str:
    parts = [
        (status, TryOnStatus(status).label, counts.get(status, 0))
        for status in STATUS_ORDER
        if counts.get(status, 0)
    ]
    if not parts:
        return "—"
    return format_html_join(" · ", '<span class="tryon-count tryon-{}">{}: {}</span>', parts)


def preview_gallery_html(
    model_admin: admin.ModelAdmin, garment: Garment, size: int, *, captions: bool = True
) -> str:
    """The succeeded previews' thumbnails, each linked to its try-on and named by model."""
    rows = [row for row in shown_previews(garment) if row.status == TryOnStatus.SUCCEEDED]
    if not rows:
        return "—"
    if not captions:  # compact: the model's name in the tooltip
        links = [
            admin_link(model_admin, row, thumbnail(row.result_image, size, str(row.model_photo)))
            for row in rows
        ]
        return format_html(
            '<div class="tryon-previews tryon-previews--compact">{}</div>',
            SafeString("".join(links)),
        )
    figures = [
        format_html(
            '<figure class="tryon-preview">{}<figcaption>{}</figcaption></figure>',
            admin_link(model_admin, row, thumbnail(row.result_image, size)),
            row.model_photo,
        )
        for row in rows
    ]
    return format_html('<div class="tryon-previews">{}</div>', SafeString("".join(figures)))


def preview_failures_html(model_admin: admin.ModelAdmin, garment: Garment) -> str:
    rows = [row for row in shown_previews(garment) if row.status == TryOnStatus.FAILED]
    if not rows:
        return "—"
    items = [
        format_html(
            "<li>{} — {}{}</li>",
            admin_link(model_admin, row, str(row.model_photo)),
            format_html("<strong>{}</strong> {} ", row.error_code, error_description(row))
            if row.error_code is not None
            else "",
            row.error_message,
        )
        for row in rows
    ]
    return format_html('<ul class="tryon-failures">{}</ul>', SafeString("".join(items)))


class PreviewSummaryMixin:
    """Read-only fields: a garment's preview thumbnails, counts by status and failures."""

    @admin.display(description=_("previews by status"))
    def preview_status(self, obj: Garment) -> str:
        if obj.pk is None:
            return "—"
        return preview_counts_html(status_counts(obj))

    @admin.display(description=_("previews"))
    def preview_gallery(self, obj: Garment) -> str:
        if obj.pk is None:
            return "—"
        return preview_gallery_html(self, obj, PREVIEW_SIZE)  # type: ignore[arg-type]

    @admin.display(description=_("thumbnails"))
    def preview_thumbnails(self, obj: Garment) -> str:
        if obj.pk is None:
            return "—"
        return preview_gallery_html(self, obj, THUMBNAIL_SIZE)  # type: ignore[arg-type]

    @admin.display(description=_("previews"))
    def preview_overview(self, obj: Garment) -> str:
        """Counts and small thumbnails in one narrow cell (a product page's garment rows)."""
        if obj.pk is None:
            return "—"
        counts = preview_counts_html(status_counts(obj))
        gallery = preview_gallery_html(self, obj, INLINE_SIZE, captions=False)  # type: ignore[arg-type]
        if gallery == "—":
            return counts
        return format_html("<div>{}</div>{}", counts, gallery)

    @admin.display(description=_("failed previews"))
    def preview_failures(self, obj: Garment) -> str:
        if obj.pk is None:
            return "—"
        return preview_failures_html(self, obj)  # type: ignore[arg-type]
