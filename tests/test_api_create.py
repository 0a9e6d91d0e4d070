"""POST api/tryons/: creation, and every validation error (400, no call, nothing stored)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient

from tests import images
from tests.conftest import (
    make_garment,
    make_model_photo,
    run_queued,
    tryon_settings_for,
)
from tryon.models import ModelPhoto, TryOn, TryOnStatus
from tryon.storage import private_root

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_URL = "/tryon/api/tryons/"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def upload(
    content: bytes, name: str = "me.jpg", content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings: Any) -> list[Path]:
    """Every stored file: the public media folder and the private one."""
    roots = [Path(settings.MEDIA_ROOT), Path(private_root())]
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def upload_files(settings: Any) -> list[Path]:
    return [p for p in stored_files(settings) if "uploads" in p.parts]


# -- success ---------------------------------------------------------------------------


def test_preset_tryon_is_queued_202_then_polled_to_success(
    client, fake, garment, preset, task_queue
):
    response = client.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["result_url"] is None and body["error"] is None
    assert response["Location"].endswith(f"/tryon/api/tryons/{body['id']}/")
    assert body["url"] == response["Location"]
    assert fake.call_count == 0  # nothing paid inside the web request

    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    polled = client.get(response["Location"]).json()
    assert polled["status"] == "succeeded"
    tryon = TryOn.objects.get(pk=body["id"])
    # The stored copy's URL, never the provider's CDN.
    assert polled["result_url"] == f"http://testserver/media/{tryon.result_image.name}"
    assert polled["mask_url"] == f"http://testserver/media/{tryon.mask_image.name}"
    assert fake.base_url not in str(polled)
    assert polled["finished_at"] and polled["created_at"]
    assert polled["is_preview"] is False
    assert fake.call_count == 1


def test_identical_request_is_answered_201_from_the_existing_result(
    client, fake, garment, preset, task_queue
):
    first = client.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    run_queued(task_queue)
    second = client.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    assert second.status_code == 201
    body = second.json()
    assert body["status"] == "succeeded"
    assert body["reused"] is True
    assert body["id"] != first.json()["id"]
    assert second["Location"].endswith(f"/api/tryons/{body['id']}/")
    assert body["result_url"] == client.get(first["Location"]).json()["result_url"]
    assert fake.call_count == 1
    assert task_queue.results == []


def test_upload_is_stored_normalised_owned_and_expiring(
    client, fake, garment, task_queue, settings
):
    response = client.post(
        CREATE_URL,
        {
            "garment": garment.pk,
            "model_image": upload(images.gps_exif_jpeg(900, 1200)),
            "consent": "true",
        },
        format="multipart",
    )
    assert response.status_code == 202, response.content
    tryon = TryOn.objects.get(pk=response.json()["id"])
    photo = tryon.model_photo
    assert photo.is_preset is False
    session_key = client.session.session_key
    assert session_key and photo.session_key == session_key == tryon.session_key
    assert photo.owner is None
    assert photo.expires_at is not None and tryon.expires_at == photo.expires_at
    lifetime = (photo.expires_at - photo.created_at).total_seconds()
    assert 24 * 3600 - 60 < lifetime <= 24 * 3600 + 1

    stored = photo.image.read()
    photo.image.close()
    picture = Image.open(io.BytesIO(stored))
    assert picture.format == "JPEG"
    assert not picture.getexif()  # no GPS, no camera: the raw upload was never stored
    assert b"Paris" not in stored and b"shot at home" not in stored
    assert "uploads" in photo.image.name and "me.jpg" not in photo.image.name

    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    [call] = fake.calls()
    assert Image.open(io.BytesIO(call.files["modelImg"].content)).format == "JPEG"


def test_shopper_may_reuse_own_upload_by_id(client, fake, garment, task_queue):
    first = client.post(
        CREATE_URL,
        {"garment": garment.pk, "model_image": upload(images.person_photo()), "consent": "true"},
        format="multipart",
    )
    photo_id = TryOn.objects.get(pk=first.json()["id"]).model_photo_id
    other = make_garment("lower_body", name="Blue trousers")
    second = client.post(
        CREATE_URL, {"garment": other.pk, "model_photo": str(photo_id)}, format="json"
    )
    assert second.status_code == 202, second.content
    assert second.json()["model_photo"] == str(photo_id)
    # Another shopper cannot use that photo.
    stranger = APIClient().post(
        CREATE_URL, {"garment": other.pk, "model_photo": str(photo_id)}, format="json"
    )
    assert stranger.status_code == 400
    assert "model_photo" in stranger.json()


def test_prompt_mode_for_staff(client, fake, preset, task_queue, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_authenticate(staff)
    response = client.post(
        CREATE_URL,
        {
            "model_photo": str(preset.pk),
            "prompt": "Help the model change into a blue striped shirt.",
            "seed": 42,
            "randomize_seed": False,
            "guidance_scale": 30,
            "num_inference_steps": 20,
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    tryon = TryOn.objects.get(pk=response.json()["id"])
    assert (tryon.owner, tryon.seed, tryon.guidance_scale, tryon.num_inference_steps) == (
        staff,
        42,
        30,
        20,
    )
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    assert fake.calls()[0].fields["prompt"] == "Help the model change into a blue striped shirt."


# -- validation errors -----------------------------------------------------------------


def assert_refused(response: Any, field: str, fake: Any, settings: Any, fragment: str = "") -> None:
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    if fragment:
        assert fragment in " ".join(errors[field]), errors
    assert fake.call_count == 0
    assert TryOn.objects.count() == 0
    assert not ModelPhoto.objects.filter(is_preset=False).exists()
    assert upload_files(settings) == []


def post_upload(client: APIClient, garment: Any, content: bytes, **extra: Any) -> Any:
    data = {"garment": garment.pk, "model_image": upload(content), "consent": "true", **extra}
    return client.post(CREATE_URL, data, format="multipart")


@pytest.mark.parametrize(
    "data, field",
    [
        ({"model_photo": "PRESET"}, "garment"),  # no garment, no prompt
        ({"garment": 999999, "model_photo": "PRESET"}, "garment"),
        ({"garment": "not-a-number", "model_photo": "PRESET"}, "garment"),
        ({"garment": "GARMENT"}, "model_photo"),  # neither photo nor upload
        ({"garment": "GARMENT", "model_photo": "not-a-uuid"}, "model_photo"),
        (
            {"garment": "GARMENT", "model_photo": "00000000-0000-0000-0000-000000000000"},
            "model_photo",
        ),
        ({"garment": "GARMENT", "model_photo": "PRESET", "prompt": "a hat"}, "prompt"),
        ({"garment": "GARMENT", "model_photo": "PRESET", "seed": 5}, "seed"),
        ({"model_photo": "PRESET", "prompt": "a hat"}, "prompt"),  # shoppers: no prompt mode
        ({"garment": "GARMENT", "model_photo": "PRESET", "consent": "maybe"}, "consent"),
    ],
)
def test_bad_json_fields(client, fake, garment, preset, settings, data, field):
    resolved = {
        key: {"PRESET": str(preset.pk), "GARMENT": garment.pk}.get(value, value)
        if isinstance(value, str)
        else value
        for key, value in data.items()
    }
    assert_refused(client.post(CREATE_URL, resolved, format="json"), field, fake, settings)


def test_inactive_garment_is_refused(client, fake, preset, settings):
    hidden = make_garment(is_active=False)
    response = client.post(
        CREATE_URL, {"garment": hidden.pk, "model_photo": str(preset.pk)}, format="json"
    )
    assert_refused(response, "garment", fake, settings, "cannot be tried on")


def test_inactive_preset_and_other_shoppers_upload_are_refused(client, fake, garment, settings):
    retired = make_model_photo("Retired", is_active=False)
    response = client.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(retired.pk)}, format="json"
    )
    assert response.status_code == 400 and "model_photo" in response.json()
    someone = make_model_photo("Someone", is_preset=False, session_key="other-session")
    response = client.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(someone.pk)}, format="json"
    )
    assert response.status_code == 400 and "model_photo" in response.json()
    assert fake.call_count == 0 and TryOn.objects.count() == 0


def test_both_photo_and_upload_is_refused(client, fake, garment, preset, settings):
    response = post_upload(client, garment, images.person_photo(), model_photo=str(preset.pk))
    assert response.status_code == 400
    assert "model_image" in response.json()
    assert fake.call_count == 0 and TryOn.objects.count() == 0
    assert upload_files(settings) == []


def test_upload_without_consent_is_refused(client, fake, garment, settings):
    data = {"garment": garment.pk, "model_image": upload(images.person_photo())}
    assert_refused(client.post(CREATE_URL, data, format="multipart"), "consent", fake, settings)
    data = {"garment": garment.pk, "model_image": upload(images.person_photo()), "consent": "false"}
    assert_refused(client.post(CREATE_URL, data, format="multipart"), "consent", fake, settings)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (images.SVG, "not an image"),
        (images.HTML, "not an image"),
        (images.TEXT, "not an image"),
        (images.truncated_jpeg(), "damaged"),
        (images.bomb_png(), "too large"),
        (images.jpeg_bytes(200, 150), "too small"),
        (images.animated_gif(), "Animated"),
    ],
    ids=["svg", "html", "text", "truncated", "bomb", "too-small", "animated"],
)
def test_bad_uploads_are_refused_by_content(client, fake, garment, settings, content, fragment):
    assert_refused(post_upload(client, garment, content), "model_image", fake, settings, fragment)


def test_upload_over_the_byte_limit_is_refused(client, fake, garment, settings):
    content = images.person_photo()
    with override_settings(TRYON=tryon_settings_for(fake, MAX_UPLOAD_BYTES=len(content) - 1)):
        response = post_upload(client, garment, content)
    assert_refused(response, "model_image", fake, settings, "larger than")


def test_upload_over_the_side_limit_is_refused(client, fake, garment, settings):
    content = images.png_bytes(3000, 400)
    with override_settings(TRYON=tryon_settings_for(fake, MAX_UPLOAD_SIDE=2999)):
        response = post_upload(client, garment, content)
    assert_refused(response, "model_image", fake, settings, "at most 2999 pixels")


def test_empty_upload_is_refused(client, fake, garment, settings):
    assert_refused(post_upload(client, garment, b""), "model_image", fake, settings)


@pytest.mark.parametrize(
    "field, value",
    [
        ("seed", -1),
        ("seed", 2_147_483_648),
        ("seed", "abc"),
        ("guidance_scale", 0.5),
        ("guidance_scale", 101),
        ("num_inference_steps", 0),
        ("num_inference_steps", 51),
        ("num_inference_steps", 2.5),
        ("prompt", "x" * 1001),
        ("randomize_seed", "sometimes"),
    ],
)
def test_prompt_parameters_out_of_range(client, fake, preset, settings, field, value):
    data = {"model_photo": str(preset.pk), "prompt": "Change into a red dress.", field: value}
    with override_settings(TRYON=tryon_settings_for(fake, SHOPPER_PROMPTS=True)):
        response = client.post(CREATE_URL, data, format="json")
    assert_refused(response, field, fake, settings)


def test_prompt_parameter_bounds_are_accepted(client, fake, preset, task_queue):
    data = {
        "model_photo": str(preset.pk),
        "prompt": "Change into a red dress.",
        "seed": 2_147_483_647,
        "guidance_scale": 100,
        "num_inference_steps": 1,
    }
    with override_settings(TRYON=tryon_settings_for(fake, SHOPPER_PROMPTS=True)):
        response = client.post(CREATE_URL, data, format="json")
    assert response.status_code == 202, response.content


def test_a_refused_create_leaves_no_file_when_it_fails_after_storing(
    client, fake, garment, settings, monkeypatch
):
    """A failure after the upload was written (here: the service) rolls everything back."""
    from tryon import services

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "request_tryon", broken)
    client.raise_request_exception = False
    response = post_upload(client, garment, images.person_photo())
    assert response.status_code == 500
    assert upload_files(settings) == []
    assert not ModelPhoto.objects.filter(is_preset=False).exists()
