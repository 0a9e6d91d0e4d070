"""Erasure and access requests: every row and file of one person, deleted or exported.

A person is found by user (id or e-mail address) or by a session key. A signed-in
shopper's rows carry the user; an anonymous shopper's carry only the session, so a
user's request also covers every session their own rows were made in. Preset-model
photos are the shop's, never a shopper's, and are never touched.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from . import signals
from .analytics.cleanup import forget_sessions
from .models import ModelPhoto, TryOn
from .privacy import DeletionReport, delete_photos, delete_tryons


@dataclass(frozen=True)
class Person:
    """Whose data: user ids and session keys (either may be empty)."""

    user_ids: frozenset[Any] = frozenset()
    session_keys: frozenset[str] = frozenset()

    def rows_filter(self) -> Q:
        if not self.user_ids and not self.session_keys:
            return Q(pk__in=[])
        return Q(owner_id__in=self.user_ids) | Q(session_key__in=self.session_keys)

    def photos(self) -> QuerySet[ModelPhoto]:
        return ModelPhoto.objects.filter(self.rows_filter(), is_preset=False)

    def tryons(self) -> QuerySet[TryOn]:
        # Their own try-ons, and any made from their photos (whoever asked for them).
        return TryOn.objects.filter(self.rows_filter() | Q(model_photo__in=self.photos()))


@dataclass
class ExportReport:
    photos: int = 0
    tryons: int = 0
    files: int = 0
    missing_files: list[str] = field(default_factory=list)


def find_person(
    *, user: Any = None, email: str | None = None, session_key: str | None = None
) -> Person:
    """The person a request names; their sessions found through their own rows."""
    user_ids: set[Any] = set()
    if user is not None:
        user_ids.add(getattr(user, "pk", user))
    if email:
        user_model = get_user_model()
        email_field = user_model.get_email_field_name()
        lookup = {f"{email_field}__iexact": email.strip()}
        user_ids.update(user_model._default_manager.filter(**lookup).values_list("pk", flat=True))
    session_keys = {session_key} if session_key else set()
    if user_ids:
        for model in (TryOn, ModelPhoto):
            session_keys.update(
                model.objects.filter(owner_id__in=user_ids)
                .exclude(session_key="")
                .values_list("session_key", flat=True)
            )
    return Person(frozenset(user_ids), frozenset(session_keys))


def forget(person: Person) -> DeletionReport:
    """Delete every photo, try-on and file of ``person``; what was deleted."""
    report = DeletionReport()
    report.add(delete_photos(person.photos()))
    report.add(delete_tryons(person.tryons()))  # their try-ons on preset models too
    report.events = forget_sessions(person.session_keys)
    signals.personal_data_erased.send(sender=None, person=person, report=report)
    return report


def export(person: Person, out: Path) -> ExportReport:
    """Write ``person``'s rows (as JSON) and files into the zip ``out``."""
    report = ExportReport()
    photos = list(person.photos())
    tryons = list(person.tryons().select_related("garment"))
    manifest = {
        "photos": [_photo_record(photo) for photo in photos],
        "tryons": [_tryon_record(tryon) for tryon in tryons],
    }
    report.photos, report.tryons = len(photos), len(tryons)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tryon.json", json.dumps(manifest, indent=2, default=str))
        for name, file in _files(photos, tryons):
            try:
                with file.open("rb") as handle:
                    archive.writestr(f"files/{name}", handle.read())
            except OSError:
                report.missing_files.append(name)
            else:
                report.files += 1
    signals.personal_data_exported.send(sender=None, person=person, path=out)
    return report


def _photo_record(photo: ModelPhoto) -> dict[str, Any]:
    return {
        "id": str(photo.pk),
        "file": photo.image.name,
        "created_at": photo.created_at,
        "expires_at": photo.expires_at,
        "consent_version": photo.consent_version,
        "consented_at": photo.consented_at,
    }


def _tryon_record(tryon: TryOn) -> dict[str, Any]:
    return {
        "id": str(tryon.pk),
        "garment": tryon.garment.name if tryon.garment else None,
        "model_photo": str(tryon.model_photo_id),
        "prompt": tryon.prompt,
        "status": tryon.status,
        "result": tryon.result_image.name or None,
        "created_at": tryon.created_at,
        "finished_at": tryon.finished_at,
        "expires_at": tryon.expires_at,
    }


def _files(photos: Iterable[ModelPhoto], tryons: Iterable[TryOn]) -> list[tuple[str, Any]]:
    seen: dict[str, Any] = {}
    for photo in photos:
        if photo.image.name:
            seen.setdefault(photo.image.name, photo.image)
    for tryon in tryons:
        for file in (tryon.result_image, tryon.mask_image):
            if file.name:
                seen.setdefault(file.name, file)
    return sorted(seen.items())
