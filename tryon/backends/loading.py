"""Finding the configured backend class and building it with its options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ..conf import tryon_settings
from ..exceptions import TryOnConfigurationError
from .base import BaseBackend, dotted_path


def backend_class(path: str | None = None) -> type[BaseBackend]:
    """The backend class at ``path`` (default ``TRYON['BACKEND']``), imported."""
    dotted = path or tryon_settings.BACKEND
    try:
        found = import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"TRYON['BACKEND'] is {dotted!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(found, type) and issubclass(found, BaseBackend)):
        raise ImproperlyConfigured(
            f"TRYON['BACKEND'] is {dotted!r}, which is not a tryon.backends.BaseBackend subclass."
        )
    return found


def all_backend_options() -> Mapping[str, Any]:
    """``TRYON['BACKEND_OPTIONS']``, checked to be a dict."""
    options = tryon_settings.BACKEND_OPTIONS
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TryOnConfigurationError(
            "TRYON['BACKEND_OPTIONS'] must be a dict keyed by backend dotted path, "
            f"not {type(options).__name__}."
        )
    return options


def backend_options(path: str, cls: type[BaseBackend]) -> Mapping[str, Any]:
    """The options ``TRYON['BACKEND_OPTIONS']`` gives the backend ``cls`` imported from ``path``.

    Looked up by the path ``TRYON['BACKEND']`` names, then by the class's own path.
    """
    every = all_backend_options()
    for key in dict.fromkeys((path, dotted_path(cls))):
        if key in every:
            options = every[key]
            if not isinstance(options, Mapping):
                raise TryOnConfigurationError(
                    f"TRYON['BACKEND_OPTIONS'][{key!r}] must be a dict of options, "
                    f"not {type(options).__name__}."
                )
            return options
    return {}


def get_backend(path: str | None = None) -> BaseBackend:
    """An instance of the configured backend (``TRYON['BACKEND']``), with its options.

    An option the backend does not know raises ``TryOnConfigurationError`` (an
    ``ImproperlyConfigured``) naming it.
    """
    dotted = path or tryon_settings.BACKEND
    cls = backend_class(dotted)
    options = backend_options(dotted, cls)
    # Without options, a backend written before BACKEND_OPTIONS (``__init__(self)``) works.
    return cls(options) if options else cls()
