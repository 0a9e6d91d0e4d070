"""Admin for garments, model photos and try-on jobs, and catalogue previews.

A shop's own product admin gets the same preview tools with two lines::

    from tryon.admin import GarmentInline, generate_tryon_previews, retry_failed_tryon_previews

    @admin.register(Product)
    class ProductAdmin(admin.ModelAdmin):
        inlines = [GarmentInline]
        actions = [generate_tryon_previews, retry_failed_tryon_previews]

The actions work on garments or on any model whose rows garments are linked to.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.files.base import ContentFile
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import previews, services
from .backends.codes import describe_code
from .models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus
from .parameters import GUIDANCE_SCALE_RANGE, INFERENCE_STEPS_RANGE, SEED_MAX, SEED_MIN

THUMBNAIL_SIZE = 64
PREVIEW_SIZE = 120
_STATUS_ORDER = [s.value for s in TryOnStatus]


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


def _admin_link(model_admin: admin.ModelAdmin, obj: Model, text: str) -> str:
    """A link to ``obj``'s change page on this admin site, or plain text if not there."""
    opts = obj._meta
    try:
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[obj.pk],
            current_app=model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return format_html("{}", text)
    return format_html('<a href="{}">{}</a>', url, text)


def error_description(tryon: TryOn) -> str:
    """What a failed job's provider code means, in words a shop owner reads."""
    if tryon.error_code is None:
        return ""
    return describe_code(tryon.error_code)


# -- preview summaries shown on garment pages ---------------------------------------------


def preview_counts_html(counts: Counter[str] | dict[str, int]) -> str:
    parts = [
        (status, TryOnStatus(status).label, counts.get(status, 0))
        for status in _STATUS_ORDER
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
            _admin_link(model_admin, row, thumbnail(row.result_image, size)),
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
            _admin_link(model_admin, row, str(row.model_photo)),
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
        annotated = {s: getattr(obj, f"previews_{s}", None) for s in _STATUS_ORDER}
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


# -- the "generate previews" action, for garments and for a shop's products ---------------


class PreviewModelsForm(forms.Form):
    model_photos = forms.ModelMultipleChoiceField(
        label=_("Preset models"),
        queryset=ModelPhoto.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one preset model.")},
    )
    retry_failed = forms.BooleanField(
        label=_("Also retry previews that failed before"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per form, not at import: presets change while the site runs.
        presets = previews.preset_models()
        field = self.fields["model_photos"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = presets
        field.initial = list(presets.values_list("pk", flat=True))


@admin.action(description=_("Generate try-on previews"))
def generate_tryon_previews(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Model]
) -> TemplateResponse | None:
    """Choose preset models on an intermediate page, then queue the missing previews."""
    garments = previews.garments_for(queryset)
    if not previews.preset_models().exists():
        model_admin.message_user(
            request, _("There are no active preset models to generate previews on."), messages.ERROR
        )
        return None
    if "apply" in request.POST:
        form = PreviewModelsForm(request.POST)
        if form.is_valid():
            report = previews.queue_previews(
                garments,
                list(form.cleaned_data["model_photos"]),
                retry_failed=form.cleaned_data["retry_failed"],
            )
            _report(model_admin, request, report)
            return None
    else:
        form = PreviewModelsForm()
    return _intermediate_page(
        model_admin,
        request,
        queryset,
        "admin/tryon/generate_previews.html",
        title=_("Generate try-on previews"),
        form=form,
        garments=list(garments),
    )


@admin.action(description=_("Retry failed try-on previews"))
def retry_failed_tryon_previews(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Model]
) -> None:
    report = previews.queue_previews(previews.garments_for(queryset), only_failed=True)
    model_admin.message_user(
        request,
        ngettext(
            "%(count)d failed preview queued again.",
            "%(count)d failed previews queued again.",
            report.retried,
        )
        % {"count": report.retried},
        messages.SUCCESS if report.retried else messages.INFO,
    )


def _report(
    model_admin: admin.ModelAdmin, request: HttpRequest, report: previews.PreviewReport
) -> None:
    level = messages.SUCCESS if not report.unusable else messages.WARNING
    model_admin.message_user(
        request,
        _("Try-on previews: %(summary)s.") % {"summary": report.summary()},
        level,
    )
    for problem in report.unusable[:10]:
        model_admin.message_user(request, problem, messages.ERROR)


def _intermediate_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Model],
    template: str,
    **context: Any,
) -> TemplateResponse:
    opts = model_admin.model._meta
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": opts,
            "queryset": queryset,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": model_admin.media,
            **context,
        },
    )


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
            for status in _STATUS_ORDER
        }
        return super().get_queryset(request).annotate(**counts)


