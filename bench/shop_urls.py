"""The example shop's URLs, plus its media served by Django whatever DEBUG says."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, re_path
from django.views.static import serve
from shopsite.urls import urlpatterns as shop_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    *shop_urlpatterns,
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
