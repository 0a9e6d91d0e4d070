"""``TryOnOscarConfig``: the try-on garments as a page of Oscar's dashboard.

An Oscar dashboard app like Oscar's own: its URLs are included by the shop
(``path("dashboard/tryon/", apps.get_app_config("tryon_oscar").urls)``), each view
is guarded by the permissions below, and Oscar's navigation shows the menu entry only
to users who pass them.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig

from .nav import DASHBOARD_NAMESPACE


class TryOnOscarConfig(OscarDashboardConfig):
    name = "tryon.contrib.oscar"
    label = "tryon_oscar"
    verbose_name = _("Try-on dashboard")
    namespace = DASHBOARD_NAMESPACE
    default_auto_field = "django.db.models.BigAutoField"

    default_permissions = ["is_staff"]
    # A list: all of it is needed (Oscar's convention). Staff only, plus the model
    # permission each page uses; superusers have them all.
    permissions_map: dict[str, Any] = {
        "tryon-garment-list": ["is_staff", "tryon.view_garment"],
        "tryon-garment-create": ["is_staff", "tryon.add_garment"],
        "tryon-garment-update": ["is_staff", "tryon.change_garment"],
        "tryon-garment-delete": ["is_staff", "tryon.delete_garment"],
        "tryon-garment-previews": ["is_staff", "tryon.view_garment", "tryon.add_tryon"],
        "tryon-garment-retry-failed": ["is_staff", "tryon.view_garment", "tryon.add_tryon"],
    }

    def ready(self) -> None:
        from . import checks, receivers

        checks.register()
        receivers.connect()

    def get_urls(self) -> list[URLPattern]:
        from . import views

        urls = [
            path("", views.GarmentListView.as_view(), name="tryon-garment-list"),
            path("create/", views.GarmentCreateView.as_view(), name="tryon-garment-create"),
            path("<int:pk>/", views.GarmentUpdateView.as_view(), name="tryon-garment-update"),
            path(
                "<int:pk>/delete/", views.GarmentDeleteView.as_view(), name="tryon-garment-delete"
            ),
            path("previews/", views.GeneratePreviewsView.as_view(), name="tryon-garment-previews"),
            path(
                "previews/retry-failed/",
                views.RetryFailedView.as_view(),
                name="tryon-garment-retry-failed",
            ),
        ]
        patterns: list[URLPattern] = self.post_process_urls(urls)
        return patterns
