"""Share links: opt-in per try-on, the result only, gone with the try-on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import run_queued
from tests.test_cleanup import shopper_upload
from tryon.models import TryOn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finished(fake: Any, garment: Any, task_queue: Any) -> dict[str, Any]:
    owner = APIClient()
    tryon = shopper_upload(owner, garment)
    run_queued(task_queue)
    tryon.refresh_from_db()
    return {"owner": owner, "tryon": tryon, "url": f"/tryon/api/tryons/{tryon.pk}/"}


def _share(finished: dict[str, Any]) -> str:
    response = finished["owner"].post(finished["url"] + "share/")
    assert response.status_code == 201, response.content
    return response.json()["share_url"].removeprefix("http://testserver")


def test_share_link_shows_the_result_and_nothing_of_the_shopper(finished: dict[str, Any]) -> None:
    tryon = finished["tryon"]
    assert finished["owner"].get(finished["url"]).json()["share_url"] is None  # opt-in
    link = _share(finished)
    assert finished["owner"].get(finished["url"]).json()["share_url"].endswith(link)
    stranger = APIClient()  # a fresh browser: no session, no login
    page = stranger.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "AI-generated" in html
    assert page["X-Robots-Tag"].startswith("noindex") and page["Referrer-Policy"] == "no-referrer"
    # Nothing of the shopper's upload: not its file name, nor a link to private files.
    assert tryon.model_photo.image.name.rsplit("/", 1)[1] not in html
    assert "/tryon/files/" not in html and str(tryon.model_photo_id) not in html
    image = stranger.get(link + "image/")
    assert image.status_code == 200
    with tryon.result_image.open("rb") as handle:
        assert b"".join(image.streaming_content) == handle.read()


def test_unshare_delete_and_expiry_end_the_link(finished: dict[str, Any]) -> None:
    link = _share(finished)
    assert finished["owner"].delete(finished["url"] + "share/").status_code == 204
    assert APIClient().get(link).status_code == 404
    link = _share(finished)
    TryOn.objects.filter(pk=finished["tryon"].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert APIClient().get(link).status_code == 404
    assert APIClient().get(link + "image/").status_code == 404


def test_only_the_owner_can_share(finished: dict[str, Any]) -> None:
    assert APIClient().post(finished["url"] + "share/").status_code == 404
    assert TryOn.objects.get(pk=finished["tryon"].pk).share_token is None


def test_an_unfinished_tryon_cannot_be_shared(fake: Any, garment: Any, task_queue: Any) -> None:
    owner = APIClient()
    tryon = shopper_upload(owner, garment)  # still pending: not run
    response = owner.post(f"/tryon/api/tryons/{tryon.pk}/share/")
    assert response.status_code == 400
    assert APIClient().get("/tryon/share/nonsense/").status_code == 404
