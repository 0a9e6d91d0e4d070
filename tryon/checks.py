"""System checks (``manage.py check``, ``tryon_check``): each names the setting to fix.

Backend checks read the configured backend's options (``TRYON['BACKEND_OPTIONS']``) the
way the backend will, falling back to the top-level keys; no check shows a secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from importlib.util import find_spec
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .backends import loading
from .backends.base import (
    BaseBackend,
    dotted_path,
    option_source,
    options_location,
    resolve_option,
    unknown_options,
)
from .backends.urls import redact_url
from .conf import DEFAULTS, ENVIRONMENT_FALLBACKS, tryon_settings
from .products import unknown_labels
from .storage import private_storage

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
    messages += _check_backend_options()
    messages += _check_backend()
    messages += _check_storage()
    messages += _check_tasks()
    messages += _check_numbers(lambda key: getattr(tryon_settings, key))
    messages += _check_product_models()
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


def _check_product_models() -> list[checks.CheckMessage]:
    value = tryon_settings.PRODUCT_MODELS
    if value and not isinstance(value, list | tuple):
        return [
            checks.Error(
                f"TRYON['PRODUCT_MODELS'] must be a list of model labels, not {value!r}.",
                hint='For example ["shop.Product"].',
                id="tryon.E014",
            )
        ]
    installed = [model._meta.label for model in apps.get_models()]
    messages: list[checks.CheckMessage] = []
    for label in unknown_labels():
        close = get_close_matches(label, installed, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        messages.append(
            checks.Error(
                f"TRYON['PRODUCT_MODELS'] names {label!r}, which is not an installed model.",
                hint=hint + 'Use "app_label.ModelName" labels, e.g. "shop.Product" '
                '(an Oscar shop: "catalogue.Product").',
                id="tryon.E014",
            )
        )
    return messages


def _check_backend() -> list[checks.CheckMessage]:
    path = tryon_settings.BACKEND
    try:
        backend_class = loading.backend_class(path)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tryon.E003")]
    try:
        options = loading.backend_options(path, backend_class)
    except ImproperlyConfigured:
        options = {}  # _check_backend_options reports it
    messages: list[checks.CheckMessage] = []
    for name, spec in backend_class.known_options.items():
        if spec.secret and not resolve_option(backend_class, options, name):
            messages.append(_missing_secret(backend_class, name))
    if "API_BASE_URL" in backend_class.known_options:
        messages += _check_base_url(backend_class, options)
    messages += _check_numbers(
        lambda key: options[key],
        lambda key: options_location(backend_class, key),
        [key for key in options if options[key] is not None],
    )
    return messages


def _missing_secret(backend_class: type[BaseBackend], name: str) -> checks.CheckMessage:
    # Every place the value may come from, in the order they are read.
    places = [options_location(backend_class, name)]
    setting = backend_class.known_options[name].setting
    if setting is not None:
        places.append(f"TRYON[{setting!r}]")
        if setting in ENVIRONMENT_FALLBACKS:
            places.append(f"the {ENVIRONMENT_FALLBACKS[setting]} environment variable")
    return checks.Error(
        f"No {name} is configured for {dotted_path(backend_class)}.",
        hint=f"Set {' or '.join(places)}, or set TRYON['BACKEND'] to "
        "'tryon.backends.local.LocalPreviewBackend' for offline previews.",
        id="tryon.E004",
    )


def _check_base_url(
    backend_class: type[BaseBackend], options: Mapping[str, Any]
) -> list[checks.CheckMessage]:
    where = option_source(backend_class, options, "API_BASE_URL")
    base_url = str(resolve_option(backend_class, options, "API_BASE_URL"))
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [
            checks.Error(
                # Shown without user:password: the URL may carry credentials.
                f"{where} is {redact_url(base_url)!r}, which is not an http(s) URL.",
                id="tryon.E005",
            )
        ]
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return [
            checks.Warning(
                f"{where} uses plain http: the API key would cross the network unencrypted.",
                hint="Use https.",
                id="tryon.W001",
            )
        ]
    return []


def _check_backend_options() -> list[checks.CheckMessage]:
    try:
        every = loading.all_backend_options()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tryon.E012")]
    messages: list[checks.CheckMessage] = []
    for path, options in every.items():
        where = f"TRYON['BACKEND_OPTIONS'][{path!r}]"
        try:
            backend_class = loading.backend_class(path)
        except ImproperlyConfigured:
            messages.append(
                checks.Error(
                    f"{where} is for {path!r}, which is not an importable backend class.",
                    hint="Key each entry by the dotted path of the backend it configures.",
                    id="tryon.E012",
                )
            )
            continue
        if not isinstance(options, Mapping):
            messages.append(
                checks.Error(
                    f"{where} must be a dict of options, not {type(options).__name__}.",
                    id="tryon.E012",
                )
            )
            continue
        for name in unknown_options(backend_class, options):
            messages.append(
                checks.Error(
                    f"{where} has the option {name!r}, which {path} does not know.",
                    hint="Known options: " + ", ".join(sorted(backend_class.known_options)),
                    id="tryon.E012",
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
    return _check_private_storage(configured)


def _check_private_storage(configured: dict[str, Any]) -> list[checks.CheckMessage]:
    """Shoppers' files must never be reachable under MEDIA_URL."""
    alias = tryon_settings.PRIVATE_STORAGE
    if alias is not None and alias not in configured:
        return [
            checks.Error(
                f"TRYON['PRIVATE_STORAGE'] is {alias!r}, which is not an alias in "
                "settings.STORAGES.",
                id="tryon.E013",
            )
        ]
    if alias is not None and alias == tryon_settings.STORAGE:
        return [
            checks.Error(
                "TRYON['PRIVATE_STORAGE'] names the same storage as TRYON['STORAGE']: "
                "shoppers' photos would be served like catalogue pictures.",
                hint="Give shoppers' files a storage of their own (S3: a private ACL "
                "with querystring_auth), or leave PRIVATE_STORAGE at None.",
                id="tryon.E013",
            )
        ]
    location = getattr(private_storage(), "location", None)
    media_root = os.path.abspath(str(settings.MEDIA_ROOT or ""))
    if (
        location
        and settings.MEDIA_ROOT
        and os.path.abspath(location).startswith(media_root.rstrip(os.sep) + os.sep)
    ):
        return [
            checks.Error(
                f"TRYON['PRIVATE_STORAGE'] keeps shoppers' photos in {location}, inside "
                "MEDIA_ROOT, where the web server serves them to anyone.",
                hint="Point it at a folder outside MEDIA_ROOT.",
                id="tryon.E013",
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


def _check_numbers(
    value_of: Callable[[str], Any],
    location_of: Callable[[str], str] = lambda key: f"TRYON[{key!r}]",
    keys: Iterable[str] | None = None,
) -> list[checks.CheckMessage]:
    """Positive numbers and a bounded MAX_RETRIES, top-level or in a backend's options."""
    wanted = set(_POSITIVE_NUMBERS) | {"MAX_RETRIES"} if keys is None else set(keys)
    messages: list[checks.CheckMessage] = []
    for key in _POSITIVE_NUMBERS:
        if key not in wanted:
            continue
        value = value_of(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            messages.append(
                checks.Error(
                    f"{location_of(key)} must be a positive number, not {value!r}.",
                    id="tryon.E010",
                )
            )
    if "MAX_RETRIES" in wanted:
        retries = value_of("MAX_RETRIES")
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            messages.append(
                checks.Error(
                    f"{location_of('MAX_RETRIES')} must be an integer from 0 to 10, "
                    f"not {retries!r}.",
                    id="tryon.E010",
                )
            )
    return messages
