"""The API's routes (included by ``tryon.urls`` under ``api/``), and the schema view
that documents them."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, include, path, re_path, reverse

from .. import __version__
from . import files, fragment, share, views
from .schema import ERROR_COMPONENTS, HAS_SPECTACULAR

# Ids match any characters (newlines and slashes too) and are checked by the views, so a
# malformed one is answered by a JSON 404 like any unknown id, not the host's HTML page.
_ANY_ID = r"(?P<pk>[\s\S]+)"

api_patterns: list[URLPattern] = [
    path("api/tryons/", views.TryOnCreateView.as_view(), name="tryon-list"),
    # Before the detail pattern, whose id would otherwise swallow "<id>/share".
    re_path(rf"^api/tryons/{_ANY_ID}/share/\Z", share.TryOnShareView.as_view(), name="tryon-share"),
    re_path(rf"^api/tryons/{_ANY_ID}/\Z", views.TryOnDetailView.as_view(), name="tryon-detail"),
    path("api/model-photos/", views.ModelPhotoListView.as_view(), name="model-photo-list"),
    re_path(
        rf"^api/model-photos/{_ANY_ID}/\Z",
        views.OwnModelPhotoView.as_view(),
        name="model-photo-detail",
    ),
    re_path(
        rf"^api/garments/{_ANY_ID}/previews/\Z",
        views.GarmentPreviewsView.as_view(),
        name="garment-previews",
    ),
]
# For the <tryon-widget> element; left out of the schema, which documents the REST resources.
element_patterns: list[URLPattern] = [
    path(
        "api/garments/<int:pk>/widget/",
        fragment.WidgetFragmentView.as_view(),
        name="garment-widget",
    ),
    path("api/csrf/", fragment.CsrfTokenView.as_view(), name="csrf"),
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
            "APPEND_COMPONENTS": {"schemas": ERROR_COMPONENTS},
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "tryon.api.schema.require_create_fields",
            ],
        }

        def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            # Wherever the host includes tryon.urls, document the paths as served.
            list_path = reverse("tryon:tryon-list")
            prefix = list_path[: -len("api/tryons/")].lstrip("/")
            self.patterns = [path(prefix, include(api_patterns))]
            return super().get(request, *args, **kwargs)

    return TryOnSchemaView.as_view()


urlpatterns: list[URLPattern] = [*api_patterns, *element_patterns, *file_patterns]
if HAS_SPECTACULAR:
    urlpatterns.append(path("api/schema/", schema_view(), name="schema"))
