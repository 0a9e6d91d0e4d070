"""Backends turn (person photo, garment or prompt) into a generated picture."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ..conf import tryon_settings
from .base import BackendResult, BaseBackend, GeneratedImage, ImageInput

__all__ = ["BackendResult", "BaseBackend", "GeneratedImage", "ImageInput", "get_backend"]


def get_backend(path: str | None = None) -> BaseBackend:
    """An instance of the configured backend (``TRYON['BACKEND']``)."""
    dotted = path or tryon_settings.BACKEND
    try:
        backend_class = import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"TRYON['BACKEND'] is {dotted!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, BaseBackend)):
        raise ImproperlyConfigured(
            f"TRYON['BACKEND'] is {dotted!r}, which is not a tryon.backends.BaseBackend subclass."
        )
    return backend_class()
