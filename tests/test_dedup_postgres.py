"""Dedup and row integrity under real concurrency, on PostgreSQL.

Identical shopper requests arriving together make one provider call and all get its
result; different requests arriving together while workers run lose and duplicate no
row. Threads stand in for web and worker processes: each has its own database
connection (closed when it ends), as separate processes would.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pytest tests/test_dedup_postgres.py``
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client, override_settings

from tests import images
from tests.conftest import make_garment, make_model_photo, tryon_settings_for
from tryon import jobs, services
from tryon.models import Garment, GenerationClaim, ModelPhoto, TryOn, TryOnStatus
from tryon.tasks import execute_tryon
from tryon.testing import FakeChangeClothesServer

IS_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
postgres_only = pytest.mark.skipif(
    not IS_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL=postgres://..."
)


def concurrent(test: Callable[..., None]) -> Callable[..., None]:
    """PostgreSQL only, committed for real: other threads must see the rows."""
    return postgres_only(pytest.mark.postgres(pytest.mark.django_db(transaction=True)(test)))


SHOPPERS = 50
WORKERS = 8
LATENCY = 0.3  # seconds per provider call: long enough for every job to overlap the leader
RECOVERY_ROUNDS = 3
CREATE_URL = "/tryon/api/tryons/"

SUCCEEDED = TryOnStatus.SUCCEEDED


@pytest.fixture
def slow_fake(fake: FakeChangeClothesServer) -> Iterator[FakeChangeClothesServer]:
    fake.latency = LATENCY
    # Throttles key on the client address, which every test client shares. (A rate of
    # None is documented to turn one off, but TRYON treats None as "use the default".)
    with override_settings(
        TRYON=tryon_settings_for(fake, BURST_RATE="10000/min", DAILY_RATE="10000/day")
    ):
        cache.clear()
        yield fake


# -- helpers ---------------------------------------------------------------------------


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` for i in range(count), all started at once, each thread on its own connection."""
    start = threading.Barrier(count)

    def run(i: int) -> Any:
        try:
            start.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def run_jobs(tryon_ids: list[str], workers: int = WORKERS) -> list[str]:
    """Run the jobs on ``workers`` threads (as worker processes would); their outcomes."""

    def run(tryon_id: str) -> str:
        try:
            return execute_tryon(tryon_id)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, tryon_ids))


def run_until_finished(tryon_ids: list[str]) -> tuple[list[str], int]:
    """Run every job, then re-run any left pending, a bounded number of rounds.

    Returns the first pass's outcomes and how many rows that pass left unfinished.
    """
    outcomes = run_jobs(tryon_ids)
    left_after_first_pass = TryOn.objects.filter(pk__in=tryon_ids).unfinished().count()
    for _round in range(RECOVERY_ROUNDS):
        left = [
            str(pk)
            for pk in TryOn.objects.filter(pk__in=tryon_ids)
            .unfinished()
            .values_list("pk", flat=True)
        ]
        if not left:
            break
        run_jobs(left)
    return outcomes, left_after_first_pass


def assert_one_shared_result(tryon_ids: list[str], fake: FakeChangeClothesServer) -> TryOn:
    """All rows succeeded with one stored result, paid for once; the row that paid."""
    rows = list(TryOn.objects.filter(pk__in=tryon_ids))
    assert len(rows) == len(tryon_ids)
    assert {row.status for row in rows} == {SUCCEEDED}
    assert fake.call_count == 1
    assert sum(row.provider_calls for row in rows) == 1
    [paid] = [row for row in rows if row.provider_calls == 1]
    assert {row.result_image.name for row in rows} == {paid.result_image.name}
    assert paid.result_image.storage.exists(paid.result_image.name)
    assert {row.reused_from_id for row in rows if row.pk != paid.pk} == {paid.pk}
    assert paid.reused_from_id is None
    assert not GenerationClaim.objects.exists()
    return paid


# -- identical requests ----------------------------------------------------------------


