"""The app's settings: one ``TRYON`` dict, read on every access.

Reading lazily (never at import time) keeps ``override_settings`` working in tests
and lets the environment fill in what the dict leaves out.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_API_BASE_URL = "https://changeclothesai.online"

DEFAULTS: dict[str, Any] = {
    "BACKEND": "tryon.backends.changeclothes.ChangeClothesBackend",
    "API_KEY": None,  # falls back to env TRYON_API_KEY
    "API_BASE_URL": None,  # falls back to env TRYON_API_BASE_URL, then the provider
    "TIMEOUT": 120,
    "MAX_RETRIES": 2,
    "RETRY_BACKOFF": 1.0,  # seconds before the first retry; doubles each time
    # Per-backend options, keyed by the backend's dotted path: {"API_KEY": ..., ...}. An
    # option not given there falls back to the top-level key of the same name, if any.
    "BACKEND_OPTIONS": {},
    "STORAGE": "default",
    # STORAGES alias for shoppers' photos and their results; None: <MEDIA_ROOT>-private.
    "PRIVATE_STORAGE": None,
    "PRIVATE_URL_MAX_AGE": 60 * 60,  # seconds a signed link to a shopper's file works
    "TASK_BACKEND": "default",
    "QUEUE_NAME": "default",
    "BULK_QUEUE_NAME": None,  # queue for catalogue previews; None: QUEUE_NAME
    "UPLOAD_TO": "tryon",  # folder (in STORAGE) for photos and results
    "MAX_IMAGE_SIDE": 2048,  # long side of images sent to the provider
    "MAX_IMAGE_PIXELS": 50_000_000,  # decompression-bomb guard
    "MAX_UPLOAD_BYTES": 15 * 1024 * 1024,
    "MIN_IMAGE_SIDE": 256,
    "MAX_UPLOAD_SIDE": 12_000,  # a shopper's upload with a longer side is refused
    # Estimated peak memory one picture may take to decode and resize (bytes); None: no cap.
    "MAX_DECODE_BYTES": 128 * 1024 * 1024,
    "MAX_CONCURRENT_DECODES": 2,  # pictures decoded at once per process; None: no bound
    "MAX_DOWNLOAD_BYTES": 30 * 1024 * 1024,  # a provider result larger than this is refused
    "DOWNLOAD_TIMEOUT": 30,
    # Hosts provider results may be downloaded from, beside the API's own (".example.com"
    # also matches its subdomains).
    "RESULT_HOSTS": ("persistent.changeclothesai.online", "r2.changeclothesai.online"),
    "JPEG_QUALITY": 90,
    "ALLOW_ANONYMOUS": True,
    "SHOPPER_PHOTO_TTL": 24 * 60 * 60,  # seconds a shopper's photo and result are kept
    # Version of the consent text the widget shows; recorded with each upload. A shop
    # that changes the text (template override) sets its own.
    "CONSENT_VERSION": "tryon-1",
    "BURST_RATE": "10/min",
    "DAILY_RATE": "50/day",
    "DAILY_PAID_CALL_LIMIT": 1000,  # store-wide; None for no cap
    "SHOPPER_PROMPTS": False,  # whether non-staff may use prompt mode through the API
    "MAX_CONCURRENT_CALLS": 4,  # provider calls in flight for the whole shop
    "SHOPPER_RESERVED_CALLS": 1,  # of those, kept free for shoppers during bulk runs
    "STALE_RUNNING_AFTER": 15 * 60,  # seconds before a 'running' job is presumed dead
    # Seconds a provider-call slot stays leased if its worker dies mid-call; None: long
    # enough for the slowest legitimate call (TIMEOUT x attempts + backoff + a margin).
    "PROVIDER_SLOT_LEASE": None,
    "PROVIDER_SLOT_WAIT": 10 * 60,  # seconds a job waits for a free slot before failing
    "PHOTO_CHECKS": {},  # check code -> bool; missing codes are on (tryon.photocheck)
    # Model labels ("shop.Product") a garment may link to; empty: any model of the shop
    # (not Django's, tryon's or the task queue's own tables). See tryon.products.
    "PRODUCT_MODELS": [],
    # Analytics (tryon.analytics, docs/analytics.md).
    "ANALYTICS": True,  # False: record nothing, no holdout
    "HOLDOUT_PERCENT": 0,  # share of sessions (0-100) that never see the widget
    "ATTRIBUTION_WINDOW": 7 * 24 * 60 * 60,  # seconds from a widget render to a conversion
    "DAILY_BUDGET_ALERT": None,  # paid calls a day past which ADMINS get one mail
    "ANALYTICS_RETENTION_DAYS": 400,  # events older than this are deleted by tryon_cleanup
    "ANALYTICS_BEACON_RATE": "60/min",  # beacon posts per session (else per address)
}

ENVIRONMENT_FALLBACKS = {
    "API_KEY": "TRYON_API_KEY",
    "API_BASE_URL": "TRYON_API_BASE_URL",
}


class TryOnSettings:
    """Attribute access to ``settings.TRYON`` with defaults and env fallbacks."""

    def _user_settings(self) -> dict[str, Any]:
        value = getattr(django_settings, "TRYON", {}) or {}
        if not isinstance(value, dict):
            raise ImproperlyConfigured("settings.TRYON must be a dict.")
        return value

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown tryon setting {name!r}")
        user = self._user_settings()
        env_name = ENVIRONMENT_FALLBACKS.get(name)
        if name in user and (user[name] is not None or env_name is None):
            return user[name]  # None is a value (e.g. no daily cap) except for env-backed keys
        if env_name and os.environ.get(env_name):
            return os.environ[env_name]
        if name == "API_BASE_URL":
            return DEFAULT_API_BASE_URL
        default = DEFAULTS[name]
        # A copy: a caller that edits what it got must not change the default for everyone.
        if isinstance(default, dict):
            return dict(default)
        return list(default) if isinstance(default, list) else default

    def unknown_keys(self) -> list[str]:
        return sorted(set(self._user_settings()) - set(DEFAULTS))


tryon_settings = TryOnSettings()
