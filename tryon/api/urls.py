"""The API's routes (included by ``tryon.urls`` under ``api/``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views
from .schema import HAS_SPECTACULAR, schema_view

api_patterns: list[URLPattern] = [
    path("api/tryons/", views.TryOnCreateView.as_view(), name="tryon-list"),
    path("api/tryons/<uuid:pk>/", views.TryOnDetailView.as_view(), name="tryon-detail"),
    path("api/model-photos/", views.ModelPhotoListView.as_view(), name="model-photo-list"),
    path(
        "api/garments/<int:pk>/previews/",
        views.GarmentPreviewsView.as_view(),
        name="garment-previews",
    ),
]

urlpatterns: list[URLPattern] = [*api_patterns]
if HAS_SPECTACULAR:
    urlpatterns.append(path("api/schema/", schema_view(), name="schema"))
