"""A garment's previews summarised on its admin pages: counts by status, gallery, failures."""

from __future__ import annotations

from collections import Counter

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .. import previews
from ..models import Garment, TryOnStatus
from .display import PREVIEW_SIZE, THUMBNAIL_SIZE, admin_link, error_description, thumbnail

STATUS_ORDER = [s.value for s in TryOnStatus]


def preview_counts_html(counts: Counter[str] | dict[str, int]) -> str:
    parts = [
        (status, TryOnStatus(status).label, counts.get(status, 0))
        for status in STATUS_ORDER
        if counts.get(status, 0)
    ]
    if not parts:
        return "—"
    return format_html_join(" · ", '<span class="tryon-count tryon-{}">{}: {}</span>', parts)


def preview_gallery_html(model_admin: admin.ModelAdmin, garment: Garment, size: int) -> str:
    rows = previews.latest_by_model(garment, TryOnStatus.SUCCEEDED)
    if not rows:
        return "—"
    figures = [
        format_html(
            '<figure class="tryon-preview" style="display:inline-block;margin:0 8px 8px 0">'
            "{}<figcaption>{}</figcaption></figure>",
            admin_link(model_admin, row, thumbnail(row.result_image, size)),
            row.model_photo,
        )
        for row in rows
    ]
    return format_html('<div class="tryon-previews">{}</div>', SafeString("".join(figures)))


def preview_failures_html(model_admin: admin.ModelAdmin, garment: Garment) -> str:
    rows = previews.failed_previews(garment)
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
        annotated = {s: getattr(obj, f"previews_{s}", None) for s in STATUS_ORDER}
        if all(value is not None for value in annotated.values()):
            return preview_counts_html(annotated)  # type: ignore[arg-type]
        return preview_counts_html(
            Counter(previews.preview_rows(obj).values_list("status", flat=True))
        )

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

    @admin.display(description=_("failed previews"))
    def preview_failures(self, obj: Garment) -> str:
        if obj.pk is None:
            return "—"
        return preview_failures_html(self, obj)  # type: ignore[arg-type]
