"""URLs of the example shop: the shop, the try-on app under /tryon/, the admin."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("tryon/", include("tryon.urls")),
    path("", include("shop.urls")),
]

if settings.DEBUG:
    # Development only: in production the web server serves MEDIA_ROOT.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
