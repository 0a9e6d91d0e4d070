"""``tryon_pregenerate`` and ``tryon_recover``."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from tests import images
from tests.conftest import make_model_photo, run_queued, tryon_settings_for
from tryon.management.commands import tryon_pregenerate
from tryon.models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus

pytestmark = pytest.mark.django_db(transaction=True)


def garments(count: int) -> list[Garment]:
    made = []
    for i in range(count):
        g = Garment(name=f"Garment {i}")
        colour = (50 + 40 * i, 30, 200 - 30 * i)
        g.image.save("g.jpg", ContentFile(images.garment_photo(color=colour)), save=False)
        g.save()
        made.append(g)
    return made


def models(count: int) -> list[ModelPhoto]:
    made = []
    for i in range(count):
        photo = ModelPhoto(name=f"Model {i}", is_preset=True)
        photo.image.save("m.jpg", ContentFile(images.person_photo(600 + 20 * i, 900)), save=False)
        photo.save()
        made.append(photo)
    return made


def pregenerate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tryon_pregenerate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class WorkerClock:
    """Stands in for ``time`` in the command: each poll's sleep lets a worker run jobs."""

    def __init__(self, queue: Any, per_poll: int = 1) -> None:
        self.queue, self.per_poll, self.now = queue, per_poll, 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for _ in range(self.per_poll):
            if self.queue.results:
                result = self.queue.results.pop(0)
                result.task.call(*result.args, **result.kwargs)


def test_all_with_wait_shows_progress_and_summary(fake, task_queue, monkeypatch):
    garments(3)
    models(2)
    monkeypatch.setattr(tryon_pregenerate, "time", WorkerClock(task_queue, per_poll=1))
    out, err = pregenerate("--all", "--wait", "--poll-interval", "1")
    assert "3 garment(s) × 2 preset model(s) = 6 preview(s)." in out
    assert "Queued: 6 queued" in out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert lines[0].startswith("[" + "-" * 24 + "]") and "0/6" in lines[0]
    assert "ETA --:--" in lines[0]
    # Not a terminal: a line every 5 s. One job a second, so 1 s left after 5.
    assert any("5/6" in line and "1.0/s  ETA 0:01" in line for line in lines)
    assert "ok 6  failed 0" in lines[-1] and "done" in lines[-1]
    assert lines[-1].startswith("[" + "#" * 24 + "]")
    assert "Summary: 6 preview(s): 6 succeeded (0 already done before this run), 0 failed" in out
    assert fake.call_count == 6
    assert set(TryOn.objects.values_list("source", flat=True)) == {TryOnSource.PREVIEW}
    assert err == ""


def test_resumable_skips_succeeded_and_queued_previews(fake, task_queue):
    first, _second = garments(2)
    (model,) = models(1)
    out, _ = pregenerate("--garment", str(first.pk))
    assert "Queued: 1 queued" in out
    assert "1 unfinished" in out and "still queued" in out
    run_queued(task_queue)

    out, _ = pregenerate("--all")  # the first is done; only the second is new
    assert "Queued: 1 queued, 0 failed ones retried, 1 already done" in out
    out, _ = pregenerate("--all")  # the second is still waiting for a worker
    assert "0 queued, 0 failed ones retried, 1 already done, 1 already queued or running" in out
    run_queued(task_queue)
    out, _ = pregenerate("--all", "--model-photo", str(model.pk))
    assert "0 queued, 0 failed ones retried, 2 already done" in out
    assert "Summary: 2 preview(s): 2 succeeded (2 already done before this run)" in out
    assert TryOn.objects.count() == 2 and fake.call_count == 2


def test_failures_exit_non_zero_until_retried(fake, task_queue, monkeypatch):
    (garment,) = garments(1)
    models(2)
    fake.fail_next(10005)
    monkeypatch.setattr(tryon_pregenerate, "time", WorkerClock(task_queue, per_poll=5))
    with pytest.raises(CommandError, match="1 preview\\(s\\) failed") as failure:
        pregenerate("--garment", str(garment.pk), "--wait")
    assert failure.value.returncode == 1  # manage.py exits with it

    # Resuming without --retry-failed leaves the failure alone, and still says so.
    err = io.StringIO()
    with pytest.raises(CommandError, match="--retry-failed"):
        call_command("tryon_pregenerate", "--all", stdout=io.StringIO(), stderr=err)
    assert "10005" in err.getvalue() and "harmful" in err.getvalue().lower()

    out, _ = pregenerate("--all", "--retry-failed", "--wait")
    assert "Queued: 0 queued, 1 failed ones retried, 1 already done" in out
    assert "2 succeeded" in out and "0 failed" in out
    assert TryOn.objects.count() == 2  # the failed row itself was retried
    assert fake.call_count == 3


def test_timeout_stops_waiting_with_an_error(fake, task_queue, monkeypatch):
    garments(1)
    models(1)
    monkeypatch.setattr(tryon_pregenerate, "time", WorkerClock(task_queue, per_poll=0))
    err = io.StringIO()
    call_command(
        "tryon_pregenerate", "--all", "--wait", "--timeout", "5", stdout=io.StringIO(), stderr=err
    )
    assert "Stopped waiting after 5 s." in err.getvalue()


