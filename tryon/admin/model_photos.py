"""Model photos in the admin, with the "Restyle by prompt" action and its form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Field, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..models import ModelPhoto, TryOnSource
from ..parameters import GUIDANCE_SCALE_RANGE, INFERENCE_STEPS_RANGE, SEED_MAX, SEED_MIN
from .action_page import intermediate_page
from .display import ADMIN_CSS, PREVIEW_SIZE, admin_link, thumbnail
from .picture_input import PictureInput


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
    class Media:
        css = {"all": (ADMIN_CSS,)}  # thumbnails and previews, styled without inline CSS

    # The id (or the name) is what ``tryon_pregenerate --model-photo`` takes.
    list_display = ["__str__", "image_thumbnail", "is_preset", "is_active", "expires_at", "id"]
    list_filter = ["is_preset", "is_active"]
    search_fields = ["name"]
    readonly_fields = [
        "id",
        "owner",
        "session_key",
        "expires_at",
        "consent_version",
        "consented_at",
        "created_at",
    ]
    actions = ["restyle_by_prompt"]

    @admin.display(description=_("image"))
    def image_thumbnail(self, obj: ModelPhoto) -> str:
        return thumbnail(obj.image)

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "image":
            kwargs["widget"] = PictureInput(size=PREVIEW_SIZE)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

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
                    ", ", "{}", ((admin_link(self, t, str(t.model_photo)),) for t in created)
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
        return intermediate_page(
            self,
            request,
            queryset,
            "admin/tryon/restyle.html",
            title=_("Restyle by prompt"),
            form=form,
        )
