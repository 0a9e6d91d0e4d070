"""The API's routes (included by ``tryon.urls`` under ``api/``), and the schema view
that documents them."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, include, path, reverse

from .. import __version__
from . import files, share, views
from .schema import HAS_SPECTACULAR

api_patterns: list[URLPattern] = [
    path("api/tryons/", views.TryOnCreateView.as_view(), name="tryon-list"),
    path("api/tryons/<uuid:pk>/", views.TryOnDetailView.as_view(), name="tryon-detail"),
    path("api/tryons/<uuid:pk>/share/", share.TryOnShareView.as_view(), name="tryon-share"),
    path("api/model-photos/", views.ModelPhotoListView.as_view(), name="model-photo-list"),
    path(
        "api/model-photos/<uuid:pk>/",
        views.OwnModelPhotoView.as_view(),
        name="model-photo-detail",
    ),
    path(
        "api/garments/<int:pk>/previews/",
        views.GarmentPreviewsView.as_view(),
        name="garment-previews",
    ),
]
file_patterns: list[URLPattern] = [
    path("files/<str:token>/", files.private_file, name="private-file"),
    path("share/<str:token>/", share.share_page, name="share-page"),
    path("share/<str:token>/image/", share.share_image, name="share-image"),
]


def schema_view() -> Any:
    """The ``api/schema/`` view: this app's endpoints only, under the host's prefix."""
    from drf_spectacular.views import SpectacularAPIView  # only with the openapi extra

    class TryOnSchemaView(SpectacularAPIView):
        custom_settings = {
            "TITLE": "django-tryon API",
            "DESCRIPTION": "Virtual try-on: create, poll and delete try-ons; presets; previews.",
            "VERSION": __version__,
            # Separate request components, so the upload is documented as a binary file.
            "COMPONENT_SPLIT_REQUEST": True,
        }

        def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            # Wherever the host includes tryon.urls, document the paths as served.
            list_path = reverse("tryon:tryon-list")
            prefix = list_path[: -len("api/tryons/")].lstrip("/")
            self.patterns = [path(prefix, include(api_patterns))]
            return super().get(request, *args, **kwargs)

    return TryOnSchemaView.as_view()


urlpatterns: list[URLPattern] = [*api_patterns, *file_patterns]
if HAS_SPECTACULAR:
    urlpatterns.append(path("api/schema/", schema_view(), name="schema"))
