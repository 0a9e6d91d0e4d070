"""URLs: include with ``path("tryon/", include("tryon.urls"))``."""

from django.urls import path

app_name = "tryon"

urlpatterns: list = []
