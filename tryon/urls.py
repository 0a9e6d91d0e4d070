"""URLs: include with ``path("tryon/", include("tryon.urls"))``.

``api/tryons/``, ``api/tryons/<id>/``, ``api/model-photos/``,
``api/garments/<id>/previews/`` and, with drf-spectacular installed, the OpenAPI
schema at ``api/schema/``.
"""

from __future__ import annotations

from .api.urls import urlpatterns

app_name = "tryon"

__all__ = ["app_name", "urlpatterns"]