@concurrent
def test_fifty_identical_requests_make_one_provider_call_and_all_get_its_result(
    slow_fake: FakeChangeClothesServer, garment: Garment, preset: ModelPhoto
) -> None:
    def shopper(i: int) -> tuple[str, bool]:
        tryon, answered_now = services.request_tryon(
            garment=Garment.objects.get(pk=garment.pk),
            model_photo=ModelPhoto.objects.get(pk=preset.pk),
        )
        return str(tryon.pk), answered_now

    requested = in_threads(SHOPPERS, shopper)
    tryon_ids = [tryon_id for tryon_id, _ in requested]
    assert len(set(tryon_ids)) == SHOPPERS
    assert not any(answered_now for _, answered_now in requested)  # nothing to reuse yet
    assert slow_fake.call_count == 0
    rows = TryOn.objects.filter(pk__in=tryon_ids)
    assert rows.filter(status=TryOnStatus.PENDING).count() == SHOPPERS
    assert len(set(rows.values_list("fingerprint", flat=True))) == 1

    outcomes, left = run_until_finished(tryon_ids)

    # pending: waiting for the leader; running: the leader is handing it the result
    assert set(outcomes) <= {SUCCEEDED, TryOnStatus.PENDING, TryOnStatus.RUNNING}
    assert left == 0, "a job that stepped aside was never handed the result"
    assert_one_shared_result(tryon_ids, slow_fake)


@concurrent
def test_fifty_identical_shoppers_through_the_api_make_one_provider_call(
    slow_fake: FakeChangeClothesServer, garment: Garment, preset: ModelPhoto
) -> None:
    body = {"garment": garment.pk, "model_photo": str(preset.pk)}
    clients = [Client() for _ in range(SHOPPERS)]  # one session each

    def post(i: int) -> tuple[int, dict[str, Any]]:
        response = clients[i].post(CREATE_URL, body, content_type="application/json")
        return response.status_code, response.json()

    answers = in_threads(SHOPPERS, post)
    assert [status for status, _ in answers] == [202] * SHOPPERS, answers[:3]
    tryon_ids = [answer["id"] for _, answer in answers]
    assert len(set(tryon_ids)) == SHOPPERS
    assert slow_fake.call_count == 0  # nothing is paid inside a web request

    run_until_finished(tryon_ids)
    assert_one_shared_result(tryon_ids, slow_fake)

    def poll(i: int) -> dict[str, Any]:
        response = clients[i].get(f"{CREATE_URL}{tryon_ids[i]}/")
        assert response.status_code == 200
        return response.json()

    polled = in_threads(SHOPPERS, poll)
    assert {answer["status"] for answer in polled} == {"succeeded"}
    assert len({answer["result_url"] for answer in polled}) == 1
    assert polled[0]["result_url"].endswith(".webp")
    # The next identical shopper is answered at once from the stored result.
    again = Client().post(CREATE_URL, body, content_type="application/json")
    assert again.status_code == 201
    assert again.json()["result_url"] == polled[0]["result_url"]
    assert slow_fake.call_count == 1


# -- different requests ----------------------------------------------------------------

DISTINCT = 40
CREATORS = 8
RUNNERS = 8


def coloured_garments(count: int) -> list[Garment]:
    """Garments whose pictures differ, so the fake's results (tinted by them) differ too."""
    garments = []
    for i in range(count):
        garment = Garment(name=f"Tee {i}", category="upper_body")
        color = (5 + 6 * i, (97 * i) % 200, 60)
        garment.image.save("tee.jpg", ContentFile(images.garment_photo(color=color)), save=False)
        garment.save()
        garments.append(garment)
    return garments


@concurrent
def test_forty_different_requests_created_and_run_concurrently_lose_and_duplicate_nothing(
    fake: FakeChangeClothesServer, preset: ModelPhoto
) -> None:
    fake.latency = 0.05
    garment_ids = [g.pk for g in coloured_garments(DISTINCT)]
    to_request: queue.Queue[int] = queue.Queue()
    for garment_id in garment_ids:
        to_request.put(garment_id)
    to_run: queue.Queue[str | None] = queue.Queue()
    created: list[str] = []
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def creator() -> None:
        while True:
            try:
                garment_id = to_request.get_nowait()
            except queue.Empty:
                return
            tryon, answered_now = services.request_tryon(
                garment=Garment.objects.get(pk=garment_id),
                model_photo=ModelPhoto.objects.get(pk=preset.pk),
            )
            assert not answered_now
            created.append(str(tryon.pk))
            to_run.put(str(tryon.pk))

    def runner() -> None:
        while (tryon_id := to_run.get(timeout=60)) is not None:
            outcomes.append(execute_tryon(tryon_id))

    def thread(target: Callable[[], None]) -> threading.Thread:
        def body() -> None:
            try:
                target()
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
            finally:
                connection.close()

        started = threading.Thread(target=body)
        started.start()
        return started

    runners = [thread(runner) for _ in range(RUNNERS)]
    creators = [thread(creator) for _ in range(CREATORS)]
    for started in creators:
        started.join(timeout=120)
    for _ in runners:
        to_run.put(None)
    for started in runners:
        started.join(timeout=120)

    assert errors == []
    assert not any(t.is_alive() for t in creators + runners)
    assert len(created) == len(set(created)) == DISTINCT
    assert outcomes == [SUCCEEDED] * DISTINCT
    rows = list(TryOn.objects.all())
    assert len(rows) == DISTINCT
    assert {str(row.pk) for row in rows} == set(created)
    assert {row.garment_id for row in rows} == set(garment_ids)
    assert {row.status for row in rows} == {SUCCEEDED}
    assert fake.call_count == DISTINCT
    assert [row.provider_calls for row in rows] == [1] * DISTINCT
    assert all(row.reused_from_id is None for row in rows)
    names = {row.result_image.name for row in rows}
    assert len(names) == DISTINCT
    assert all(rows[0].result_image.storage.exists(name) for name in names)
    assert not GenerationClaim.objects.exists()


