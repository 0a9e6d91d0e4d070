"""System checks (``manage.py check``, ``tryon_check``): each names the setting to fix."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import DEFAULTS, tryon_settings

_POSITIVE_NUMBERS = (
    "TIMEOUT",
    "MAX_IMAGE_SIDE",
    "MAX_IMAGE_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MIN_IMAGE_SIDE",
    "MAX_UPLOAD_SIDE",
    "MAX_DOWNLOAD_BYTES",
    "DOWNLOAD_TIMEOUT",
    "SHOPPER_PHOTO_TTL",
    "MAX_CONCURRENT_CALLS",
    "STALE_RUNNING_AFTER",
)


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    try:
        unknown = tryon_settings.unknown_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tryon.E001")]
    for key in unknown:
        messages.append(
            checks.Error(
                f"TRYON[{key!r}] is not a django-tryon setting.",
                hint="Known keys: " + ", ".join(sorted(DEFAULTS)),
                id="tryon.E002",
            )
        )
    messages += _check_backend()
    messages += _check_storage()
    messages += _check_tasks()
    messages += _check_numbers()
    if not messages:
        messages += _check_recovery_timing()
    return messages


def _check_recovery_timing() -> list[checks.CheckMessage]:
    # A job waiting for a provider slot, or in a call, must not look abandoned: recovery
    # would re-queue it and the picture could be paid for twice.
    from .concurrency import lease_duration

    stale = float(tryon_settings.STALE_RUNNING_AFTER)
    longest = max(float(tryon_settings.PROVIDER_SLOT_WAIT), lease_duration().total_seconds())
    if stale <= longest:
        return [
            checks.Error(
                f"TRYON['STALE_RUNNING_AFTER'] ({stale:g} s) must be longer than both "
                f"TRYON['PROVIDER_SLOT_WAIT'] and the provider-slot lease ({longest:g} s).",
                hint="Raise STALE_RUNNING_AFTER, or lower PROVIDER_SLOT_WAIT, TIMEOUT or "
                "MAX_RETRIES.",
                id="tryon.E011",
            )
        ]
    return []


def _check_backend() -> list[checks.CheckMessage]:
    from .backends import BaseBackend

    path = tryon_settings.BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        return [
            checks.Error(
                f"TRYON['BACKEND'] is {path!r}, which cannot be imported ({exc}).",
                id="tryon.E003",
            )
        ]
    if not (isinstance(backend_class, type) and issubclass(backend_class, BaseBackend)):
        return [
            checks.Error(
                f"TRYON['BACKEND'] is {path!r}, which is not a tryon.backends.BaseBackend.",
                id="tryon.E003",
            )
        ]
    from .backends.changeclothes import ChangeClothesBackend

    if not issubclass(backend_class, ChangeClothesBackend):
        return []
    messages: list[checks.CheckMessage] = []
    if not tryon_settings.API_KEY:
        messages.append(
            checks.Error(
                "No Change Clothes AI API key is configured.",
                hint="Set TRYON['API_KEY'] or the TRYON_API_KEY environment variable, "
                "or set TRYON['BACKEND'] to 'tryon.backends.local.LocalPreviewBackend' "
                "for offline previews.",
                id="tryon.E004",
            )
        )
    base_url = str(tryon_settings.API_BASE_URL)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        messages.append(
            checks.Error(
                f"TRYON['API_BASE_URL'] is {base_url!r}, which is not an http(s) URL.",
                id="tryon.E005",
            )
        )
    elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        messages.append(
            checks.Warning(
                "TRYON['API_BASE_URL'] uses plain http: the API key would cross the network "
                "unencrypted.",
                hint="Use https.",
                id="tryon.W001",
            )
        )
    return messages


def _check_storage() -> list[checks.CheckMessage]:
    alias = tryon_settings.STORAGE
    configured = getattr(settings, "STORAGES", {}) or {}
    if alias not in configured:
        return [
            checks.Error(
                f"TRYON['STORAGE'] is {alias!r}, which is not an alias in settings.STORAGES.",
                hint="Known aliases: " + ", ".join(sorted(configured)) if configured else None,
                id="tryon.E006",
            )
        ]
    return []


def _check_tasks() -> list[checks.CheckMessage]:
    if not (find_spec("django.tasks") or find_spec("django_tasks")):
        return [
            checks.Error(
                "The Django Tasks API is missing: Django 5.2 needs the django-tasks backport.",
                hint="pip install 'django-tryon[backport]'",
                id="tryon.E007",
            )
        ]
    from .compat import InvalidTaskBackendError, task_backends

    alias = tryon_settings.TASK_BACKEND
    try:
        backend = task_backends[alias]
    except (InvalidTaskBackendError, ImproperlyConfigured, ImportError) as exc:
        return [
            checks.Error(
                f"TRYON['TASK_BACKEND'] is {alias!r}, which is not a usable alias in "
                f"settings.TASKS ({exc}).",
                id="tryon.E008",
            )
        ]
    for key in ("QUEUE_NAME", "BULK_QUEUE_NAME"):
        queue = getattr(tryon_settings, key)
        if queue and backend.queues and queue not in backend.queues:
            return [
                checks.Error(
                    f"TRYON[{key!r}] is {queue!r}, which TASKS[{alias!r}]['QUEUES'] does not list.",
                    id="tryon.E009",
                )
            ]
    return []


def _check_numbers() -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for key in _POSITIVE_NUMBERS:
        value = getattr(tryon_settings, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            messages.append(
                checks.Error(
                    f"TRYON[{key!r}] must be a positive number, not {value!r}.", id="tryon.E010"
                )
            )
    retries = tryon_settings.MAX_RETRIES
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        messages.append(
            checks.Error(
                f"TRYON['MAX_RETRIES'] must be an integer from 0 to 10, not {retries!r}.",
                id="tryon.E010",
            )
        )
    return messages
