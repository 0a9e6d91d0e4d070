"""Crash-safe paid calls (issue 14), in one process against the fake provider.

A worker can die anywhere, or lose its database connection. These tests put each job in
the states such a death leaves behind, then check what the job engine and recovery make
of them: a paid request recorded before it is sent and counted against the daily cap at
that moment; a request out and unanswered never sent again; an answer in hand never
paid for twice; a pending row nobody holds queued again; a success never undone.
The real thing (SIGKILLed workers, terminated connections) is ``tests/test_chaos.py``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from tests.conftest import make_garment, make_model_photo, run_queued, tryon_settings_for
from tryon import claims, reuse, services, signals, state
from tryon.exceptions import DAILY_LIMIT_CODE, UNANSWERED_REQUEST_CODE
from tryon.models import DailyUsage, GenerationClaim, TryOn, TryOnStatus
from tryon.recovery import recover, recover_stale
from tryon.tasks import execute_tryon
from tryon.testing import FakeChangeClothesServer

pytestmark = pytest.mark.django_db(transaction=True)

SUCCEEDED, FAILED, PENDING, RUNNING = (
    TryOnStatus.SUCCEEDED,
    TryOnStatus.FAILED,
    TryOnStatus.PENDING,
    TryOnStatus.RUNNING,
)
LONG_AGO = timedelta(hours=1)
STALE = timedelta(minutes=15)


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing of the job's own error handling runs on it."""


def paid_calls_today() -> int:
    return DailyUsage.objects.aggregate(total=Sum("paid_calls"))["total"] or 0


def observe_requests(fake: FakeChangeClothesServer, look: Any) -> list[Any]:
    """Call ``look()`` in the fake's thread as each API request arrives; what it saw."""
    seen: list[Any] = []
    original = fake._handle_api

    def observing(request: Any, content_type: str) -> Any:
        seen.append(look())
        return original(request, content_type)

    fake._handle_api = observing  # type: ignore[method-assign]
    return seen


def queued(garment: Any = None, model_photo: Any = None) -> TryOn:
    tryon, answered = services.request_tryon(
        garment=garment or make_garment(), model_photo=model_photo or make_model_photo()
    )
    assert not answered
    return tryon


def left_by_a_dead_worker(tryon: TryOn, **values: Any) -> None:
    """The row as a worker that died mid-job leaves it: running since long ago."""
    TryOn.objects.filter(pk=tryon.pk).update(
        status=RUNNING, started_at=timezone.now() - LONG_AGO, **values
    )


# -- a paid request is recorded before it is sent ---------------------------------------------


def test_each_paid_attempt_is_recorded_and_counted_before_it_is_sent(fake, task_queue):
    tryon = queued()
    fake.fail_next(500, times=2)  # two transient answers, then a success
    seen = observe_requests(
        fake,
        lambda: (
            *TryOn.objects.values_list("provider_calls", "request_sent_at").get(pk=tryon.pk),
            paid_calls_today(),
        ),
    )
    assert run_queued(task_queue) == [SUCCEEDED]
    # As each request reached the provider, it was already on the row and in the ledger.
    assert [(calls, sent is not None, today) for calls, sent, today in seen] == [
        (1, True, 1),
        (2, True, 2),
        (3, True, 3),
    ]
    tryon.refresh_from_db()
    assert tryon.provider_calls == 3 == fake.call_count == paid_calls_today()
    assert tryon.request_sent_at is None and tryon.provider_answer is None


def test_the_answer_is_recorded_before_the_picture_is_stored(fake, task_queue, monkeypatch):
    from tryon import jobs

    queued()
    real_store = jobs._store_result
    rows: list[TryOn] = []

    def look_then_store(row: TryOn, result: Any, backend: Any) -> None:
        rows.append(TryOn.objects.get(pk=row.pk))
        real_store(row, result, backend)

    monkeypatch.setattr(jobs, "_store_result", look_then_store)
    assert run_queued(task_queue) == [SUCCEEDED]
    [before_storing] = rows
    assert before_storing.request_sent_at is None  # the request is answered
    assert before_storing.provider_answer["image"].startswith(fake.base_url + "/results/")


def test_the_daily_cap_is_reserved_per_attempt_retries_included(task_queue):
    with FakeChangeClothesServer() as fake:
        fake.api_key = "sk-cap-test-key"
        settings = tryon_settings_for(fake, API_KEY=fake.api_key, MAX_RETRIES=4)
        with override_settings(TRYON={**settings, "DAILY_PAID_CALL_LIMIT": 2}):
            tryon = queued()
            fake.fail_next(500, times=5)
            assert run_queued(task_queue) == [FAILED]
    tryon.refresh_from_db()
    # Two attempts fit the cap; the third was refused before it was sent.
    assert fake.call_count == 2 == tryon.provider_calls == paid_calls_today()
    assert tryon.error_code == DAILY_LIMIT_CODE


