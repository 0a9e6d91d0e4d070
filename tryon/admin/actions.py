"""The preview actions, for garments and for a shop's own product admin.

"Generate try-on previews" asks for preset models on an intermediate page, then queues
the missing previews; "Retry failed try-on previews" queues the failed ones again. Both
work on garments or on any model whose rows garments are linked to.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import previews
from ..forms import PreviewModelsForm
from .action_page import intermediate_page
from .preview_plan import plan_previews


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
    garment_list = list(garments)
    # The page shows what would happen on every preset model ticked by default.
    plan = plan_previews(
        queryset,
        garment_list,
        list(previews.preset_models()),
        retry_failed=bool(form["retry_failed"].value()),
    )
    return intermediate_page(
        model_admin,
        request,
        queryset,
        "admin/tryon/generate_previews.html",
        title=_("Generate try-on previews"),
        form=form,
        garments=garment_list,
        plan=plan,
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
