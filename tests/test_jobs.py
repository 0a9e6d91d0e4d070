"""A try-on from request to stored result, against the fake provider."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from tests import images
from tests.conftest import (
    make_garment,
    make_model_photo,
    run_queued,
    tryon_settings_for,
)
from tryon import services, signals
from tryon.models import GenerationClaim, TryOn, TryOnStatus
from tryon.tasks import execute_tryon

pytestmark = pytest.mark.django_db(transaction=True)


def request(garment: Any, model_photo: Any, **kwargs: Any) -> tuple[TryOn, bool]:
    return services.request_tryon(garment=garment, model_photo=model_photo, **kwargs)


def test_job_runs_end_to_end_and_stores_result_under_content_hash(
    fake, garment, preset, task_queue
):
    tryon, answered_now = request(garment, preset)
    assert not answered_now
    assert tryon.status == TryOnStatus.PENDING
    assert len(task_queue.results) == 1
    assert task_queue.results[0].args == [str(tryon.pk)] or task_queue.results[0].args == (
        str(tryon.pk),
    )

    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.SUCCEEDED
    assert tryon.provider_calls == 1
    assert tryon.error_code is None
    assert tryon.finished_at is not None

    stored = tryon.result_image.read()
    tryon.result_image.close()
    assert Image.open(io.BytesIO(stored)).format == "WEBP"
    import hashlib

    assert Path(tryon.result_image.name).stem == hashlib.sha256(stored).hexdigest()
    assert tryon.result_image.name.endswith(".webp")
    assert tryon.mask_image.name and tryon.mask_image.name != tryon.result_image.name

    [call] = fake.calls()
    assert call.path == "/api/openapi/change-clothes-ai"
    assert call.fields["category"] == "upper_body"
    assert "garmentDesc" not in call.fields
    assert set(call.files) == {"modelImg", "garmentImg"}
    assert Image.open(io.BytesIO(call.files["modelImg"].content)).format == "JPEG"


def test_description_is_sent_as_garment_desc(fake, preset, task_queue):
    garment = make_garment("dresses", description="A yellow summer dress")
    request(garment, preset)
    run_queued(task_queue)
    [call] = fake.calls()
    assert call.fields["garmentDesc"] == "A yellow summer dress"
    assert call.fields["category"] == "dresses"


def test_identical_request_after_success_is_answered_at_once_without_provider_call(
    fake, garment, preset, task_queue
):
    first, _ = request(garment, preset)
    run_queued(task_queue)
    first.refresh_from_db()

    second, answered_now = request(garment, preset)
    assert answered_now
    assert second.status == TryOnStatus.SUCCEEDED
    assert second.result_image.name == first.result_image.name
    assert second.reused_from_id == first.pk
    assert task_queue.results == []
    assert len(fake.calls()) == 1


def test_identical_requests_queued_together_make_one_provider_call(
    fake, garment, preset, task_queue
):
    first, _ = request(garment, preset)
    second, _ = request(garment, preset)
    assert first.fingerprint == second.fingerprint != ""
    run_queued(task_queue)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == TryOnStatus.SUCCEEDED
    assert first.result_image.name == second.result_image.name
    assert len(fake.calls()) == 1
    assert GenerationClaim.objects.count() == 0


def test_job_waiting_on_another_gets_its_result(fake, garment, preset, task_queue):
    leader, _ = request(garment, preset)
    follower, _ = request(garment, preset)
    # The leader's worker holds the claim while the follower's job runs.
    leader.refresh_from_db()
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    assert execute_tryon(str(follower.pk)) == TryOnStatus.PENDING
    assert len(fake.calls()) == 0
    GenerationClaim.objects.all().delete()

    assert execute_tryon(str(leader.pk)) == TryOnStatus.SUCCEEDED
    follower.refresh_from_db()
    assert follower.status == TryOnStatus.SUCCEEDED
    assert len(fake.calls()) == 1


def test_different_garments_are_not_deduplicated(fake, preset, task_queue):
    request(make_garment("upper_body"), preset)
    request(make_garment("lower_body", name="Jeans"), preset)
    run_queued(task_queue)
    assert len(fake.calls()) == 2


def test_gps_metadata_never_reaches_the_provider(fake, garment, task_queue):
    photo = make_model_photo()
    photo.image.save("gps.jpg", ContentFile(images.gps_exif_jpeg()))
    request(garment, photo)
    run_queued(task_queue)
    [call] = fake.calls()
    sent = call.files["modelImg"].content
    assert b"Exif" not in sent[:4096]
    assert b"GPS" not in sent
    assert not Image.open(io.BytesIO(sent)).getexif()


@pytest.mark.parametrize("code", [10001, 10003, 10004, 10005, 10006, 30001])
def test_final_provider_error_fails_the_job_with_its_code_after_one_call(
    fake, garment, preset, task_queue, code
):
    fake.fail_always(code)
    tryon, _ = request(garment, preset)
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert tryon.error_code == code
    assert tryon.error_message
    assert not tryon.result_image
    assert tryon.provider_calls == 1
    assert len(fake.calls()) == 1


def test_transient_errors_are_retried_then_succeed(fake, garment, preset, task_queue):
    fake.fail_next(500, times=1, style="status")
    fake.fail_next(20001, times=1)
    tryon, _ = request(garment, preset)
    run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.SUCCEEDED
    assert tryon.provider_calls == 3
    assert len(fake.calls()) == 3


def test_transient_errors_past_max_retries_fail_the_job(fake, garment, preset, task_queue):
    fake.fail_always(20001)
    tryon, _ = request(garment, preset)
    run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert tryon.error_code == 20001
    assert tryon.provider_calls == 3  # 1 + MAX_RETRIES (2)
    assert len(fake.calls()) == 3


def test_result_download_failure_fails_cleanly(fake, garment, preset, task_queue, settings):
    fake.result_status = 404
    tryon, _ = request(garment, preset)
    run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert "download" in tryon.error_message
    assert not tryon.result_image
    results_dir = Path(settings.MEDIA_ROOT) / "tryon" / "results"
    assert not results_dir.exists() or not any(p.is_file() for p in results_dir.rglob("*"))


def test_storage_write_failure_leaves_no_file_and_no_running_row(
    fake, task_queue, settings, tmp_path
):
    storages = {
        **settings.STORAGES,
        "flaky": {
            "BACKEND": "tests.storages.HalfWritingStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    with override_settings(STORAGES=storages, TRYON=tryon_settings_for(fake, STORAGE="flaky")):
        from django.core.files.storage import storages as handler

        handler._storages.pop("flaky", None)
        tryon, _ = request(make_garment(), make_model_photo())
        run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert "could not be stored" in tryon.error_message
    assert not any(p.is_file() for p in (tmp_path / "tryon" / "results").rglob("*"))


def test_job_delivered_twice_is_processed_once(fake, garment, preset, task_queue):
    tryon, _ = request(garment, preset)
    assert execute_tryon(str(tryon.pk)) == TryOnStatus.SUCCEEDED
    assert execute_tryon(str(tryon.pk)) == TryOnStatus.SUCCEEDED
    assert len(fake.calls()) == 1


def test_unexpected_backend_exception_fails_the_row(garment, preset, task_queue, monkeypatch):
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr("tryon.jobs.call_backend", explode)
    tryon, _ = request(garment, preset)
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert "RuntimeError" in tryon.error_message
    assert GenerationClaim.objects.count() == 0


def test_finished_signal_is_sent(fake, garment, preset, task_queue):
    received = []

    def receiver(sender: Any, tryon: TryOn, succeeded: bool, **kwargs: Any) -> None:
        received.append((tryon.pk, succeeded))

    signals.tryon_finished.connect(receiver)
    try:
        tryon, _ = request(garment, preset)
        run_queued(task_queue)
    finally:
        signals.tryon_finished.disconnect(receiver)
    assert received == [(tryon.pk, True)]


def test_prompt_mode_sends_prompt_fields_and_keeps_the_seed(fake, preset, task_queue):
    tryon, _ = services.request_tryon(
        model_photo=preset,
        prompt="Help the model change into a blue striped shirt.",
        seed=1234,
        guidance_scale=60,
        num_inference_steps=20,
    )
    run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.SUCCEEDED
    assert tryon.seed == 1234
    [call] = fake.calls()
    assert call.path == "/api/openapi/change-clothes-by-prompt"
    assert call.fields["prompt"] == "Help the model change into a blue striped shirt."
    assert call.fields["seed"] == "1234"
    assert float(call.fields["guidance_scale"]) == 60
    assert call.fields["num_inference_steps"] == "20"


def test_random_seed_requests_are_never_shared(fake, preset, task_queue):
    for _ in range(2):
        services.request_tryon(model_photo=preset, prompt="Red jacket", randomize_seed=True)
    run_queued(task_queue)
    assert len(fake.calls()) == 2


def test_offline_backend_produces_a_labelled_preview(offline, garment, preset, task_queue):
    tryon, _ = request(garment, preset)
    run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.SUCCEEDED
    assert tryon.is_preview
    assert tryon.provider_calls == 0
    with tryon.result_image.open("rb") as handle:
        assert Image.open(handle).size[0] > 100


def test_stale_running_job_is_found_and_run_again(fake, garment, preset, task_queue):
    tryon, _ = request(garment, preset)
    task_queue.clear()  # the worker that took it died
    long_ago = timezone.now() - timedelta(hours=1)
    TryOn.objects.filter(pk=tryon.pk).update(
        status=TryOnStatus.RUNNING, started_at=long_ago, created_at=long_ago
    )

    assert services.recover_stale(timedelta(minutes=15)) == 1
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.SUCCEEDED


def test_recent_running_job_is_left_alone(fake, garment, preset, task_queue):
    tryon, _ = request(garment, preset)
    task_queue.clear()
    TryOn.objects.filter(pk=tryon.pk).update(status=TryOnStatus.RUNNING, started_at=timezone.now())
    assert services.recover_stale(timedelta(minutes=15)) == 0
    assert task_queue.results == []


def test_recovery_among_given_rows_leaves_the_others_and_pending_ones_alone(
    fake, garment, preset, task_queue
):
    from tryon.recovery import recover_stale

    mine, _ = request(garment, preset)
    other, _ = request(make_garment("dresses", name="Dress"), preset)
    waiting, _ = request(make_garment("lower_body", name="Jeans"), preset)
    task_queue.clear()
    long_ago = timezone.now() - timedelta(hours=1)
    TryOn.objects.filter(pk__in=[mine.pk, other.pk]).update(
        status=TryOnStatus.RUNNING, started_at=long_ago, created_at=long_ago
    )
    TryOn.objects.filter(pk=waiting.pk).update(created_at=long_ago)

    assert recover_stale(timedelta(minutes=15), among=[str(mine.pk), str(waiting.pk)]) == 1
    assert [r.args[0] for r in task_queue.results] == [str(mine.pk)]
    other.refresh_from_db()
    assert other.status == TryOnStatus.RUNNING


def test_recovery_that_cannot_queue_fails_the_row_and_says_so(
    fake, garment, preset, task_queue, monkeypatch
):
    from tryon import tasks

    tryon, _ = request(garment, preset)
    long_ago = timezone.now() - timedelta(hours=1)
    TryOn.objects.filter(pk=tryon.pk).update(status=TryOnStatus.RUNNING, started_at=long_ago)

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis down")

    received = []
    signals.tryon_finished.connect(receiver := lambda **kwargs: received.append(kwargs))
    monkeypatch.setattr(tasks, "enqueue", broker_down)
    try:
        assert services.recover_stale(timedelta(minutes=15)) == 1
    finally:
        signals.tryon_finished.disconnect(receiver)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert [(kw["tryon"].pk, kw["succeeded"]) for kw in received] == [(tryon.pk, False)]


def test_tryon_deleted_while_running_leaves_no_result_file(
    fake, garment, preset, task_queue, settings, monkeypatch
):
    tryon, _ = request(garment, preset)
    from tryon import jobs

    real_store = jobs._store_result

    def store_then_shopper_deletes(row: TryOn, result: Any, backend: Any) -> None:
        real_store(row, result, backend)
        TryOn.objects.filter(pk=row.pk).delete()

    monkeypatch.setattr(jobs, "_store_result", store_then_shopper_deletes)
    run_queued(task_queue)
    assert not TryOn.objects.filter(pk=tryon.pk).exists()
    results_dir = Path(settings.MEDIA_ROOT) / "tryon" / "results"
    assert not any(p.is_file() for p in results_dir.rglob("*"))


def test_daily_cap_reached_in_the_worker_fails_with_the_shop_code(
    fake, garment, preset, task_queue
):
    from tryon.backends.codes import user_message_for
    from tryon.exceptions import DAILY_LIMIT_CODE

    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=0)):
        tryon, _ = request(garment, preset)
        run_queued(task_queue)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.FAILED
    assert tryon.error_code == DAILY_LIMIT_CODE
    assert "DAILY_PAID_CALL_LIMIT" in tryon.error_message
    assert "unavailable today" in user_message_for(tryon.error_code)
    assert fake.calls() == []


def test_job_that_lost_its_row_while_waiting_for_a_slot_does_not_pay(
    fake, garment, preset, task_queue, monkeypatch
):
    from contextlib import contextmanager

    from tryon import jobs

    tryon, _ = request(garment, preset)

    @contextmanager
    def slow_slot(source: str) -> Any:
        # Meanwhile recovery re-queued the row and another worker took it.
        TryOn.objects.filter(pk=tryon.pk).update(started_at=timezone.now() + timedelta(seconds=5))
        yield None

    monkeypatch.setattr(jobs, "provider_slot", slow_slot)
    assert execute_tryon(str(tryon.pk)) == TryOnStatus.RUNNING  # the other job's now
    assert fake.calls() == []
    assert GenerationClaim.objects.filter(fingerprint=tryon.fingerprint).exists()


def test_waiting_jobs_get_the_failure_when_the_leader_crashes(
    fake, garment, preset, task_queue, monkeypatch
):
    from tryon import jobs

    leader, _ = request(garment, preset)
    waiting, _ = request(garment, preset)
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    assert execute_tryon(str(waiting.pk)) == TryOnStatus.PENDING  # stepped aside
    GenerationClaim.objects.all().delete()

    def storage_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(jobs, "_generate", storage_down)
    assert execute_tryon(str(leader.pk)) == TryOnStatus.FAILED
    waiting.refresh_from_db()
    assert waiting.status == TryOnStatus.FAILED
    assert GenerationClaim.objects.count() == 0


def test_deleted_leader_sends_waiting_jobs_back_to_the_queue(
    fake, garment, preset, task_queue, monkeypatch
):
    from tryon import jobs

    leader, _ = request(garment, preset)
    waiting, _ = request(garment, preset)
    task_queue.clear()
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    assert execute_tryon(str(waiting.pk)) == TryOnStatus.PENDING
    GenerationClaim.objects.all().delete()
    real_store = jobs._store_result

    def store_then_shopper_deletes(row: TryOn, result: Any, backend: Any) -> None:
        real_store(row, result, backend)
        TryOn.objects.filter(pk=row.pk).delete()

    monkeypatch.setattr(jobs, "_store_result", store_then_shopper_deletes)
    assert execute_tryon(str(leader.pk)) == "missing"
    waiting.refresh_from_db()
    assert waiting.status == TryOnStatus.PENDING
    assert [r.args[0] for r in task_queue.results] == [str(waiting.pk)]
    monkeypatch.undo()
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]


def test_enqueue_failure_fails_the_row_instead_of_stranding_it(garment, preset, monkeypatch):
    from tryon import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks, "enqueue", broker_down)
    tryon, answered = request(garment, preset)
    tryon.refresh_from_db()
    assert not answered
    assert tryon.status == TryOnStatus.FAILED
    assert "could not be queued" in tryon.error_message


def test_enqueue_failure_sends_the_finished_signal(garment, preset, monkeypatch):
    from tryon import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis down")

    received = []

    def receiver(sender: Any, tryon: TryOn, succeeded: bool, **kwargs: Any) -> None:
        received.append((tryon.pk, tryon.status, succeeded))

    monkeypatch.setattr(tasks, "enqueue", broker_down)
    signals.tryon_finished.connect(receiver)
    try:
        tryon, _ = request(garment, preset)
    finally:
        signals.tryon_finished.disconnect(receiver)
    assert received == [(tryon.pk, TryOnStatus.FAILED, False)]


def test_every_terminal_transition_sends_the_signal_once(fake, garment, preset, task_queue):
    """A leader, a job answered from its result, and jobs handed its result or failure."""
    received: list[Any] = []

    def receiver(sender: Any, tryon: TryOn, succeeded: bool, **kwargs: Any) -> None:
        received.append((tryon.pk, succeeded))

    signals.tryon_finished.connect(receiver)
    try:
        leader, _ = request(garment, preset)
        waiting, _ = request(garment, preset)
        GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
        assert execute_tryon(str(waiting.pk)) == TryOnStatus.PENDING  # stepped aside
        GenerationClaim.objects.all().delete()
        assert execute_tryon(str(leader.pk)) == TryOnStatus.SUCCEEDED
        assert execute_tryon(str(waiting.pk)) == TryOnStatus.SUCCEEDED  # delivered again
        answered, answered_now = request(garment, preset)
        fake.fail_always(10003)
        failed, _ = request(make_garment("dresses", name="Dress"), preset)
        run_queued(task_queue)
    finally:
        signals.tryon_finished.disconnect(receiver)
    assert answered_now
    assert sorted(received, key=str) == sorted(
        [(leader.pk, True), (waiting.pk, True), (answered.pk, True), (failed.pk, False)],
        key=str,
    )


def test_a_finished_row_is_not_finished_again(fake, garment, preset, task_queue):
    from tryon import state

    tryon, _ = request(garment, preset)
    run_queued(task_queue)
    tryon.refresh_from_db()
    received = []
    signals.tryon_finished.connect(receiver := lambda **kwargs: received.append(kwargs))
    try:
        assert not state.fail(tryon, state.Failure(None, "late"))
        assert not state.fail_unqueued(tryon.pk, "late")
    finally:
        signals.tryon_finished.disconnect(receiver)
    tryon.refresh_from_db()
    assert tryon.status == TryOnStatus.SUCCEEDED
    assert received == []


def test_unreadable_shop_image_fails_the_job_not_the_request(fake, preset, task_queue):
    from django.core.files.base import ContentFile

    from tryon.models import Garment

    tiny = Garment(name="Tiny", category="upper_body")
    tiny.image.save("tiny.png", ContentFile(images.png_bytes(100, 100)), save=False)
    tiny.save()
    tryon, _ = request(tiny, preset)
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    tryon.refresh_from_db()
    assert "cannot be used" in tryon.error_message
    assert fake.calls() == []


def test_each_job_closes_its_backend(fake, garment, preset, task_queue, monkeypatch):
    from tryon.backends.changeclothes import ChangeClothesBackend

    closed = []
    real_close = ChangeClothesBackend.close

    def recording_close(self: ChangeClothesBackend) -> None:
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(ChangeClothesBackend, "close", recording_close)
    fake.fail_always(10003)
    request(garment, preset)
    request(make_garment("dresses", name="Dress"), preset)
    run_queued(task_queue)
    assert len(closed) == 2


def test_a_truncated_file_under_a_content_name_is_written_again(settings):
    from tryon.storage import content_hash_name, get_storage, save_content_addressed

    content = images.jpeg_bytes(300, 300)
    name = content_hash_name("results", content, "jpg")
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content[:100])  # left by a worker killed mid-write
    assert save_content_addressed("results", content, "jpg") == name
    with get_storage().open(name, "rb") as handle:
        assert handle.read() == content
