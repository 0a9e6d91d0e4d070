"""Try-on jobs in the admin: errors explained, retry, and "save result as a preset model"."""

from __future__ import annotations

import posixpath
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.files.base import ContentFile
from django.db.models import Field, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..exceptions import UNANSWERED_REQUEST_CODE
from ..models import ModelPhoto, TryOn, TryOnStatus
from .display import ADMIN_CSS, PREVIEW_SIZE, admin_link, error_description, thumbnail
from .picture_input import PictureInput


def save_result_as_preset(tryon: TryOn, name: str = "") -> ModelPhoto:
    """A new preset model whose image is a copy of this try-on's result.

    A copy, not the same file: results of shoppers' requests are deleted with them.
    """
    with tryon.result_image.open("rb") as handle:
        content = handle.read()
    base = str(tryon.model_photo.name or _("Model"))
    label = tryon.prompt[:60] if tryon.prompt else str(tryon.garment or "")
    photo = ModelPhoto(name=(name or f"{base} – {label}")[:200], is_preset=True)
    extension = posixpath.splitext(tryon.result_image.name or "")[1] or ".jpg"
    photo.image.save(f"restyled{extension}", ContentFile(content), save=False)
    photo.save()
    return photo


@admin.register(TryOn)
class TryOnAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": (ADMIN_CSS,)}  # thumbnails and previews, styled without inline CSS

    list_display = [
        "id",
        "result_thumbnail",
        "garment",
        "model_photo",
        "status",
        "source",
        "error_summary",
        "provider_calls",
        "created_at",
    ]
    list_filter = ["status", "source", "is_preview", "error_code"]
    search_fields = ["id", "garment__name", "prompt", "error_message"]
    list_select_related = ["garment", "model_photo"]
    actions = ["retry_failed", "save_as_preset"]
    readonly_fields = [
        "id",
        "status",
        "error_code",
        "error_description",
        "error_message",
        "fingerprint",
        "reused_from",
        "provider_calls",
        "request_sent_at",
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

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        # The result and the mask shown in their own rows, not in a second "Result:" row.
        if db_field.name in ("result_image", "mask_image"):
            kwargs["widget"] = PictureInput(size=PREVIEW_SIZE)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("error"), ordering="error_code")
    def error_summary(self, obj: TryOn) -> str:
        if obj.status != TryOnStatus.FAILED:
            return ""
        if obj.error_code is None:
            return format_html("{}", obj.error_message[:120])
        return format_html(
            '<span title="{}">{}</span> {}',
            obj.error_message,
            obj.error_code,
            error_description(obj),
        )

    @admin.display(description=_("what the error code means"))
    def error_description(self, obj: TryOn) -> str:
        return error_description(obj) or "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TryOn]:
        return super().get_queryset(request).select_related("garment", "model_photo")

    @admin.action(description=_("Retry failed try-ons"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[TryOn]) -> None:
        failed = list(queryset.filter(status=TryOnStatus.FAILED))
        # Staff retry these knowingly: their last request may already have been charged.
        in_doubt = sum(t.error_code == UNANSWERED_REQUEST_CODE for t in failed)
        retried = sum(services.retry(t) for t in failed)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed try-on queued again.",
                "%(count)d failed try-ons queued again.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS if retried else messages.INFO,
        )
        if in_doubt:
            self.message_user(
                request,
                ngettext(
                    "%(count)d of them had a paid request that was never answered (code "
                    "90003): the provider may have charged for it already, and it is paid "
                    "again now.",
                    "%(count)d of them had paid requests that were never answered (code "
                    "90003): the provider may have charged for them already, and they are "
                    "paid again now.",
                    in_doubt,
                )
                % {"count": in_doubt},
                messages.WARNING,
            )

    @admin.action(description=_("Save result as a new preset model"))
    def save_as_preset(self, request: HttpRequest, queryset: QuerySet[TryOn]) -> None:
        usable = queryset.filter(status=TryOnStatus.SUCCEEDED).exclude(result_image="")
        saved = [save_result_as_preset(t) for t in usable.select_related("model_photo", "garment")]
        skipped = queryset.count() - len(saved)
        if saved:
            self.message_user(
                request,
                format_html(
                    "{} {}",
                    _("New preset models:"),
                    format_html_join(", ", "{}", ((admin_link(self, p, str(p)),) for p in saved)),
                ),
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d try-on has no result yet and was skipped.",
                    "%(count)d try-ons have no result yet and were skipped.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
