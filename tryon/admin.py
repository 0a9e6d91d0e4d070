"""Admin for garments, model photos and try-on jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Garment, ModelPhoto, TryOn

THUMBNAIL_SIZE = 64


def thumbnail(field_file: Any, size: int = THUMBNAIL_SIZE) -> str:
    """An <img> of a stored image, or an em dash; never raises for a missing file."""
    if not field_file:
        return "—"
    try:
        url = field_file.url
    except Exception:  # a storage that cannot build a URL must not break the page
        return "—"
    return format_html(
        '<img src="{}" alt="" style="max-width:{}px;max-height:{}px;object-fit:contain">',
        url,
        size,
        size,
    )


class GarmentInline(GenericTabularInline):
    """Add to a product admin's ``inlines`` to manage the product's try-on garments."""

    model = Garment
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    fields = ["name", "image", "image_thumbnail", "category", "description", "is_active"]
    readonly_fields = ["image_thumbnail"]

    @admin.display(description=_("preview"))
    def image_thumbnail(self, obj: Garment) -> str:
        return thumbnail(obj.image)


@admin.register(Garment)
class GarmentAdmin(admin.ModelAdmin):
    list_display = ["name", "image_thumbnail", "category", "is_active", "product", "created_at"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["image_thumbnail", "created_at", "updated_at"]
    fields = [
        "name",
        "image",
        "image_thumbnail",
        "category",
        "description",
        "is_active",
        "content_type",
        "object_id",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("image"))
    def image_thumbnail(self, obj: Garment) -> str:
        return thumbnail(obj.image)


@admin.register(ModelPhoto)
class ModelPhotoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "image_thumbnail", "is_preset", "is_active", "expires_at"]
    list_filter = ["is_preset", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["image_thumbnail", "owner", "session_key", "expires_at", "created_at"]

    @admin.display(description=_("image"))
    def image_thumbnail(self, obj: ModelPhoto) -> str:
        return thumbnail(obj.image)


@admin.register(TryOn)
class TryOnAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "result_thumbnail",
        "garment",
        "model_photo",
        "status",
        "source",
        "error_code",
        "provider_calls",
        "created_at",
    ]
    list_filter = ["status", "source", "is_preview", "error_code"]
    search_fields = ["id", "garment__name", "prompt", "error_message"]
    list_select_related = ["garment", "model_photo"]
    readonly_fields = [
        "id",
        "result_thumbnail",
        "status",
        "error_code",
        "error_message",
        "fingerprint",
        "reused_from",
        "provider_calls",
        "cache_hit",
        "is_preview",
        "owner",
        "session_key",
        "expires_at",
        "created_at",
        "started_at",
        "finished_at",
    ]
    raw_id_fields = ["garment", "model_photo"]

    @admin.display(description=_("result"))
    def result_thumbnail(self, obj: TryOn) -> str:
        return thumbnail(obj.result_image)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TryOn]:
        return super().get_queryset(request).select_related("garment", "model_photo")
