"""Every provider fault, 200 jobs: each ends terminal, with exactly the calls the policy allows.

The fake's queue of failures is global and ordered, so the exact test runs the jobs one at
a time, queueing each job's own faults just before it runs. Every job has distinct inputs
(a garment with its own description, or a prompt of its own), so dedup never merges two.

The retry policy (``tryon.client``): 500, 20001, connection errors, timeouts and non-JSON
5xx answers are transient and retried up to ``MAX_RETRIES`` times; everything else fails
at once. Each POST is a paid attempt: the fake counts what it received, the job counts
what it sent in ``TryOn.provider_calls``.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages as storage_handler
from django.db import connection
from django.db.models import Sum
from django.test import override_settings

from tests.conftest import API_KEY, make_garment, tryon_settings_for
from tryon import services
from tryon.models import (
    Garment,
    GenerationClaim,
    ModelPhoto,
    ProviderCallSlot,
    TryOn,
    TryOnStatus,
)
from tryon.tasks import execute_tryon
from tryon.testing import FakeChangeClothesServer

JOBS = 200
MAX_RETRIES = 2
ATTEMPTS = 1 + MAX_RETRIES  # the most POSTs one job may send
FINAL_CODES = (10001, 10002, 10003, 10004, 10005, 10006, 30001, 30002)
TIMEOUT = 0.5  # seconds, for the read-timeout jobs only
HANG = 1.5  # how long the fake sits on a request it was told to hang on
NO_CAP = 1_000_000  # the daily cap is not under test (it would count refused attempts too)

SUCCEEDED, FAILED = TryOnStatus.SUCCEEDED, TryOnStatus.FAILED


@dataclass
class Env:
    """What the scenarios act on."""

    fake: FakeChangeClothesServer
    refused_url: str  # a loopback port that is bound but not listening
    # MEDIA_ROOT: the half-writing storage reads the inputs there and fails on results.
    flaky_root: Path

    @contextmanager
    def tryon(self, **extra: Any) -> Iterator[None]:
        with override_settings(
            TRYON=tryon_settings_for(
                self.fake, MAX_RETRIES=MAX_RETRIES, DAILY_PAID_CALL_LIMIT=NO_CAP, **extra
            )
        ):
            yield


Arrange = Callable[[Env], AbstractContextManager[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    arrange: Arrange
    calls: int  # POSTs the fake must receive
    status: str
    code: int | None = None
    paid: int | None = None  # TryOn.provider_calls, when it differs from ``calls``
    gets: int | None = None  # result downloads the fake must receive, when checked
    message: str = ""  # a piece of the error message
    rare: bool = False  # slow: run once, not in the filler

    @property
    def provider_calls(self) -> int:
        return self.calls if self.paid is None else self.paid


# -- arrangements ----------------------------------------------------------------------


def fake_steps(*steps: Callable[[FakeChangeClothesServer], None], **extra: Any) -> Arrange:
    """Queue ``steps`` on the fake, run under the TRYON settings plus ``extra``."""

    @contextmanager
    def arrange(env: Env) -> Iterator[None]:
        for step in steps:
            step(env.fake)
        with env.tryon(**extra):
            yield

    return arrange


def fail(
    code: int, times: int = 1, style: Literal["body", "status"] = "body"
) -> Callable[[FakeChangeClothesServer], None]:
    return lambda fake: fake.fail_next(code, times=times, style=style)


def non_json(status: int, times: int = 1) -> Callable[[FakeChangeClothesServer], None]:
    return lambda fake: fake.fail_next_non_json(status, times=times)


def dropped(times: int) -> Callable[[FakeChangeClothesServer], None]:
    return lambda fake: fake.drop_connection_next(times=times)


def hung(times: int) -> Callable[[FakeChangeClothesServer], None]:
    return lambda fake: fake.hang_next(HANG, times=times)


def answered(body: dict[str, Any]) -> Callable[[FakeChangeClothesServer], None]:
    return lambda fake: fake.respond_next(body)


def refused() -> Arrange:
    @contextmanager
    def arrange(env: Env) -> Iterator[None]:
        with override_settings(
            TRYON={
                **tryon_settings_for(
                    env.fake, MAX_RETRIES=MAX_RETRIES, DAILY_PAID_CALL_LIMIT=NO_CAP
                ),
                "API_BASE_URL": env.refused_url,
            }
        ):
            yield

    return arrange


def result_answers(status: int) -> Arrange:
    @contextmanager
    def arrange(env: Env) -> Iterator[None]:
        env.fake.result_status = status
        try:
            with env.tryon():
                yield
        finally:
            env.fake.result_status = 200

    return arrange


def storage_fails() -> Arrange:
    @contextmanager
    def arrange(env: Env) -> Iterator[None]:
        flaky = {
            "BACKEND": "tests.storages.HalfWritingStorage",
            "OPTIONS": {"location": str(env.flaky_root)},
        }
        with override_settings(STORAGES={**django_settings.STORAGES, "flaky": flaky}):
            storage_handler._storages.pop("flaky", None)
            with env.tryon(STORAGE="flaky"):
                yield
        storage_handler._storages.pop("flaky", None)

    return arrange


# -- the scenarios ---------------------------------------------------------------------


def scenarios() -> list[Scenario]:
    r, n = MAX_RETRIES, ATTEMPTS
    return [
        Scenario("no fault", fake_steps(), 1, SUCCEEDED),
        # Transient, within MAX_RETRIES: retried, then succeeds.
        Scenario("500 once", fake_steps(fail(500)), 2, SUCCEEDED),
        Scenario("500 x MAX_RETRIES as HTTP 500", fake_steps(fail(500, r, "status")), n, SUCCEEDED),
        Scenario("20001 once", fake_steps(fail(20001)), 2, SUCCEEDED),
        Scenario(
            "20001 x MAX_RETRIES as HTTP 500", fake_steps(fail(20001, r, "status")), n, SUCCEEDED
        ),
        Scenario("500 then 20001", fake_steps(fail(500), fail(20001, r - 1)), n, SUCCEEDED),
        Scenario("non-JSON 502 once", fake_steps(non_json(502)), 2, SUCCEEDED),
        Scenario("non-JSON 502 x MAX_RETRIES", fake_steps(non_json(502, r)), n, SUCCEEDED),
        # Sent but never answered: the provider may have charged, so never repeated.
        Scenario("connection dropped once", fake_steps(dropped(1)), 1, FAILED, message="answer"),
        Scenario(
            "read timeout once",
            fake_steps(hung(1), TIMEOUT=TIMEOUT),
            1,
            FAILED,
            message="Timeout",
            rare=True,
        ),
        # Transient past MAX_RETRIES: 1 + MAX_RETRIES calls, then the last failure.
        Scenario("500 always", fake_steps(fail(500, n)), n, FAILED, 500),
        Scenario("20001 always", fake_steps(fail(20001, n, "status")), n, FAILED, 20001),
        Scenario("non-JSON 502 always", fake_steps(non_json(502, n)), n, FAILED, message="502"),
        # Connection refused: nothing reaches the fake; the client still counts (and
        # records) every attempt it made, since it cannot always tell a lost call.
        Scenario("connection refused", refused(), 0, FAILED, paid=n, message="ConnectError"),
        # Final: one call, the job fails with the provider's code.
        *[
            Scenario(f"{code} ({style})", fake_steps(fail(code, 1, style)), 1, FAILED, code)
            for code in FINAL_CODES
            for style in ("body", "status")
        ],
        Scenario("500 then 10003", fake_steps(fail(500), fail(10003)), 2, FAILED, 10003),
        Scenario("undocumented code 40404", fake_steps(fail(40404)), 1, FAILED, 40404),
        Scenario("non-JSON 403", fake_steps(non_json(403)), 1, FAILED, message="403"),
        Scenario(
            "success without data",
            fake_steps(answered({"code": 200, "msg": "OK"})),
            1,
            FAILED,
            message="no 'data'",
        ),
        # After a paid success: the result cannot be fetched or stored.
        Scenario("result URL 404", result_answers(404), 1, FAILED, gets=1, message="downloaded"),
        Scenario("result URL 503", result_answers(503), 1, FAILED, gets=n, message="downloaded"),
        Scenario("storage write fails", storage_fails(), 1, FAILED, gets=1, message="stored"),
    ]


def job_plan(count: int, seed: int = 5) -> list[Scenario]:
    """Every scenario once, then the fast ones round-robin, shuffled deterministically."""
    every = scenarios()
    fast = [s for s in every if not s.rare]
    plan = every + [fast[i % len(fast)] for i in range(count - len(every))]
    random.Random(seed).shuffle(plan)
    return plan


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture
def env(fake: FakeChangeClothesServer, settings: Any) -> Iterator[Env]:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        yield Env(
            fake=fake, refused_url=f"http://127.0.0.1:{port}", flaky_root=Path(settings.MEDIA_ROOT)
        )


def distinct_tryons(count: int, model_photo: ModelPhoto, task_queue: Any) -> list[TryOn]:
    """``count`` pending TryOns no two of which share a fingerprint: half garments, half prompts."""
    template = make_garment()
    tryons = []
    for i in range(count):
        if i % 2:
            tryon, answered_now = services.request_tryon(
                model_photo=model_photo, prompt=f"Help the model change into shirt number {i}."
            )
        else:
            garment = Garment.objects.create(
                name=f"Tee {i}", image=template.image.name, description=f"Red tee, style {i}"
            )
            tryon, answered_now = services.request_tryon(model_photo=model_photo, garment=garment)
        assert not answered_now
        tryons.append(tryon)
    task_queue.clear()  # jobs are run here, one at a time, with their faults queued
    assert len({t.fingerprint for t in tryons}) == count
    return tryons


def result_gets(fake: FakeChangeClothesServer) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.startswith("/results/"))


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# -- the exact run ---------------------------------------------------------------------


@pytest.mark.django_db
def test_200_mixed_faults_each_end_terminal_with_exactly_the_calls_the_policy_allows(
    env: Env, preset: ModelPhoto, task_queue: Any
) -> None:
    plan = job_plan(JOBS)
    with env.tryon():
        tryons = distinct_tryons(JOBS, preset, task_queue)
    assert env.fake.call_count == 0

    for tryon, scenario in zip(tryons, plan, strict=True):
        run_one(env, tryon, scenario)

    assert not TryOn.objects.unfinished().exists()
    statuses = dict(TryOn.objects.values_list("pk", "status"))
    assert set(statuses.values()) <= {SUCCEEDED, FAILED}
    expected_calls = sum(s.calls for s in plan)
    assert env.fake.call_count == expected_calls
    recorded = TryOn.objects.aggregate(total=Sum("provider_calls"))["total"]
    assert recorded == sum(s.provider_calls for s in plan)
    refused_attempts = sum(s.provider_calls - s.calls for s in plan)
    assert recorded == env.fake.call_count + refused_attempts
    assert TryOn.objects.filter(status=SUCCEEDED).count() == sum(
        s.status == SUCCEEDED for s in plan
    )
    assert not GenerationClaim.objects.exists()
    assert not ProviderCallSlot.objects.exclude(holder="").exists()
    # No half-written result: every stored result belongs to a row.
    referenced = {
        name
        for pair in TryOn.objects.values_list("result_image", "mask_image")
        for name in pair
        if name
    }
    results = env.flaky_root / "tryon" / "results"
    stored = {str(p.relative_to(env.flaky_root)) for p in results.rglob("*") if p.is_file()}
    assert stored and stored <= referenced
    # Nothing queued is left over: a clean job now makes exactly one call.
    assert_leaves_nothing_queued(env, preset)


def run_one(env: Env, tryon: TryOn, scenario: Scenario) -> None:
    calls_before, gets_before = env.fake.call_count, result_gets(env.fake)
    with scenario.arrange(env):
        outcome = execute_tryon(str(tryon.pk))
    tryon.refresh_from_db()
    where = f"{scenario.name} ({tryon.pk})"
    assert outcome == tryon.status == scenario.status, f"{where}: {tryon.error_message}"
    assert env.fake.call_count - calls_before == scenario.calls, where
    assert tryon.provider_calls == scenario.provider_calls, where
    gets = result_gets(env.fake) - gets_before
    if scenario.gets is not None:
        assert gets == scenario.gets, where
    assert tryon.finished_at is not None, where
    if scenario.status == SUCCEEDED:
        assert tryon.result_image and tryon.result_image.storage.exists(tryon.result_image.name), (
            where
        )
        assert tryon.error_code is None and tryon.error_message == "", where
        # The result, and for the garment endpoint its mask, each fetched once.
        assert gets == (2 if tryon.garment_id else 1), where
    else:
        assert not tryon.result_image, where
        assert tryon.error_code == scenario.code, where
        assert tryon.error_message and scenario.message in tryon.error_message, where
        assert API_KEY not in tryon.error_message, where


def assert_leaves_nothing_queued(env: Env, model_photo: ModelPhoto) -> None:
    with env.tryon():
        tryon, _ = services.request_tryon(model_photo=model_photo, prompt="A final, clean job.")
        before = env.fake.call_count
        assert execute_tryon(str(tryon.pk)) == SUCCEEDED
    assert env.fake.call_count == before + 1


def test_the_plan_covers_every_fault_the_issue_names() -> None:
    names = " | ".join(s.name for s in job_plan(JOBS))
    for fault in (
        "500",
        "20001",
        "connection refused",
        "read timeout",
        "non-JSON 502",
        "result URL 404",
        "storage write fails",
        "connection dropped",
    ):
        assert fault in names
    for code in FINAL_CODES:
        assert f"{code} (body)" in names and f"{code} (status)" in names
    assert len(job_plan(JOBS)) == JOBS
    assert sum(s.rare for s in job_plan(JOBS)) == 1  # the slow timeout runs once


# -- concurrent: transient faults shared by jobs running at the same time ----------------

postgres_only = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers",
)

CONCURRENT_JOBS = 60
WORKERS = 8


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_jobs_under_a_burst_of_transient_faults_pay_exactly_once_per_answer(
    fake: FakeChangeClothesServer, preset: ModelPhoto, task_queue: Any
) -> None:
    """Queued faults go to whichever call comes next; the totals are still exact.

    Every POST either consumes one queued fault or succeeds, so the fake's count is the
    faults consumed plus the jobs that succeeded; a job fails only after 1 + MAX_RETRIES
    transient faults (or at once on a final code).
    """
    with fake_settings(fake):
        tryons = distinct_tryons(CONCURRENT_JOBS, preset, task_queue)
    faults: list[tuple[int, Literal["body", "status"]]] = [
        (500, "body"),
        (20001, "body"),
        (500, "status"),
        (10003, "body"),
        (20001, "status"),
    ]
    queued = 0
    for i in range(40):
        code, style = faults[i % len(faults)]
        fake.fail_next(code, style=style)
        queued += 1
    fake.fail_next_non_json(502, times=10)
    queued += 10
    fake.latency = 0.02

    with fake_settings(fake):
        run_concurrently([str(t.pk) for t in tryons], WORKERS)

    assert not TryOn.objects.unfinished().exists()
    rows = list(TryOn.objects.all())
    succeeded = [t for t in rows if t.status == SUCCEEDED]
    failed = [t for t in rows if t.status == FAILED]
    assert len(succeeded) + len(failed) == CONCURRENT_JOBS
    assert succeeded, "with 50 faults over 60 jobs some must succeed"
    assert fake.call_count == queued + len(succeeded)
    assert fake.call_count == sum(t.provider_calls for t in rows)
    assert all(1 <= t.provider_calls <= ATTEMPTS for t in rows)
    for t in failed:
        if t.error_code == 10003:
            assert t.provider_calls <= ATTEMPTS
        else:  # a transient fault only fails a job after the last retry
            assert t.provider_calls == ATTEMPTS, (t.error_code, t.provider_calls)
            assert t.error_code in (500, 20001, None)
    assert not GenerationClaim.objects.exists()


@contextmanager
def fake_settings(fake: FakeChangeClothesServer) -> Iterator[None]:
    with override_settings(
        TRYON=tryon_settings_for(fake, MAX_RETRIES=MAX_RETRIES, DAILY_PAID_CALL_LIMIT=NO_CAP)
    ):
        yield


def run_concurrently(tryon_ids: list[str], workers: int) -> None:
    """Run the jobs on ``workers`` threads, each with its own database connection."""
    pending = list(tryon_ids)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    tryon_id = pending.pop()
                execute_tryon(tryon_id)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
