"""Files follow their rows: deleting a photo or try-on, however it happens, deletes
the files no other row still uses.

``tryon.privacy`` deletes files itself for the app's own flows; these receivers cover
everything else: a user deleted (their photos cascade), the admin's bulk delete, a
shop's own ``queryset.delete()``. Checked after the commit, so a rolled-back delete
keeps its files and a shared result stays while any row uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import ModelPhoto, TryOn

_local = threading.local()


@contextmanager
def files_deleted_by_caller() -> Iterator[None]:
    """For ``tryon.privacy``: it deletes (and counts) the files of what it deletes."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


def _delete_files_later(names: set[str]) -> None:
    from .privacy import delete_unreferenced_files

    if getattr(_local, "depth", 0):
        return
    names.discard("")
    if names:
        transaction.on_commit(partial(delete_unreferenced_files, names))


@receiver(post_delete, sender=ModelPhoto, dispatch_uid="tryon.model_photo_files")
def _model_photo_deleted(sender: Any, instance: ModelPhoto, **kwargs: Any) -> None:
    _delete_files_later({instance.image.name or ""})


@receiver(post_delete, sender=TryOn, dispatch_uid="tryon.tryon_files")
def _tryon_deleted(sender: Any, instance: TryOn, **kwargs: Any) -> None:
    _delete_files_later({instance.result_image.name or "", instance.mask_image.name or ""})