def test_a_job_that_lost_its_row_before_sending_sends_nothing_and_counts_nothing(
    fake, task_queue, monkeypatch
):
    tryon = queued()
    real_renew = claims.renew

    def renew_then_lose_the_row(row: TryOn) -> None:
        real_renew(row)
        # Recovery re-queued the row and another worker took it, just before the POST.
        TryOn.objects.filter(pk=row.pk).update(started_at=timezone.now() + timedelta(seconds=5))

    monkeypatch.setattr(claims, "renew", renew_then_lose_the_row)
    assert execute_tryon(str(tryon.pk)) == RUNNING  # the other job's now
    assert fake.call_count == 0
    assert paid_calls_today() == 0
    tryon.refresh_from_db()
    assert tryon.provider_calls == 0 and tryon.request_sent_at is None


def test_the_cap_is_exact_across_processes_on_sqlite(tmp_path: Path):
    """Ten processes race for the units of a cap of 5 on one SQLite file: exactly 5."""
    from tests.test_workers import ROOT, sqlite_database, worker_env

    env = worker_env(sqlite_database(tmp_path / "cap.sqlite3"), {"DAILY_PAID_CALL_LIMIT": 5})
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from tryon.models import DailyUsage\n"
        "{}"
    )
    schema = "with connection.schema_editor() as editor:\n    editor.create_model(DailyUsage)\n"
    race = (
        "from tryon.exceptions import LimitExceededError\n"
        "from tryon.limits import reserve_paid_call\n"
        "won = 0\n"
        "for _ in range(5):\n"
        "    try:\n        reserve_paid_call(); won += 1\n"
        "    except LimitExceededError:\n        pass\n"
        "print(won)\n"
    )
    run = [sys.executable, "-c"]
    done = subprocess.run([*run, script.format(schema)], cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    racers = [
        subprocess.Popen([*run, script.format(race)], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(10)
    ]
    won = [int(p.communicate(timeout=120)[0]) for p in racers]
    assert sum(won) == 5, won


@pytest.mark.postgres
def test_fifty_concurrent_jobs_against_a_cap_of_five_make_exactly_five_calls(fake, preset):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL (SQLite: the test above)")
    settings = tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=5, MAX_CONCURRENT_CALLS=50)
    with override_settings(TRYON=settings):
        rows = [queued(make_garment(description=f"style {i}"), preset) for i in range(50)]
    fake.latency = 0.2  # every job gets its slot before any answer comes back
    start = threading.Barrier(50)
    errors: list[BaseException] = []

    def job(tryon_id: str) -> None:
        try:
            start.wait()
            with override_settings(TRYON=settings):
                execute_tryon(tryon_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job, args=(str(row.pk),)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert fake.call_count == 5 == paid_calls_today()
    statuses = list(TryOn.objects.values_list("status", "error_code"))
    assert statuses.count((SUCCEEDED, None)) == 5
    assert statuses.count((FAILED, DAILY_LIMIT_CODE)) == 45


# -- an unanswered paid request is never sent again ---------------------------------------------


def test_recovery_fails_a_row_whose_paid_request_never_came_back(fake, task_queue):
    garment, photo = make_garment(), make_model_photo()
    leader, waiting = queued(garment, photo), queued(garment, photo)
    task_queue.clear()
    left_by_a_dead_worker(leader, request_sent_at=timezone.now() - LONG_AGO, provider_calls=1)
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    finished: list[tuple[Any, bool]] = []
    signals.tryon_finished.connect(
        receiver := lambda **kw: finished.append((kw["tryon"].pk, kw["succeeded"]))
    )
    try:
        report = recover(STALE)
    finally:
        signals.tryon_finished.disconnect(receiver)

    assert (report.requeued, report.failed) == (0, 1)
    assert task_queue.results == []  # nothing queued: nothing is paid again
    for row in (leader, waiting):
        row.refresh_from_db()
        assert row.status == FAILED
        assert row.error_code == UNANSWERED_REQUEST_CODE
        assert "may have charged" in row.error_message
    assert sorted(finished) == sorted([(leader.pk, False), (waiting.pk, False)])
    assert not GenerationClaim.objects.exists()
    assert recover(STALE) == type(report)()  # idempotent: nothing left to do
    assert fake.call_count == 0


def test_staff_can_retry_an_unanswered_row_knowingly(fake, task_queue):
    tryon = queued()
    task_queue.clear()
    left_by_a_dead_worker(tryon, request_sent_at=timezone.now() - LONG_AGO, provider_calls=1)
    recover(STALE)
    tryon.refresh_from_db()
    assert tryon.status == FAILED
    assert services.retry(tryon)  # what the admin action and --retry-failed do
    tryon.refresh_from_db()
    assert tryon.request_sent_at is None
    assert run_queued(task_queue) == [SUCCEEDED]
    tryon.refresh_from_db()
    assert tryon.provider_calls == 2  # the lost attempt and the one paid again knowingly


def test_the_admin_retry_says_an_unanswered_row_may_be_paid_twice(fake, task_queue, admin_client):
    tryon = queued()
    task_queue.clear()
    left_by_a_dead_worker(tryon, request_sent_at=timezone.now() - LONG_AGO, provider_calls=1)
    recover(STALE)
    response = admin_client.post(
        "/admin/tryon/tryon/",
        {"action": "retry_failed", "_selected_action": [str(tryon.pk)]},
        follow=True,
    )
    shown = [str(message) for message in response.context["messages"]]
    assert "1 failed try-on queued again." in shown
    assert any("may have charged" in message for message in shown)
    assert [r.args[0] for r in task_queue.results] == [str(tryon.pk)]


def test_a_dead_workers_claim_with_a_request_out_is_never_taken_over(fake, task_queue):
    garment, photo = make_garment(), make_model_photo()
    leader, late = queued(garment, photo), queued(garment, photo)
    task_queue.clear()
    left_by_a_dead_worker(leader, request_sent_at=timezone.now() - LONG_AGO)
    GenerationClaim.objects.filter(fingerprint=leader.fingerprint).delete()
    GenerationClaim.objects.create(
        fingerprint=leader.fingerprint, tryon=leader, claimed_at=timezone.now() - LONG_AGO
    )
    assert execute_tryon(str(late.pk)) == PENDING  # waits for recovery's verdict
    assert fake.call_count == 0
    recover(STALE)
    late.refresh_from_db()
    assert (late.status, late.error_code) == (FAILED, UNANSWERED_REQUEST_CODE)
    assert fake.call_count == 0


def test_a_stale_claim_whose_row_holds_an_answer_is_never_taken_over(fake, task_queue):
    garment, photo = make_garment(), make_model_photo()
    leader, late = queued(garment, photo), queued(garment, photo)
    task_queue.clear()
    # Re-queued by recovery after its worker died with the answer in hand.
    TryOn.objects.filter(pk=leader.pk).update(
        provider_answer={"image": fake.base_url + "/results/1.webp"}
    )
    GenerationClaim.objects.create(
        fingerprint=leader.fingerprint, tryon=leader, claimed_at=timezone.now() - LONG_AGO
    )
    assert execute_tryon(str(late.pk)) == PENDING  # waits for the leader's next job
    assert fake.call_count == 0


def test_a_job_killed_as_the_answer_arrived_leaves_a_row_recovery_fails(
    fake, task_queue, monkeypatch
):
    from tryon.paid import PaidAttempts

    tryon = queued()

    def killed(self: PaidAttempts, result: Any) -> None:
        raise WorkerKilled

    monkeypatch.setattr(PaidAttempts, "paid_attempt_settled", killed)
    with pytest.raises(WorkerKilled):
        run_queued(task_queue)
    monkeypatch.undo()
    tryon.refresh_from_db()
    assert tryon.status == RUNNING and tryon.request_sent_at is not None
    assert recover_stale(timedelta(0)) == 0
    tryon.refresh_from_db()
    assert (tryon.status, tryon.error_code) == (FAILED, UNANSWERED_REQUEST_CODE)
    assert fake.call_count == 1 == tryon.provider_calls == paid_calls_today()


def test_recovery_finishes_a_failure_hand_off_its_worker_did_not(fake, task_queue):
    garment, photo = make_garment(), make_model_photo()
    leader, waiting = queued(garment, photo), queued(garment, photo)
    task_queue.clear()
    # The leader failed and its worker died while handing the failure out.
    state.fail(leader, state.Failure(10005, "The provider refused the images."))
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    TryOn.objects.filter(pk=waiting.pk).update(picked_at=timezone.now() - LONG_AGO)
    assert recover_stale() == 0
    waiting.refresh_from_db()
    assert (waiting.status, waiting.error_code) == (FAILED, 10005)
    assert not GenerationClaim.objects.exists()
    assert fake.call_count == 0


# -- an answer in hand is never paid for twice -----------------------------------------------


def test_a_job_killed_after_the_answer_is_finished_from_it_without_paying(
    fake, task_queue, monkeypatch
):
    from tryon import jobs

    tryon = queued()

    def killed(*args: Any) -> None:
        raise WorkerKilled

    monkeypatch.setattr(jobs, "_store_result", killed)
    with pytest.raises(WorkerKilled):
        run_queued(task_queue)
    monkeypatch.undo()
    tryon.refresh_from_db()
    assert tryon.status == RUNNING
    assert tryon.request_sent_at is None and tryon.provider_answer

    assert recover_stale(timedelta(0)) == 1
    assert run_queued(task_queue) == [SUCCEEDED]
    tryon.refresh_from_db()
    assert tryon.result_image and tryon.mask_image
    assert tryon.provider_answer is None
    assert fake.call_count == 1 == tryon.provider_calls == paid_calls_today()


# -- no row waits for ever ---------------------------------------------------------------------


def test_a_pending_row_whose_task_was_taken_and_lost_is_queued_again(fake, task_queue):
    tryon = queued()
    task_queue.clear()  # a worker took the task, marked it picked, and died
    TryOn.objects.filter(pk=tryon.pk).update(picked_at=timezone.now() - LONG_AGO)
    assert recover_stale() == 1
    assert run_queued(task_queue) == [SUCCEEDED]
    assert recover_stale() == 0


def test_a_worker_starting_the_task_marks_the_row_picked(fake, task_queue):
    from types import SimpleNamespace

    from tryon.compat import task_started
    from tryon.tasks import run_tryon

    tryon = queued()
    TryOn.objects.filter(pk=tryon.pk).update(picked_at=None)
    task_started.send(
        sender=type(task_queue),
        task_result=SimpleNamespace(
            task=run_tryon, args=[str(tryon.pk)], id="t1", status="RUNNING"
        ),
    )
    tryon.refresh_from_db()
    assert tryon.picked_at is not None
    assert tryon.task_id and tryon.queued_at  # recorded when it was enqueued


def test_a_picked_row_waiting_for_a_live_leader_is_left_to_it(fake, task_queue):
    garment, photo = make_garment(), make_model_photo()
    leader, waiting = queued(garment, photo), queued(garment, photo)
    task_queue.clear()
    TryOn.objects.filter(pk=leader.pk).update(status=RUNNING, started_at=timezone.now())
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    TryOn.objects.filter(pk=waiting.pk).update(picked_at=timezone.now() - LONG_AGO)
    assert recover_stale() == 0  # the leader hands it its result when it is done
    GenerationClaim.objects.all().delete()  # the leader is gone without a word
    TryOn.objects.filter(pk=leader.pk).update(status=FAILED)
    assert recover_stale() == 1


def test_a_task_the_backend_no_longer_holds_is_queued_again(fake, task_queue, monkeypatch):
    monkeypatch.setattr(task_queue, "supports_get_result", True, raising=False)
    kept, lost = queued(), queued()
    old = timezone.now() - LONG_AGO
    TryOn.objects.filter(pk__in=[kept.pk, lost.pk]).update(queued_at=old)
    task_queue.results[:] = [r for r in task_queue.results if r.args[0] == str(kept.pk)]
    assert recover_stale() == 1  # the lost one; the kept one is still queued
    assert sorted(r.args[0] for r in task_queue.results) == sorted([str(kept.pk), str(lost.pk)])


def test_recovery_never_asks_a_backend_that_cannot_tell(fake, task_queue):
    tryon = queued()
    task_queue.clear()
    TryOn.objects.filter(pk=tryon.pk).update(queued_at=timezone.now() - LONG_AGO)
    assert recover_stale() == 0  # the dummy backend cannot tell: --requeue-pending can
    assert recover_stale(requeue_pending=True, older_than=timedelta(0)) == 1


# -- a success is final ----------------------------------------------------------------------


def test_a_lost_connection_during_the_hand_off_leaves_the_success_alone(
    fake, task_queue, monkeypatch
):
    from tryon import jobs

    garment, photo = make_garment(), make_model_photo()
    leader, waiting = queued(garment, photo), queued(garment, photo)
    task_queue.clear()
    GenerationClaim.objects.create(fingerprint=leader.fingerprint, tryon=leader)
    assert execute_tryon(str(waiting.pk)) == PENDING  # stepped aside
    GenerationClaim.objects.all().delete()
    real_hand_off = reuse.hand_result_to_waiting
    calls = []

    def connection_drops_once(tryon: TryOn, holder: TryOn) -> None:
        calls.append(tryon.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        real_hand_off(tryon, holder)

    monkeypatch.setattr(jobs, "hand_result_to_waiting", connection_drops_once)
    assert execute_tryon(str(leader.pk)) == SUCCEEDED
    leader.refresh_from_db()
    waiting.refresh_from_db()
    assert (leader.status, leader.error_message) == (SUCCEEDED, "")
    assert leader.result_image
    assert waiting.status == SUCCEEDED and waiting.result_image == leader.result_image
    assert fake.call_count == 1


@pytest.mark.parametrize("where", ["succeed_signal", "claim_release", "every_hand_off"])
def test_faults_after_success_never_turn_it_into_a_failure(fake, task_queue, monkeypatch, where):
    from tryon import jobs

    garment, photo = make_garment(), make_model_photo()
    tryon = queued(garment, photo)

    def drop(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("terminating connection due to administrator command")

    if where == "succeed_signal":
        signals.tryon_finished.connect(drop)
    elif where == "claim_release":
        real_release = claims.release
        monkeypatch.setattr(
            claims,
            "release",
            lambda row: drop() if TryOn.objects.get(pk=row.pk).is_finished else real_release(row),
        )
    else:
        monkeypatch.setattr(jobs, "hand_result_to_waiting", drop)
    try:
        status = execute_tryon(str(tryon.pk)) if where != "every_hand_off" else None
        if where == "every_hand_off":
            with pytest.raises(OperationalError):  # the task backend records the failure
                execute_tryon(str(tryon.pk))
    finally:
        signals.tryon_finished.disconnect(drop)
    tryon.refresh_from_db()
    assert status in (SUCCEEDED, None)
    assert (tryon.status, tryon.error_code, tryon.error_message) == (SUCCEEDED, None, "")
    assert tryon.result_image
    assert fake.call_count == 1 == tryon.provider_calls


def test_state_never_moves_a_succeeded_row(fake, task_queue):
    tryon = queued()
    assert run_queued(task_queue) == [SUCCEEDED]
    tryon.refresh_from_db()
    failure = state.Failure(None, "Internal error: OperationalError")
    assert not state.fail(tryon, failure)
    assert not state.requeue_running(tryon.pk, tryon.started_at)
    assert not state.reset_failed(tryon)
    assert not state.fail_unanswered(tryon, failure)
    tryon.refresh_from_db()
    assert tryon.status == SUCCEEDED and tryon.error_message == ""


# -- a lost connection mid-job ---------------------------------------------------------------


def test_a_lost_connection_before_sending_requeues_the_row_unpaid(fake, task_queue, monkeypatch):
    from tryon import paid

    tryon = queued()
    task_queue.clear()

    def unreachable() -> None:
        raise OperationalError("could not receive data from server")

    monkeypatch.setattr(paid, "reserve_paid_call", unreachable)
    assert execute_tryon(str(tryon.pk)) == PENDING
    assert [r.args[0] for r in task_queue.results] == [str(tryon.pk)]  # queued again
    assert fake.call_count == 0 == paid_calls_today()
    assert not GenerationClaim.objects.exclude(tryon=tryon).exists()
    monkeypatch.undo()
    assert run_queued(task_queue) == [SUCCEEDED]
    assert fake.call_count == 1


def test_a_lost_connection_after_the_answer_finishes_from_it_without_paying(
    fake, task_queue, monkeypatch
):
    tryon = queued()
    task_queue.clear()
    real_succeed = state.succeed
    drops = []

    def drops_once(row: TryOn) -> bool:
        if not drops:
            drops.append(row.pk)
            raise OperationalError("server closed the connection unexpectedly")
        return real_succeed(row)

    monkeypatch.setattr(state, "succeed", drops_once)
    assert execute_tryon(str(tryon.pk)) == PENDING  # queued again, with its answer kept
    tryon.refresh_from_db()
    assert tryon.provider_answer and tryon.request_sent_at is None
    assert run_queued(task_queue) == [SUCCEEDED]
    tryon.refresh_from_db()
    assert tryon.result_image
    assert fake.call_count == 1 == tryon.provider_calls


def test_a_lost_connection_with_a_request_out_fails_the_row_and_never_resends(
    fake, task_queue, monkeypatch
):
    from tryon.paid import PaidAttempts

    tryon = queued()
    task_queue.clear()

    def cut(self: PaidAttempts, result: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(PaidAttempts, "paid_attempt_settled", cut)
    assert execute_tryon(str(tryon.pk)) == FAILED
    tryon.refresh_from_db()
    assert tryon.error_code == UNANSWERED_REQUEST_CODE
    assert task_queue.results == []
    assert fake.call_count == 1 == tryon.provider_calls
