"""One upload for the whole visit: the shopper's own photo is offered again, and removable."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import run_queued
from tests.test_cleanup import shopper_upload
from tryon.models import ModelPhoto, TryOn

pytestmark = pytest.mark.django_db(transaction=True)

PHOTOS_URL = "/tryon/api/model-photos/"


def test_own_photo_is_listed_for_its_shopper_only(
    fake: Any, garment: Any, preset: Any, task_queue: Any
) -> None:
    shopper = APIClient()
    tryon = shopper_upload(shopper, garment)
    listed = shopper.get(PHOTOS_URL).json()
    assert [photo["is_own"] for photo in listed] == [False, True]  # presets first
    own = listed[1]
    assert own["id"] == str(tryon.model_photo_id) and own["expires_at"]
    assert "/tryon/files/" in own["image_url"]  # private: a signed link
    assert all(not photo["is_own"] for photo in APIClient().get(PHOTOS_URL).json())


def test_own_photo_is_reused_without_a_second_upload_or_consent(
    fake: Any, garment: Any, task_queue: Any
) -> None:
    from tests.conftest import make_garment

    shopper = APIClient()
    first = shopper_upload(shopper, garment)
    run_queued(task_queue)
    other = make_garment("lower_body", name="Jeans")
    response = shopper.post(
        "/tryon/api/tryons/",
        {"garment": other.pk, "model_photo": str(first.model_photo_id)},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert ModelPhoto.objects.filter(is_preset=False).count() == 1


def test_shopper_removes_own_photo_and_everything_made_from_it(
    fake: Any, garment: Any, preset: Any, task_queue: Any
) -> None:
    shopper = APIClient()
    tryon = shopper_upload(shopper, garment)
    run_queued(task_queue)
    url = f"{PHOTOS_URL}{tryon.model_photo_id}/"
    assert APIClient().delete(url).status_code == 404  # another shopper
    assert shopper.delete(f"{PHOTOS_URL}{preset.pk}/").status_code == 404  # a preset
    assert shopper.delete(url).status_code == 204
    assert not ModelPhoto.objects.filter(pk=tryon.model_photo_id).exists()
    assert not TryOn.objects.filter(pk=tryon.pk).exists()
    assert ModelPhoto.objects.filter(pk=preset.pk).exists()


def test_photo_warnings_are_asked_about_first_when_the_client_wants(
    fake: Any, garment: Any, task_queue: Any, settings: Any
) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    dark = io.BytesIO()
    Image.new("RGB", (700, 1000), (8, 8, 8)).save(dark, "JPEG")
    body = {
        "garment": garment.pk,
        "model_image": SimpleUploadedFile("me.jpg", dark.getvalue(), "image/jpeg"),
        "consent": "true",
    }
    response = APIClient().post("/tryon/api/tryons/", body, format="multipart")
    assert response.status_code == 400
    answer = response.json()
    assert "model_image" in answer or "accept_warnings" in answer
    assert answer["photo_check"]["refusals"] or answer["photo_check"]["warnings"]
    assert not ModelPhoto.objects.filter(is_preset=False).exists()
    assert fake.call_count == 0
