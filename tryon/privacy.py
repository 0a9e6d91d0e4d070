"""Shopper data: when it expires, and deleting it (rows and files) safely.

A shopper's uploaded photo and the try-ons made from it expire after
``TRYON['SHOPPER_PHOTO_TTL']`` seconds; ``tryon_cleanup`` deletes what has expired and
``DELETE api/tryons/<id>/`` deletes at once. Files go the way ``tryon.files`` says:
only those no remaining row names, once the deletion is committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .conf import tryon_settings
from .files import delete_unreferenced_files, files_deleted_by_caller
from .models import ModelPhoto, TryOn

_BATCH = 500


@dataclass
class DeletionReport:
    photos: int = 0
    tryons: int = 0
    files: int = 0
    file_errors: int = 0
    events: int = 0  # analytics events (an erasure request's)

    def add(self, other: DeletionReport) -> None:
        self.photos += other.photos
        self.tryons += other.tryons
        self.files += other.files
        self.file_errors += other.file_errors
        self.events += other.events


def shopper_expiry(now: datetime | None = None) -> datetime:
    """When a shopper's photo (and what is made from it) created now expires."""
    return (now or timezone.now()) + timedelta(seconds=int(tryon_settings.SHOPPER_PHOTO_TTL))


def is_shopper_upload(photo: ModelPhoto) -> bool:
    return not photo.is_preset


def delete_tryon(tryon: TryOn) -> DeletionReport:
    """Delete a try-on; for a shopper upload, the photo and every try-on made from it.

    The photo is the personal data: deleting one of its try-ons deletes it, and the
    foreign key would take its other try-ons with it anyway.
    """
    photo = tryon.model_photo
    if is_shopper_upload(photo):
        return delete_photos([photo])
    steps = [tryon]  # an outfit goes whole: its first step is the shopper's too
    while steps[0].after is not None:
        steps.insert(0, steps[0].after)
    return delete_tryons(steps)


def delete_tryons(tryons: Iterable[TryOn]) -> DeletionReport:
    """Delete the rows, then (after commit) their result and mask files nobody else uses."""
    rows = list(tryons)
    report = DeletionReport()
    if not rows:
        return report
    names = _file_names(rows)
    with transaction.atomic(), files_deleted_by_caller():
        report.tryons = (
            TryOn.objects.filter(pk__in=[row.pk for row in rows])
            .delete()[1]
            .get(TryOn._meta.label, 0)
        )
        transaction.on_commit(lambda: _delete_unreferenced(names, report))
    return report


def delete_photos(photos: Iterable[ModelPhoto]) -> DeletionReport:
    """Delete shopper photos, their files, and every try-on made from them."""
    photo_list = list(photos)
    report = DeletionReport()
    if not photo_list:
        return report
    photo_ids = [photo.pk for photo in photo_list]
    tryons = list(TryOn.objects.filter(model_photo_id__in=photo_ids))
    result_names = _file_names(tryons)
    photo_names = {photo.image.name for photo in photo_list if photo.image.name}
    with transaction.atomic(), files_deleted_by_caller():
        counts = ModelPhoto.objects.filter(pk__in=photo_ids).delete()[1]
        report.photos = counts.get(ModelPhoto._meta.label, 0)
        report.tryons = counts.get(TryOn._meta.label, 0)
        transaction.on_commit(lambda: _delete_unreferenced(result_names | photo_names, report))
    return report


def cleanup_expired(now: datetime | None = None, *, dry_run: bool = False) -> DeletionReport:
    """Delete expired shopper photos and try-ons, with their files; what was deleted.

    With ``dry_run`` nothing is deleted and the report counts what would be (files are
    not counted, as whether a shared file goes depends on the deletion itself).
    """
    moment = now or timezone.now()
    expired_photos = ModelPhoto.objects.filter(is_preset=False, expires_at__lt=moment)
    report = DeletionReport()
    if dry_run:
        report.photos = expired_photos.count()
        report.tryons = TryOn.objects.filter(
            Q(expires_at__lt=moment) | Q(model_photo__in=expired_photos)
        ).count()
        return report
    while batch := list(expired_photos.order_by("pk")[:_BATCH]):
        report.add(delete_photos(batch))
    expired_tryons = TryOn.objects.filter(expires_at__lt=moment)
    while batch_rows := list(expired_tryons.order_by("pk")[:_BATCH]):
        report.add(delete_tryons(batch_rows))
    return report


def _file_names(tryons: Iterable[TryOn]) -> set[str]:
    names: set[str] = set()
    for tryon in tryons:
        names.update(name for name in (tryon.result_image.name, tryon.mask_image.name) if name)
    return names


def _delete_unreferenced(names: set[str], report: DeletionReport) -> None:
    done = delete_unreferenced_files(names)
    report.files += done.deleted
    report.file_errors += done.errors
