"""Complete the look: two garments, two chained provider calls, each step deduplicated."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from tests.conftest import make_garment, run_queued
from tryon.models import TryOn, TryOnStatus

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_URL = "/tryon/api/tryons/"


@pytest.fixture
def outfit(db: Any) -> dict[str, Any]:
    return {
        "top": make_garment("upper_body", name="Top"),
        "jeans": make_garment("lower_body", name="Jeans"),
        # The same test picture as the jeans: the description tells them apart.
        "shorts": make_garment("lower_body", name="Shorts", description="Denim shorts"),
        "dress": make_garment("dresses", name="Dress"),
    }


def _post(client: APIClient, preset: Any, garments: list[Any]) -> Any:
    body = {"garments": [g.pk for g in garments], "model_photo": str(preset.pk)}
    return client.post(CREATE_URL, body, format="json")


def test_outfit_makes_two_chained_calls_and_lists_both_garments(
    fake: Any, preset: Any, task_queue: Any, outfit: dict[str, Any]
) -> None:
    client = APIClient()
    response = _post(client, preset, [outfit["jeans"], outfit["top"]])  # any order
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["garments"] == [outfit["top"].pk, outfit["jeans"].pk]
    assert body["garment"] == outfit["jeans"].pk
    first_jobs = [task_queue.results[0]]
    assert len(task_queue.results) == 1  # the second step waits for the first picture
    run_queued(task_queue)  # the first step, then the second step it queued
    assert fake.call_count == 2
    assert first_jobs[0].args[0] != body["id"]
    polled = client.get(body["url"]).json()
    assert polled["status"] == "succeeded" and polled["result_url"]

    first_call, second_call = [r for r in fake.requests if r.method == "POST"]
    assert first_call.fields["category"] == "upper_body"
    assert second_call.fields["category"] == "lower_body"
    # The second call dresses the first call's picture, not the preset photo.
    first = TryOn.objects.get(pk=body["id"]).after
    assert first is not None and first.garment == outfit["top"]
    with first.result_image.open("rb") as handle, Image.open(handle) as picture:
        first_size = picture.size
    with Image.open(io.BytesIO(second_call.files["modelImg"].content)) as sent:
        assert sent.size == first_size


def test_each_step_is_deduplicated_on_its_own(
    fake: Any, preset: Any, task_queue: Any, outfit: dict[str, Any]
) -> None:
    _post(APIClient(), preset, [outfit["top"], outfit["jeans"]])
    run_queued(task_queue)
    run_queued(task_queue)
    assert fake.call_count == 2
    again = _post(APIClient(), preset, [outfit["top"], outfit["jeans"]])
    assert again.status_code == 201  # both steps answered from earlier pictures
    assert again.json()["reused"] is True
    other_lower = _post(APIClient(), preset, [outfit["top"], outfit["shorts"]])
    assert other_lower.status_code == 202
    run_queued(task_queue)  # the first step was reused: straight to the second
    assert fake.call_count == 3


def test_a_failed_first_step_fails_the_outfit_without_a_second_call(
    fake: Any, preset: Any, task_queue: Any, outfit: dict[str, Any]
) -> None:
    fake.fail_next(10001)  # a final error: no retry
    response = _post(APIClient(), preset, [outfit["top"], outfit["jeans"]])
    run_queued(task_queue)
    run_queued(task_queue)
    outfit_row = TryOn.objects.get(pk=response.json()["id"])
    assert outfit_row.status == TryOnStatus.FAILED
    assert "first garment" in outfit_row.error_message
    assert fake.call_count == 1


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["top", "dress"], "does not combine"),
        (["jeans", "shorts"], "one upper-body and one lower-body"),
        (["top"], "at least 2"),
    ],
)
def test_garments_that_do_not_combine_are_refused(
    fake: Any, preset: Any, task_queue: Any, outfit: dict[str, Any], names: list[str], message: str
) -> None:
    response = _post(APIClient(), preset, [outfit[name] for name in names])
    assert response.status_code == 400
    assert message in str(response.json()["garments"])
    assert TryOn.objects.count() == 0
    assert fake.call_count == 0


def test_deleting_an_outfit_deletes_both_steps(
    fake: Any, preset: Any, task_queue: Any, outfit: dict[str, Any]
) -> None:
    client = APIClient()
    body = _post(client, preset, [outfit["top"], outfit["jeans"]]).json()
    run_queued(task_queue)
    run_queued(task_queue)
    assert client.delete(body["url"]).status_code == 204
    assert TryOn.objects.count() == 0
