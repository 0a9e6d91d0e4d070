"""Garments in the admin: their own admin, and the inline a shop adds to its product admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import Garment
from .actions import generate_tryon_previews, retry_failed_tryon_previews
from .display import thumbnail
from .summaries import STATUS_ORDER, PreviewSummaryMixin


class GarmentInline(PreviewSummaryMixin, GenericTabularInline):
    """Add to a product admin's ``inlines`` to manage the product's try-on garments."""

    model = Garment
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    fields = [
        "name",
        "image",
        "image_thumbnail",
        "category",
        "description",
        "is_active",
        "preview_status",
        "preview_thumbnails",
    ]
    readonly_fields = ["image_thumbnail", "preview_status", "preview_thumbnails"]

    @admin.display(description=_("preview"))
    def image_thumbnail(self, obj: Garment) -> str:
        return thumbnail(obj.image)


@admin.register(Garment)
class GarmentAdmin(PreviewSummaryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "image_thumbnail",
        "category",
        "is_active",
        "product",
        "preview_status",
        "created_at",
    ]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "description"]
    actions = [generate_tryon_previews, retry_failed_tryon_previews]
    readonly_fields = [
        "image_thumbnail",
        "preview_status",
        "preview_gallery",
        "preview_failures",
        "created_at",
        "updated_at",
    ]
    fields = [
        "name",
        "image",
        "image_thumbnail",
        "category",
        "description",
        "is_active",
        "content_type",
        "object_id",
        "preview_status",
        "preview_gallery",
        "preview_failures",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("image"))
    def image_thumbnail(self, obj: Garment) -> str:
        return thumbnail(obj.image)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Garment]:
        # Counts by status in one query for the whole change list.
        on_presets = Q(tryons__model_photo__is_preset=True)
        counts = {
            f"previews_{status}": Count("tryons", filter=on_presets & Q(tryons__status=status))
            for status in STATUS_ORDER
        }
        return super().get_queryset(request).annotate(**counts)
