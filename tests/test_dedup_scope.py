"""Dedup never crosses shoppers: a shopper's upload is reused only for that shopper."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import images
from tests.conftest import run_queued
from tests.test_api_create import CREATE_URL, upload
from tryon.models import TryOn

pytestmark = pytest.mark.django_db(transaction=True)


def _upload_tryon(client: APIClient, garment_pk: int, photo: bytes) -> dict:
    response = client.post(
        CREATE_URL,
        {"garment": garment_pk, "model_image": upload(photo), "consent": "true"},
        format="multipart",
    )
    assert response.status_code in (201, 202), response.content
    return {**response.json(), "http_status": response.status_code}


def test_same_photo_from_another_shopper_is_not_answered_from_the_first(fake, garment, task_queue):
    photo = images.person_photo()
    alice, bob = APIClient(), APIClient()
    first = _upload_tryon(alice, garment.pk, photo)
    run_queued(task_queue)
    assert fake.call_count == 1

    second = _upload_tryon(bob, garment.pk, photo)
    assert second["http_status"] == 202  # not 201 "reused": that would tell Bob Alice tried it
    assert second.get("reused") is not True
    rows = {str(pk): row for pk, row in TryOn.objects.in_bulk([first["id"], second["id"]]).items()}
    assert rows[first["id"]].fingerprint != rows[second["id"]].fingerprint
    run_queued(task_queue)
    assert fake.call_count == 2  # Bob's picture is his own
    assert TryOn.objects.get(pk=second["id"]).reused_from_id is None


def test_same_photo_from_the_same_shopper_is_answered_at_once(fake, garment, task_queue):
    photo = images.person_photo()
    shopper = APIClient()
    _upload_tryon(shopper, garment.pk, photo)
    run_queued(task_queue)
    again = _upload_tryon(shopper, garment.pk, photo)
    assert again["http_status"] == 201
    assert again["reused"] is True
    assert fake.call_count == 1


def test_preset_results_stay_shared_between_shoppers(fake, garment, preset, task_queue):
    body = {"garment": garment.pk, "model_photo": str(preset.pk)}
    APIClient().post(CREATE_URL, body, format="json")
    run_queued(task_queue)
    other = APIClient().post(CREATE_URL, body, format="json")
    assert other.status_code == 201
    assert fake.call_count == 1
