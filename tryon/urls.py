"""URLs: include with ``path("tryon/", include("tryon.urls"))``.

``api/tryons/``, ``api/tryons/<id>/``, ``api/model-photos/``,
``api/garments/<id>/previews/`` and, with drf-spectacular installed, the OpenAPI
schema at ``api/schema/``.
"""

from __future__ import annotations

from .analytics.urls import urlpatterns as analytics_urlpatterns
from .api.urls import urlpatterns as api_urlpatterns

app_name = "tryon"
urlpatterns = [*api_urlpatterns, *analytics_urlpatterns]

__all__ = ["app_name", "urlpatterns"]
