"""Expiry of shopper data: tryon_cleanup, and safe deletion of shared result files."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests import images
from tests.conftest import make_model_photo, run_queued, tryon_settings_for
from tryon import privacy
from tryon.models import ModelPhoto, TryOn
from tryon.storage import private_root

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_URL = "/tryon/api/tryons/"


def media_files(settings: Any) -> set[str]:
    """Every stored file's name: the public media folder and the private one."""
    names: set[str] = set()
    for root in (Path(settings.MEDIA_ROOT), Path(private_root())):
        names |= {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    return names


def shopper_upload(client: APIClient, garment: Any, content: bytes | None = None) -> TryOn:
    photo = SimpleUploadedFile("me.jpg", content or images.person_photo(), "image/jpeg")
    response = client.post(
        CREATE_URL,
        {"garment": garment.pk, "model_image": photo, "consent": "true"},
        format="multipart",
    )
    assert response.status_code in (201, 202), response.content
    return TryOn.objects.get(pk=response.json()["id"])


def files_of(tryon: TryOn) -> set[str]:
    tryon.refresh_from_db()
    return {tryon.model_photo.image.name, tryon.result_image.name, tryon.mask_image.name} - {""}


def expire(*tryons: TryOn) -> None:
    past = timezone.now() - timedelta(minutes=1)
    for tryon in tryons:
        TryOn.objects.filter(pk=tryon.pk).update(expires_at=past)
        ModelPhoto.objects.filter(pk=tryon.model_photo_id).update(expires_at=past)


def test_ttl_setting_sets_the_expiry(fake, garment, task_queue):
    with override_settings(TRYON=tryon_settings_for(fake, SHOPPER_PHOTO_TTL=3600)):
        tryon = shopper_upload(APIClient(), garment)
    remaining = (tryon.expires_at - timezone.now()).total_seconds()
    assert 3500 < remaining <= 3600
    assert tryon.model_photo.expires_at == tryon.expires_at


def test_cleanup_deletes_expired_photos_results_and_files_and_keeps_the_rest(
    fake, garment, preset, task_queue, settings
):
    old = shopper_upload(APIClient(REMOTE_ADDR="10.0.0.1"), garment, images.person_photo(620, 900))
    fresh = shopper_upload(
        APIClient(REMOTE_ADDR="10.0.0.2"), garment, images.person_photo(640, 960)
    )
    preview = TryOn.objects.create(garment=garment, model_photo=preset, source="preview")
    from tryon.tasks import enqueue

    enqueue(str(preview.pk), "preview")
    run_queued(task_queue)
    old_files, fresh_files, preview_files = files_of(old), files_of(fresh), files_of(preview)
    assert len(old_files) == 3 and (old_files | fresh_files | preview_files) <= media_files(
        settings
    )
    expire(old)

    out = StringIO()
    call_command("tryon_cleanup", stdout=out)
    assert "Deleted 1 expired shopper photo(s), 1 try-on(s) and 3 file(s)." in out.getvalue()
    assert not TryOn.objects.filter(pk=old.pk).exists()
    assert not ModelPhoto.objects.filter(pk=old.model_photo_id).exists()
    assert not (old_files & media_files(settings))
    assert TryOn.objects.filter(pk__in=[fresh.pk, preview.pk]).count() == 2
    assert (fresh_files | preview_files) <= media_files(settings)
    assert ModelPhoto.objects.filter(pk=preset.pk).exists()


def test_cleanup_keeps_a_result_file_shared_with_a_live_tryon(fake, garment, task_queue, settings):
    same_photo = images.person_photo()
    shopper = APIClient(REMOTE_ADDR="10.0.0.1")
    first = shopper_upload(shopper, garment, same_photo)
    run_queued(task_queue)
    # The same picture uploaded again by the same shopper (a second photo row) is
    # answered from the first result (dedup never crosses shoppers).
    second = shopper_upload(shopper, garment, same_photo)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.result_image.name == first.result_image.name
    assert second.model_photo_id != first.model_photo_id
    first_photo_name = first.model_photo.image.name
    expire(first)

    call_command("tryon_cleanup", stdout=StringIO())
    remaining = media_files(settings)
    assert first.result_image.name in remaining and first.mask_image.name in remaining
    assert first_photo_name not in remaining  # the photo itself is gone
    assert TryOn.objects.filter(pk=second.pk).exists()

    expire(second)
    call_command("tryon_cleanup", stdout=StringIO())
    assert first.result_image.name not in media_files(settings)
    assert not ModelPhoto.objects.filter(is_preset=False).exists()


def test_cleanup_deletes_expired_tryons_whose_photo_lives_on(fake, garment, task_queue, settings):
    tryon = shopper_upload(APIClient(), garment)
    run_queued(task_queue)
    TryOn.objects.filter(pk=tryon.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    report = privacy.cleanup_expired()
    assert (report.photos, report.tryons, report.files) == (0, 1, 2)
    assert ModelPhoto.objects.filter(pk=tryon.model_photo_id).exists()


def test_dry_run_deletes_nothing(fake, garment, task_queue, settings):
    tryon = shopper_upload(APIClient(), garment)
    run_queued(task_queue)
    expire(tryon)
    before = media_files(settings)
    out = StringIO()
    call_command("tryon_cleanup", "--dry-run", stdout=out)
    assert "Would delete 1 expired shopper photo(s) and 1 try-on(s)." in out.getvalue()
    assert TryOn.objects.filter(pk=tryon.pk).exists() and media_files(settings) == before


def test_cleanup_never_touches_presets_even_with_an_expiry(settings):
    preset = make_model_photo("Alex", expires_at=timezone.now() - timedelta(days=3))
    assert privacy.cleanup_expired().photos == 0
    assert ModelPhoto.objects.filter(pk=preset.pk).exists()
    assert preset.image.name in media_files(settings)


def test_storage_errors_are_reported_and_the_rest_goes_on(
    fake, garment, task_queue, settings, monkeypatch
):
    tryon = shopper_upload(APIClient(), garment)
    run_queued(task_queue)
    expire(tryon)
    from django.core.files.storage import FileSystemStorage

    real_delete = FileSystemStorage.delete

    def flaky_delete(self: Any, name: str) -> None:
        if "uploads" in name:
            raise OSError("disk says no")
        real_delete(self, name)

    monkeypatch.setattr(FileSystemStorage, "delete", flaky_delete)
    with pytest.raises(CommandError, match="1 file"):
        call_command("tryon_cleanup", stdout=StringIO())
    assert not TryOn.objects.filter(pk=tryon.pk).exists()
    assert not any("results" in name for name in media_files(settings))


def test_deletion_rolled_back_keeps_the_files(fake, garment, task_queue, settings):
    from django.db import transaction

    tryon = shopper_upload(APIClient(), garment)
    run_queued(task_queue)
    names = files_of(tryon)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with transaction.atomic():
            privacy.delete_tryon(tryon)
            raise Abort
    assert TryOn.objects.filter(pk=tryon.pk).exists()
    assert names <= media_files(settings)


def test_files_follow_rows_deleted_outside_the_app(
    fake, garment, task_queue, settings, django_user_model
):
    user = django_user_model.objects.create_user("shopper", password="x")
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/tryon/api/tryons/",
        {
            "garment": garment.pk,
            "model_image": SimpleUploadedFile(
                "me.jpg", images.person_photo(630, 900), "image/jpeg"
            ),
            "consent": "true",
        },
        format="multipart",
    )
    assert response.status_code == 202
    run_queued(task_queue)
    tryon = TryOn.objects.get(pk=response.json()["id"])
    own_files = files_of(tryon)
    assert own_files and own_files <= media_files(settings)
    user.delete()  # the photos and try-ons cascade; no tryon code is asked
    assert not TryOn.objects.filter(pk=tryon.pk).exists()
    assert not (own_files & media_files(settings))
    assert garment.image.storage.exists(garment.image.name)  # not the shop's own files
