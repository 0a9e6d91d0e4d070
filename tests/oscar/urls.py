"""The Oscar leg's URLs, as docs/oscar.md tells a shop to write them."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),  # Oscar's language selector
    path("admin/", admin.site.urls),
    path("tryon/", include("tryon.urls")),
    # Before Oscar's URLs, so "dashboard/tryon/" is not taken for an Oscar page.
    path("dashboard/tryon/", apps.get_app_config("tryon_oscar").urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
