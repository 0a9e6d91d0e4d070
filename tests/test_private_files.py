"""A shopper's upload and its results: only their owner and staff can fetch them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import run_queued
from tests.test_cleanup import shopper_upload
from tryon import services
from tryon.models import TryOn, TryOnStatus
from tryon.provenance import COMPOSITE_CAPTURE, TRAINED_ALGORITHMIC_MEDIA, digital_source_type

pytestmark = pytest.mark.django_db(transaction=True)


def _poll(client: APIClient, tryon: TryOn) -> dict[str, Any]:
    response = client.get(f"/tryon/api/tryons/{tryon.pk}/")
    assert response.status_code == 200
    return response.json()


def _fetch(client: APIClient, url: str) -> Any:
    return client.get(url.removeprefix("http://testserver"))


@pytest.fixture
def shopper_result(fake: Any, garment: Any, task_queue: Any) -> dict[str, Any]:
    owner = APIClient()
    tryon = shopper_upload(owner, garment)
    run_queued(task_queue)
    body = _poll(owner, tryon)
    assert body["status"] == "succeeded"
    return {"owner": owner, "tryon": TryOn.objects.get(pk=tryon.pk), "body": body}


@pytest.mark.parametrize("kind", ["result_url", "mask_url", "model_image_url"])
def test_owner_gets_the_file_privately_and_nobody_else_does(
    shopper_result: dict[str, Any], kind: str
) -> None:
    url = shopper_result["body"][kind]
    assert "/tryon/files/" in url and "/media/" not in url
    owner_response = _fetch(shopper_result["owner"], url)
    assert owner_response.status_code == 200
    assert owner_response["Cache-Control"].startswith("private")
    assert owner_response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(owner_response.streaming_content)[:4] in (b"RIFF", b"\xff\xd8\xff\xe0")

    assert _fetch(APIClient(), url).status_code == 404  # another shopper's session
    other = APIClient()
    other.get("/tryon/api/model-photos/")  # has a session of its own
    assert _fetch(other, url).status_code == 404
    staff = get_user_model().objects.create_user("staff", is_staff=True)
    staff_client = APIClient()
    staff_client.force_login(staff)
    assert _fetch(staff_client, url).status_code == 200


@pytest.fixture
def token_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shop whose REST_FRAMEWORK adds TokenAuthentication. DRF reads that setting into
    ``APIView.authentication_classes`` once, at import, so the test sets the attribute."""
    from rest_framework.authentication import SessionAuthentication, TokenAuthentication
    from rest_framework.views import APIView

    monkeypatch.setattr(
        APIView, "authentication_classes", [SessionAuthentication, TokenAuthentication]
    )


def _token_client(username: str) -> APIClient:
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user(username)
    client = APIClient()  # no cookies: a front end on another site, as <tryon-widget token>
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_token_front_end_fetches_its_users_files_with_its_header(
    fake: Any, garment: Any, task_queue: Any, token_auth: None
) -> None:
    owner = _token_client("token-owner")
    tryon = shopper_upload(owner, garment)
    run_queued(task_queue)
    body = _poll(owner, tryon)
    assert body["status"] == "succeeded"
    assert TryOn.objects.get(pk=tryon.pk).owner.username == "token-owner"  # the token's user
    for kind in ("result_url", "model_image_url"):
        owner.cookies.clear()  # the element sends no cookie with a token (credentials: omit)
        response = _fetch(owner, body[kind])
        assert response.status_code == 200, kind
        assert "Authorization" in response["Vary"]  # a shared cache never mixes two users
        assert response["Cache-Control"].startswith("private")
        b"".join(response.streaming_content)

        assert _fetch(_token_client(f"other-{kind}"), body[kind]).status_code == 404
        assert _fetch(APIClient(), body[kind]).status_code == 404  # the link alone
        refused = APIClient()
        refused.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        assert _fetch(refused, body[kind]).status_code == 404  # not a 401 page: nothing told


def test_private_files_are_not_under_media_root(
    shopper_result: dict[str, Any], settings: Any
) -> None:
    tryon = shopper_result["tryon"]
    media = Path(settings.MEDIA_ROOT)
    for name in (tryon.result_image.name, tryon.mask_image.name, tryon.model_photo.image.name):
        assert name.startswith("tryon/private/")
        assert not (media / name).exists()


def test_tampered_or_expired_links_show_nothing(shopper_result: dict[str, Any]) -> None:
    url = shopper_result["body"]["result_url"].removeprefix("http://testserver")
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert shopper_result["owner"].get(tampered).status_code == 404
    fake_settings = tryon_settings_for_current(PRIVATE_URL_MAX_AGE=1)
    with override_settings(TRYON=fake_settings):
        time.sleep(2.1)
        assert shopper_result["owner"].get(url).status_code == 404


def tryon_settings_for_current(**extra: Any) -> dict[str, Any]:
    from django.conf import settings

    return {**settings.TRYON, **extra}


def test_deleted_tryon_files_are_gone_for_the_owner_too(shopper_result: dict[str, Any]) -> None:
    owner, tryon = shopper_result["owner"], shopper_result["tryon"]
    url = shopper_result["body"]["result_url"]
    assert owner.delete(f"/tryon/api/tryons/{tryon.pk}/").status_code == 204
    assert _fetch(owner, url).status_code == 404


def test_preset_previews_stay_public_and_marked_as_ai(
    fake: Any, garment: Any, preset: Any, task_queue: Any
) -> None:
    tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    tryon.refresh_from_db()
    assert tryon.result_image.name.startswith("tryon/results/")
    assert tryon.result_image.url.startswith("/media/")
    with tryon.result_image.open("rb") as handle:
        assert digital_source_type(handle.read()) == TRAINED_ALGORITHMIC_MEDIA


def test_offline_previews_are_marked_as_composites(
    offline: Any, garment: Any, preset: Any, task_queue: Any
) -> None:
    tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    tryon.refresh_from_db()
    with tryon.result_image.open("rb") as handle:
        assert digital_source_type(handle.read()) == COMPOSITE_CAPTURE


def test_check_refuses_a_private_storage_that_the_media_url_serves(settings: Any) -> None:
    from tryon.checks import check_settings

    stores = {
        **settings.STORAGES,
        "inside": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(Path(settings.MEDIA_ROOT) / "private")},
        },
    }
    for private, expected in [("inside", "inside MEDIA_ROOT"), ("default", "same storage")]:
        with override_settings(STORAGES=stores, TRYON={"PRIVATE_STORAGE": private}):
            messages = [m for m in check_settings() if m.id == "tryon.E013"]
            assert messages and expected in messages[0].msg
    with override_settings(TRYON={}):
        assert not [m for m in check_settings() if m.id == "tryon.E013"]
