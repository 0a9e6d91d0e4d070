"""Backends turn (person photo, garment or prompt) into a generated picture.

``TRYON["BACKEND"]`` names the class; ``TRYON["BACKEND_OPTIONS"]`` (keyed by the same
dotted path) gives it its options. ``http.HttpBackend`` is the base of providers reached
over HTTP; ``changeclothes.ChangeClothesBackend`` is the Change Clothes AI provider.
"""

from __future__ import annotations

from .base import BackendResult, BaseBackend, GeneratedImage, ImageInput, Option
from .loading import backend_class, get_backend

__all__ = [
    "BackendResult",
    "BaseBackend",
    "GeneratedImage",
    "ImageInput",
    "Option",
    "backend_class",
    "get_backend",
]