# -- the window between "no result yet" and "I am the leader" ----------------------------


@pytest.mark.django_db(transaction=True)
def test_a_job_that_claims_just_after_the_leader_finished_reuses_its_result(
    fake: FakeChangeClothesServer, monkeypatch: pytest.MonkeyPatch, task_queue: Any
) -> None:
    """Deterministic: the leader runs to the end inside the late job's first look."""
    garment, photo = make_garment(), make_model_photo()
    leader, _ = services.request_tryon(garment=garment, model_photo=photo)
    late, _ = services.request_tryon(garment=garment, model_photo=photo)
    task_queue.clear()
    first_look = jobs.find_reusable

    def leader_finishes_meanwhile(fingerprint: str, *, exclude: object = None) -> TryOn | None:
        found = first_look(fingerprint, exclude=exclude)
        if exclude == late.pk and found is None:
            monkeypatch.setattr(jobs, "find_reusable", first_look)
            assert execute_tryon(str(leader.pk)) == SUCCEEDED
        return found

    monkeypatch.setattr(jobs, "find_reusable", leader_finishes_meanwhile)
    assert execute_tryon(str(late.pk)) == SUCCEEDED
    late.refresh_from_db()
    assert late.reused_from_id == leader.pk
    assert fake.call_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_that_stepped_aside_for_a_late_claimer_is_handed_the_result(
    fake: FakeChangeClothesServer, monkeypatch: pytest.MonkeyPatch, task_queue: Any
) -> None:
    """Three jobs: the leader has finished; ``late`` claims after it and finds its result;
    ``waiting`` looked before the leader finished and tried to claim while ``late`` held
    the claim, so it stepped aside, pending. ``late`` must hand it the result when it
    lets go of the claim, as a leader does: nothing else would run it again.
    """
    garment, photo = make_garment(), make_model_photo()
    leader, _ = services.request_tryon(garment=garment, model_photo=photo)
    late, _ = services.request_tryon(garment=garment, model_photo=photo)
    waiting, _ = services.request_tryon(garment=garment, model_photo=photo)
    task_queue.clear()
    others = TryOn.objects.filter(pk__in=[late.pk, waiting.pk])
    # Their workers have taken them (so the leader hands them nothing) and looked once.
    others.update(status=TryOnStatus.RUNNING)
    assert execute_tryon(str(leader.pk)) == SUCCEEDED
    others.update(status=TryOnStatus.PENDING)  # for execute_tryon to take them again
    real_look = jobs.find_reusable
    looks: dict[object, int] = {}

    def timed_looks(fingerprint: str, *, exclude: object = None) -> TryOn | None:
        looks[exclude] = looks.get(exclude, 0) + 1
        if looks[exclude] == 1 and exclude in (late.pk, waiting.pk):
            return None  # this first look happened before the leader finished
        if exclude == late.pk:  # late holds the claim: waiting runs now
            assert execute_tryon(str(waiting.pk)) == TryOnStatus.PENDING  # stepped aside
        return real_look(fingerprint, exclude=exclude)

    monkeypatch.setattr(jobs, "find_reusable", timed_looks)
    assert execute_tryon(str(late.pk)) == SUCCEEDED
    assert looks[waiting.pk] == 1  # it did step aside, after one look
    monkeypatch.setattr(jobs, "find_reusable", real_look)

    waiting.refresh_from_db()
    assert waiting.status == SUCCEEDED, "left pending with nobody to hand it the result"
    assert waiting.reused_from_id == leader.pk
    assert fake.call_count == 1
    assert not GenerationClaim.objects.exists()