def test_wait_requeues_a_job_whose_worker_died(fake, task_queue, monkeypatch):
    (_garment,) = garments(1)
    models(1)
    out, _ = pregenerate("--all")
    lost = TryOn.objects.get()
    task_queue.clear()  # delivered to a worker, which then died mid-job:
    TryOn.objects.filter(pk=lost.pk).update(
        status=TryOnStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    monkeypatch.setattr(tryon_pregenerate, "time", WorkerClock(task_queue))
    with override_settings(TRYON=tryon_settings_for(fake, STALE_RUNNING_AFTER=60)):
        out, err = pregenerate("--all", "--wait")
    assert "Re-queued 1 job(s) of a stopped worker." in err
    lost.refresh_from_db()
    assert lost.status == TryOnStatus.SUCCEEDED
    assert "1 succeeded" in out


def test_bad_ids_are_refused(db):
    (model,) = models(1)
    with pytest.raises(CommandError, match="No garment with id 999"):
        pregenerate("--garment", "999")
    upload = make_model_photo("", is_preset=False)
    with pytest.raises(CommandError, match="No active preset model"):
        pregenerate("--all", "--model-photo", str(upload.pk))
    with pytest.raises(CommandError):
        pregenerate("--model-photo", str(model.pk))  # neither --garment nor --all


def test_no_presets_is_an_error(db):
    garments(1)
    with pytest.raises(CommandError, match="no active preset models"):
        pregenerate("--all")


def test_progress_line_format():
    from collections import Counter

    line = tryon_pregenerate._progress_line(
        Counter({"succeeded": 30, "failed": 10, "running": 8, "pending": 52}), 100, 20.0, 0
    )
    assert line.startswith("[##########--------------]  40% 40/100  ok 30  failed 10")
    assert "running 8  pending 52  2.0/s  ETA 0:30  elapsed 0:20" in line


def test_recover_command_requeues_stale_running_jobs(fake, garment, preset, task_queue):
    from tryon import services

    tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
    task_queue.clear()
    half_an_hour_ago = timezone.now() - timedelta(minutes=30)
    TryOn.objects.filter(pk=tryon.pk).update(
        status=TryOnStatus.RUNNING, created_at=half_an_hour_ago, started_at=half_an_hour_ago
    )
    out = io.StringIO()
    call_command("tryon_recover", stdout=out)  # STALE_RUNNING_AFTER: 15 minutes
    assert "Re-queued 1 try-on job(s)" in out.getvalue()
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]

    time.sleep(0.01)
    out = io.StringIO()
    call_command("tryon_recover", "--older-than", "3600", stdout=out)
    assert "Re-queued 0" in out.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_redrawn_in_place(fake, task_queue, monkeypatch):
    garments(2)
    models(1)
    monkeypatch.setattr(tryon_pregenerate, "time", WorkerClock(task_queue))
    terminal = Terminal()
    call_command("tryon_pregenerate", "--all", "--wait", stdout=terminal, stderr=io.StringIO())
    out = terminal.getvalue()
    bars = out.split("\r")[1:]
    assert len(bars) == 3  # 0/2, 1/2, 2/2 on one line
    assert "1/2" in bars[1] and bars[2].startswith("[" + "#" * 24 + "] 100% 2/2")
    assert "\nSummary: 2 preview(s): 2 succeeded" in out


def test_recover_leaves_pending_jobs_alone_unless_asked(fake, garment, preset, task_queue):
    from tryon import services

    tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
    task_queue.clear()  # say the queue lost it
    TryOn.objects.filter(pk=tryon.pk).update(created_at=timezone.now() - timedelta(hours=1))
    call_command("tryon_recover", stdout=io.StringIO())
    assert not task_queue.results  # a long bulk run's waiting rows are not enqueued again
    call_command("tryon_recover", "--requeue-pending", stdout=io.StringIO())
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]


def test_model_photo_by_name_or_id(fake, task_queue):
    garments(1)
    first, second, _third = models(3)
    out, _ = pregenerate("--all", "--model-photo", "model 0", str(second.pk))  # any case
    assert "1 garment(s) × 2 preset model(s)" in out
    assert set(TryOn.objects.values_list("model_photo_id", flat=True)) == {first.pk, second.pk}
    with pytest.raises(CommandError, match="No active preset model with name 'Model 9'"):
        pregenerate("--all", "--model-photo", "Model 9")


def test_an_ambiguous_model_photo_name_is_refused_naming_the_candidates(db):
    garments(1)
    first, second = models(2)
    second.name = "model 0"  # the same name as the first, in another case
    second.save()
    with pytest.raises(CommandError) as caught:
        pregenerate("--all", "--model-photo", "Model 0")
    message = str(caught.value)
    assert "2 active preset models have the name 'Model 0'" in message
    assert f"Model 0 (id {first.pk})" in message and f"model 0 (id {second.pk})" in message
    assert not TryOn.objects.exists()
    # An id picks one of them.
    out, _ = pregenerate("--all", "--model-photo", str(second.pk))
    assert "1 garment(s) × 1 preset model(s)" in out
