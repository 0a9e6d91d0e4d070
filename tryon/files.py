"""Stored files follow their rows: a file goes once no row names it any more.

Result files are content-addressed and shared: a request answered from an earlier
result points at the same file. A file is therefore deleted only when no remaining
TryOn or ModelPhoto row names it, and only after the rows' deletion is committed (a
rolled-back deletion must not leave rows pointing at nothing).

``tryon.privacy`` deletes (and counts) the files of what it deletes itself, inside
:func:`files_deleted_by_caller`; ``tryon.receivers`` covers every other deletion.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import Q

from .models import ModelPhoto, TryOn
from .storage import get_storage

logger = logging.getLogger("tryon.privacy")  # where staff look for orphaned files

_local = threading.local()


@dataclass
class FilesDeleted:
    deleted: int = 0
    errors: int = 0  # files that could not be deleted (logged by name)


def referenced_names(names: Iterable[str]) -> set[str]:
    """Which of ``names`` a remaining row still uses (a result, a mask or a photo)."""
    wanted = list(set(names))
    if not wanted:
        return set()
    used: set[str] = set()
    results = TryOn.objects.filter(Q(result_image__in=wanted) | Q(mask_image__in=wanted))
    for result_name, mask_name in results.values_list("result_image", "mask_image"):
        used.update((result_name, mask_name))
    used.update(ModelPhoto.objects.filter(image__in=wanted).values_list("image", flat=True))
    return used & set(wanted)


def delete_unreferenced_files(names: Iterable[str]) -> FilesDeleted:
    """Delete those of ``names`` no row uses any more; what was deleted."""
    wanted = set(names) - {""}
    done = FilesDeleted()
    still_used = referenced_names(wanted)
    storage = get_storage()
    for name in sorted(wanted - still_used):
        try:
            if not storage.exists(name):
                continue
            storage.delete(name)
        except Exception:  # any storage's own error: the row is gone, log the orphan
            done.errors += 1
            logger.warning("Could not delete file %s", name, exc_info=True)
        else:
            done.deleted += 1
    return done


@contextmanager
def files_deleted_by_caller() -> Iterator[None]:
    """Deletions inside this block delete (and count) their files themselves."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


def delete_files_after_commit(names: Iterable[str]) -> None:
    """For a row deleted by anyone else: its files, once the deletion is committed."""
    if getattr(_local, "depth", 0):
        return
    wanted = set(names) - {""}
    if wanted:
        # Checked after the commit, so rows deleted in the same transaction do not count.
        transaction.on_commit(partial(delete_unreferenced_files, wanted))