# -- model photos: restyle by prompt ------------------------------------------------------


class RestyleForm(forms.Form):
    prompt = forms.CharField(
        label=_("Prompt"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_('English, e.g. "Help the model change into a blue striped shirt."'),
    )
    seed = forms.IntegerField(
        label=_("Seed"), required=False, min_value=SEED_MIN, max_value=SEED_MAX
    )
    randomize_seed = forms.BooleanField(label=_("Random seed"), required=False)
    guidance_scale = forms.FloatField(
        label=_("Guidance scale"),
        required=False,
        min_value=GUIDANCE_SCALE_RANGE[0],
        max_value=GUIDANCE_SCALE_RANGE[1],
        help_text=_("1–100, default 50: how strongly the prompt weighs."),
    )
    num_inference_steps = forms.IntegerField(
        label=_("Inference steps"),
        required=False,
        min_value=INFERENCE_STEPS_RANGE[0],
        max_value=INFERENCE_STEPS_RANGE[1],
        help_text=_("1–50, default 28."),
    )


@admin.register(ModelPhoto)
class ModelPhotoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "image_thumbnail", "is_preset", "is_active", "expires_at"]
    list_filter = ["is_preset", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["image_thumbnail", "owner", "session_key", "expires_at", "created_at"]
    actions = ["restyle_by_prompt"]

    @admin.display(description=_("image"))
    def image_thumbnail(self, obj: ModelPhoto) -> str:
        return thumbnail(obj.image)

    @admin.action(description=_("Restyle by prompt…"))
    def restyle_by_prompt(
        self, request: HttpRequest, queryset: QuerySet[ModelPhoto]
    ) -> TemplateResponse | None:
        """Queue a prompt-mode try-on per selected photo; its result can become a preset."""
        if "apply" in request.POST:
            form = RestyleForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                created = [
                    services.request_tryon(
                        model_photo=photo,
                        prompt=data["prompt"],
                        seed=data["seed"],
                        randomize_seed=data["randomize_seed"] or None,
                        guidance_scale=data["guidance_scale"],
                        num_inference_steps=data["num_inference_steps"],
                        source=TryOnSource.STAFF,
                        owner=request.user,
                    )[0]
                    for photo in queryset
                ]
                links = format_html_join(
                    ", ", "{}", ((_admin_link(self, t, str(t.model_photo)),) for t in created)
                )
                self.message_user(
                    request,
                    format_html(
                        "{} {}",
                        ngettext(
                            "%(count)d restyle queued; when it has succeeded, use "
                            "“Save result as a new preset model” on it:",
                            "%(count)d restyles queued; when they have succeeded, use "
                            "“Save result as a new preset model” on them:",
                            len(created),
                        )
                        % {"count": len(created)},
                        links,
                    ),
                    messages.SUCCESS,
                )
                return None
        else:
            form = RestyleForm()
        return _intermediate_page(
            self,
            request,
            queryset,
            "admin/tryon/restyle.html",
            title=_("Restyle by prompt"),
            form=form,
        )


# -- try-on jobs ---------------------------------------------------------------------------


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
        "result_thumbnail",
        "status",
        "error_code",
        "error_description",
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
        retried = sum(services.retry(t) for t in queryset.filter(status=TryOnStatus.FAILED))
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
                    format_html_join(", ", "{}", ((_admin_link(self, p, str(p)),) for p in saved)),
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
