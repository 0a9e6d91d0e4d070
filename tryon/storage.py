"""Where photos and results live: the shop's ``STORAGES[TRYON["STORAGE"]]``, and for a
shopper's own files ``STORAGES[TRYON["PRIVATE_STORAGE"]]``.

Results are saved under the SHA-256 of their bytes, so the same picture is stored
once and a different picture can never overwrite it.

A shopper's upload and the results made from it are personal data: they are named under
``<UPLOAD_TO>/private/`` and live in the private storage, never under ``MEDIA_URL``.
Their URLs are short-lived signed links to an ownership-checked view
(``tryon.api.files``), or the private storage's own presigned URLs (S3 with
``querystring_auth``). Everything else (garments, preset models, their previews) stays
in the public storage, cacheable.
"""

from __future__ import annotations

import logging
import os
import posixpath
import uuid
from typing import IO, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InvalidStorageError, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty

from .conf import tryon_settings
from .images import image_fingerprint, image_type_for_format

logger = logging.getLogger("tryon.storage")


PRIVATE_FOLDER = "private"
PRIVATE_URL_SALT = "tryon.private-file"


def public_storage() -> Storage:
    alias = tryon_settings.STORAGE
    try:
        return storages[alias]
    except InvalidStorageError as exc:
        raise ImproperlyConfigured(
            f"TRYON['STORAGE'] is {alias!r}, which is not an alias in settings.STORAGES."
        ) from exc


def private_storage() -> Storage:
    """The storage for shopper files: ``PRIVATE_STORAGE``'s alias, else a folder beside
    ``MEDIA_ROOT`` (``<MEDIA_ROOT>-private``) that no media URL serves."""
    alias = tryon_settings.PRIVATE_STORAGE
    if alias is None:
        return FileSystemStorage(location=private_root(), base_url="/no-public-url/")
    try:
        return storages[alias]
    except InvalidStorageError as exc:
        raise ImproperlyConfigured(
            f"TRYON['PRIVATE_STORAGE'] is {alias!r}, which is not an alias in settings.STORAGES."
        ) from exc


def private_root() -> str:
    """The default private folder: beside MEDIA_ROOT, never inside it."""
    media_root = os.path.abspath(str(settings.MEDIA_ROOT or "media"))
    return media_root.rstrip(os.sep) + "-private"


def is_private_name(name: str | None) -> bool:
    return bool(name) and str(name).startswith(
        posixpath.join(tryon_settings.UPLOAD_TO, PRIVATE_FOLDER) + "/"
    )


def signed_file_url(name: str) -> str:
    """A link to the ownership-checked file view that expires (``PRIVATE_URL_MAX_AGE``)."""
    token = signing.dumps(name, salt=PRIVATE_URL_SALT, compress=False)
    return reverse("tryon:private-file", kwargs={"token": token})


def name_from_token(token: str) -> str | None:
    try:
        name = signing.loads(
            token, salt=PRIVATE_URL_SALT, max_age=int(tryon_settings.PRIVATE_URL_MAX_AGE)
        )
    except signing.BadSignature:  # also an expired link
        return None
    return name if isinstance(name, str) and is_private_name(name) else None


class RoutingStorage(Storage):
    """One storage for the models' fields: each name goes to the public or private one."""

    def __init__(self, public: Storage, private: Storage) -> None:
        self.public = public
        self.private = private

    def __getattr__(self, attribute: str) -> Any:
        # The public storage's own settings (bucket_name, location...) as if unwrapped.
        if attribute.startswith("_") or attribute in ("public", "private"):
            raise AttributeError(attribute)
        return getattr(self.public, attribute)

    def route(self, name: str | None) -> Storage:
        return self.private if is_private_name(name) else self.public

    def _open(self, name: str, mode: str = "rb") -> Any:
        return self.route(name).open(name, mode)

    def save(self, name: str | None, content: IO[Any], max_length: int | None = None) -> str:
        return self.route(name).save(name, content, max_length=max_length)

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self.route(str(filename)).generate_filename(filename)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.route(name).get_available_name(name, max_length=max_length)

    def delete(self, name: str) -> None:
        self.route(name).delete(name)

    def exists(self, name: str) -> bool:
        return self.route(name).exists(name)

    def size(self, name: str) -> int:
        return self.route(name).size(name)

    def path(self, name: str) -> str:
        return self.route(name).path(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.route(path.rstrip("/") + "/").listdir(path)

    def url(self, name: str | None) -> str:
        if not is_private_name(name):
            return self.public.url(name)
        if getattr(self.private, "querystring_auth", False):
            return self.private.url(name)  # the cloud storage's own presigned, expiring URL
        return signed_file_url(str(name))


def get_storage() -> Storage:
    """Where tryon's files are read and written: public and private, routed by name."""
    return RoutingStorage(public_storage(), private_storage())


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


def private_folder(folder: str) -> str:
    """The folder for a shopper's own files of this kind (``uploads``, ``results``)."""
    return posixpath.join(PRIVATE_FOLDER, folder)


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
