"""Where photos and results live: the shop's ``STORAGES[TRYON["STORAGE"]]``.

Results are saved under the SHA-256 of their bytes, so the same picture is stored
once and a different picture can never overwrite it.
"""

from __future__ import annotations

import logging
import posixpath
import uuid
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import InvalidStorageError, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

from .conf import tryon_settings
from .images import image_fingerprint, image_type_for_format

logger = logging.getLogger("tryon.storage")


def get_storage() -> Storage:
    alias = tryon_settings.STORAGE
    try:
        return storages[alias]
    except InvalidStorageError as exc:
        raise ImproperlyConfigured(
            f"TRYON['STORAGE'] is {alias!r}, which is not an alias in settings.STORAGES."
        ) from exc


class ConfiguredStorage(LazyObject):
    """What the models' file fields use: the storage ``TRYON["STORAGE"]`` names.

    A file field resolves its storage once, when models load; this proxy resolves the
    alias on first use and again whenever ``TRYON`` or ``STORAGES`` change (tests,
    ``override_settings``), so fields and jobs always agree on where files live.
    """

    def _setup(self) -> None:
        self._wrapped = get_storage()


configured_storage: Any = ConfiguredStorage()


@receiver(setting_changed)
def _forget_configured_storage(*, setting: str, **kwargs: Any) -> None:
    if setting in ("TRYON", "STORAGES"):
        configured_storage._wrapped = empty


def upload_path(folder: str, filename: str) -> str:
    """A fresh, unguessable name for an uploaded file (the shopper's filename is dropped)."""
    extension = posixpath.splitext(filename)[1].lower()[:6] or ".jpg"
    return posixpath.join(tryon_settings.UPLOAD_TO, folder, f"{uuid.uuid4().hex}{extension}")


def extension_for(image_format: str | None) -> str:
    """The file extension for a Pillow format name: ``tryon.images.IMAGE_TYPES``, else bin."""
    image_type = image_type_for_format(image_format)
    return image_type[1] if image_type is not None else "bin"


def content_hash_name(folder: str, content: bytes, extension: str) -> str:
    digest = image_fingerprint(content)
    return posixpath.join(
        tryon_settings.UPLOAD_TO, folder, digest[:2], f"{digest}.{extension.lstrip('.')}"
    )


def save_content_addressed(folder: str, content: bytes, extension: str) -> str:
    """Save ``content`` under its hash and return the storage name.

    An existing file of that name already holds these exact bytes, so it is reused.
    A failed write removes whatever part of the file was written.
    """
    storage = get_storage()
    name = content_hash_name(folder, content, extension)
    if storage.exists(name):
        if _size_or_none(storage, name) == len(content):
            return name
        # Shorter than its name says: a writer died mid-write. Write it again.
        _delete_quietly(storage, name)
    try:
        saved = storage.save(name, ContentFile(content))
    except Exception:
        _delete_quietly(storage, name)
        raise
    return saved


def _size_or_none(storage: Storage, name: str) -> int | None:
    try:
        return int(storage.size(name))
    except Exception:  # a storage that cannot tell: treat the file as suspect
        return None


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)  # storages treat a missing name as already deleted
    except Exception:  # the original error matters more than this cleanup's
        logger.warning("Could not remove partly written file %s", name, exc_info=True)
