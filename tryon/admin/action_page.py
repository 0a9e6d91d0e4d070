"""The intermediate page an admin action shows to ask for its options before it runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse


def intermediate_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Model],
    template: str,
    **context: Any,
) -> TemplateResponse:
    """Render ``template`` (extending ``admin/tryon/_action_page.html``) for this action.

    The page re-posts the action and the selected rows, so that "apply" reaches the action
    again with the same queryset.
    """
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
