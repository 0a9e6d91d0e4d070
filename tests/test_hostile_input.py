"""Hostile input: each case gets its documented answer, never a 500, and leaves no trace.

The corpus lives in ``tests/hostile_corpus.py``. For every refused case: a 400 naming
the field with a message a person can read, no provider call, no new row, no new file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from tests.conftest import make_garment, make_model_photo, run_queued
from tests.hostile_corpus import (
    FIELD_CASES,
    GARMENT,
    PRESET,
    PROMPT_CASES,
    UPLOAD_CASES,
    VALID_PROMPTS,
    Case,
)
from tryon.models import GenerationClaim, ModelPhoto, TryOn

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_URL = "/tryon/api/tryons/"


def media_files(settings: Any) -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def resolve(value: object, garment: Any, preset: Any) -> object:
    return (
        {GARMENT: garment.pk, PRESET: str(preset.pk)}.get(value, value)
        if isinstance(value, str)
        else value
    )


class Snapshot:
    """Rows and files before a request, to prove a refusal wrote nothing."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.files = media_files(settings)
        self.tryons = TryOn.objects.count()
        self.photos = ModelPhoto.objects.count()

    def assert_unchanged(self, fake: Any) -> None:
        assert TryOn.objects.count() == self.tryons
        assert ModelPhoto.objects.count() == self.photos
        assert GenerationClaim.objects.count() == 0
        assert media_files(self.settings) == self.files
        assert fake.calls() == []


def field_errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert isinstance(body, dict) and body
    return body


@pytest.mark.parametrize("case", UPLOAD_CASES, ids=lambda case: case.id)
def test_upload_cases(case: Case, fake, garment, preset, settings, task_queue):
    upload = case.upload()
    data: dict[str, Any] = {
        "garment": garment.pk,
        "model_image": SimpleUploadedFile(upload.name, upload.content, upload.content_type),
        "consent": "true",
    }
    data.update({key: resolve(value, garment, preset) for key, value in case.fields.items()})
    before = Snapshot(settings)
    response = APIClient().post(CREATE_URL, data, format="multipart")
    assert response.status_code == case.expect, response.content[:300]
    if case.expect == 400:
        errors = field_errors(response)
        assert case.error_field in errors, errors
        message = " ".join(map(str, errors[case.error_field])).lower()
        assert message and "traceback" not in message
        assert case.message in message, message
        before.assert_unchanged(fake)
        return
    # Valid after all: the stored photo is a clean RGB JPEG under our own name.
    photo = ModelPhoto.objects.get(is_preset=False)
    assert "passwd" not in photo.image.name and ".." not in photo.image.name
    with photo.image.open("rb") as handle:
        stored = handle.read()
    picture = Image.open(io.BytesIO(stored))
    assert (picture.format, picture.mode) == ("JPEG", "RGB")
    assert not picture.getexif() and b"GPS" not in stored
    run_queued(task_queue)
    [call] = fake.calls()
    sent = call.files["modelImg"].content
    assert not Image.open(io.BytesIO(sent)).getexif() and b"GPS" not in sent


@pytest.mark.parametrize(
    ("case_id", "body", "error_field"), FIELD_CASES, ids=[c[0] for c in FIELD_CASES]
)
def test_field_cases(case_id, body, error_field, fake, garment, preset, settings):
    payload = {key: resolve(value, garment, preset) for key, value in body.items()}
    before = Snapshot(settings)
    response = APIClient().post(CREATE_URL, payload, format="json")
    assert error_field in field_errors(response)
    before.assert_unchanged(fake)


def test_inactive_garment(fake, preset, settings):
    garment = make_garment(is_active=False)
    before = Snapshot(settings)
    response = APIClient().post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    assert "garment" in field_errors(response)
    before.assert_unchanged(fake)


def test_another_shoppers_photo_id(fake, garment, settings):
    someone_else = make_model_photo("their upload", is_preset=False, session_key="other-session")
    before = Snapshot(settings)
    response = APIClient().post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(someone_else.pk)}, format="json"
    )
    assert "model_photo" in field_errors(response)
    before.assert_unchanged(fake)


def test_body_that_is_not_json(fake, settings):
    before = Snapshot(settings)
    response = APIClient().post(CREATE_URL, data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    before.assert_unchanged(fake)


@pytest.fixture
def staff(django_user_model: Any) -> APIClient:
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("case_id", "body", "error_field"), PROMPT_CASES, ids=[c[0] for c in PROMPT_CASES]
)
def test_prompt_cases(case_id, body, error_field, staff, fake, garment, preset, settings):
    payload = {"model_photo": str(preset.pk)}
    payload.update({key: resolve(value, garment, preset) for key, value in body.items()})
    before = Snapshot(settings)
    # Form fields arrive as strings: "NaN" and "1e999" are numbers to float().
    response = staff.post(CREATE_URL, payload, format="multipart")
    assert error_field in field_errors(response)
    before.assert_unchanged(fake)


@pytest.mark.parametrize("prompt", VALID_PROMPTS)
def test_non_ascii_prompts_reach_the_provider_unchanged(prompt, staff, fake, preset, task_queue):
    response = staff.post(
        CREATE_URL, {"model_photo": str(preset.pk), "prompt": prompt, "seed": 7}, format="json"
    )
    assert response.status_code == 202
    run_queued(task_queue)
    [call] = fake.calls()
    assert call.fields["prompt"] == prompt


def test_corpus_is_large_enough():
    assert len(UPLOAD_CASES) + len(FIELD_CASES) + len(PROMPT_CASES) + 2 >= 25
