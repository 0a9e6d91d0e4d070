"""The beacon's URL, included in ``tryon.urls`` (namespace ``tryon``):
``analytics/beacon/`` named ``analytics-beacon``."""

from __future__ import annotations

from django.urls import path

from .beacon import beacon

urlpatterns = [
    path("analytics/beacon/", beacon, name="analytics-beacon"),
]
