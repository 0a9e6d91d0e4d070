"""Chaos: real ``db_worker``s SIGKILLed at random and cut off from PostgreSQL mid-job.

An operator's bad day, bounded to about two minutes: four workers over 120 rows (100
distinct garment x model pairs, 20 duplicates of them), the fake provider failing
with 500, 20001 and 10005, hanging past the timeout and dropping connections; every
few seconds a worker SIGKILLed (and replaced, as a supervisor would), some of them
right after their request reached the provider; every few seconds the connections of
a worker busy with a job terminated (``pg_terminate_backend``); ``tryon_recover`` run
every two seconds. Then a calm phase, recovery only, until every row is finished.

What must hold afterwards (issue 14):

- every row finished;
- per pair, every provider call but the last was answered with a transient code:
  never a second paid attempt after a crash;
- what the rows count (``provider_calls``) is what the day's ledger (``DailyUsage``)
  counts, and what the provider received, except a request recorded and then killed
  before it left (the row then says "may have charged": never under-counted);
- no failed row holds a result; a pair the provider answered succeeded, unless its
  worker died in the instant between the answer and recording it (then it is 90003);
- no worker died of a lost connection: every dead worker is one the test killed;
- every stored result file is referenced by a row.

The numbers of a run are printed (``-s``) and quoted in docs/operations.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from tests import images
from tests.conftest import API_KEY, tryon_settings_for
from tests.test_workers import ROOT, distinct_garments, manage, worker_env
from tryon import previews, services
from tryon.exceptions import UNANSWERED_REQUEST_CODE
from tryon.fingerprint import prepared_image
from tryon.models import DailyUsage, GenerationClaim, ModelPhoto, TryOn, TryOnStatus
from tryon.testing import FakeChangeClothesServer

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
        reason="needs DATABASE_URL pointing at PostgreSQL",
    ),
]

WORKERS = 4
GARMENTS, MODELS, DUPLICATES = 50, 2, 20
CHAOS_SECONDS = 60  # then calm: recovery only
CALM_SECONDS = 60
TIMEOUT = 2.0
LATENCY = 0.4
SETTINGS = {
    "TIMEOUT": TIMEOUT,
    "MAX_RETRIES": 2,
    "RETRY_BACKOFF": 0,
    "MAX_CONCURRENT_CALLS": 4,
    "SHOPPER_RESERVED_CALLS": 1,
    # In the order the tryon.E011 check wants: a running job is presumed dead only after
    # it could have waited for a slot and held it to the end.
    "PROVIDER_SLOT_WAIT": 6,
    "PROVIDER_SLOT_LEASE": 8,
    "STALE_RUNNING_AFTER": 10,
    "DAILY_PAID_CALL_LIMIT": None,
}
# Per request: (share, fault); the rest is answered normally.
FAULTS = [(0.10, "500"), (0.06, "20001"), (0.02, "10005"), (0.03, "hang"), (0.03, "drop")]
KILL_AFTER_REQUEST = 0.10  # share of requests whose worker dies right after it arrives
TRANSIENT_CODES = {500, 20001}


@dataclass
class Stats:
    kills_after_request: int = 0
    random_kills: int = 0
    horse_kills: int = 0  # RQ: the work-horse alone (its worker goes on)
    connections_cut: int = 0
    workers_cut: set[str] = field(default_factory=set)
    recoveries: int = 0
    unexpected_deaths: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    def horse(self) -> int | None:
        """RQ: the pid of the work-horse running this worker's job, if any."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            children = path.read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None


@dataclass(frozen=True)
class Kind:
    """A worker kind: how to start one, and where a task records who runs it."""

    name: str  # "db" or "rq"
    queue: str = ""

    def command(self, worker: str) -> list[str]:
        if self.name == "db":
            command = manage("db_worker", "--interval", "0.05", "--no-startup-delay")
            return [*command, "--worker-id", worker, "--verbosity", "0"]
        return manage(
            "rqworker", self.queue, "--job-class", "django_tasks_rq.Job", "--name", worker
        )

    def worker_of(self, tryon_ids: set[str]) -> list[str]:
        """The names of the workers running the tasks of these rows."""
        if self.name == "db":
            from django_tasks_db.models import DBTaskResult

            tasks = DBTaskResult.objects.filter(status="RUNNING")
            return [
                worker_ids[-1]
                for args_kwargs, worker_ids in tasks.values_list("args_kwargs", "worker_ids")
                if worker_ids and str((args_kwargs["args"] or [None])[0]) in tryon_ids
            ]
        import django_rq
        from rq.job import Job

        task_ids = TryOn.objects.filter(pk__in=tryon_ids).values_list("task_id", flat=True)
        jobs = Job.fetch_many(list(task_ids), connection=django_rq.get_connection(self.queue))
        return [job.worker_name for job in jobs if job is not None and job.worker_name]


class Fleet:
    """The workers, kept at ``WORKERS`` as a supervisor would: a dead one is replaced."""

    def __init__(self, kind: Kind, env: dict[str, str], logs: Path, stats: Stats) -> None:
        self.kind, self.env, self.logs, self.stats = kind, env, logs, stats
        self.workers: dict[str, Worker] = {}
        self.started = 0
        self.run_id = uuid.uuid4().hex[:6]  # RQ remembers the names of killed workers
        for _ in range(WORKERS):
            self.start()

    def start(self) -> Worker:
        self.started += 1
        name = f"chaos-{self.kind.name}-{self.run_id}-{self.started}"
        log = self.logs / f"{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                self.kind.command(name),
                cwd=ROOT,
                env={**self.env, "TRYON_WORKER_NAME": name},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(name, process, log)
        self.workers[name] = worker
        return worker

    def alive(self) -> list[Worker]:
        return [w for w in self.workers.values() if w.process.poll() is None]

    def kill(self, worker: Worker, *, horse_only: bool = False) -> None:
        """SIGKILL the worker (and its work-horse, a lost machine), or only its horse."""
        horse = worker.horse() if self.kind.name == "rq" else None
        if horse is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(horse, signal.SIGKILL)
            if horse_only:
                self.stats.horse_kills += 1
                return
        worker.killed = True
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
        self.start()

    def replace_the_dead(self) -> None:
        for worker in list(self.workers.values()):
            if worker.process.poll() is not None and not worker.killed:
                worker.killed = True  # counted once
                self.stats.unexpected_deaths.append(
                    f"{worker.name} exited {worker.process.returncode}:\n"
                    + worker.log.read_text(errors="replace")[-3000:]
                )
                self.start()

    def stop(self) -> None:
        for worker in self.workers.values():
            if worker.process.poll() is None:
                horse = worker.horse()
                worker.process.kill()
                worker.process.wait()
                if horse is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(horse, signal.SIGKILL)


class ChaosProvider:
    """Wraps the fake: each API request may get a fault, and may doom its worker."""

    def __init__(self, fake: FakeChangeClothesServer, rng: random.Random, stats: Stats) -> None:
        self.fake, self.rng, self.stats = fake, rng, stats
        self.lock = threading.Lock()
        self.armed = True
        self.doomed: list[tuple[float, tuple[str, str]]] = []  # (when, pair hashes)
        original = fake._handle_api

        def handle(request: Any, content_type: str) -> Any:
            self.arrived(request)
            return original(request, content_type)

        fake._handle_api = handle  # type: ignore[method-assign]

    def arrived(self, request: Any) -> None:
        with self.lock:
            roll, kill, delay = self.rng.random(), self.rng.random(), self.rng.uniform(0.02, 0.3)
            armed = self.armed
        fault = _pick(roll)
        if fault is not None and armed:
            self.stats.faults[fault] += 1
            if fault == "hang":
                self.fake.hang_next(TIMEOUT + 0.5)
            elif fault == "drop":
                self.fake.drop_connection_next()
            else:
                self.fake.fail_next(int(fault))
        if armed and kill < KILL_AFTER_REQUEST:
            with self.lock:
                self.doomed.append((time.monotonic() + delay, pair_hashes(request)))

    def due(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        with self.lock:
            ready = [pair for when, pair in self.doomed if when <= now]
            self.doomed = [(when, pair) for when, pair in self.doomed if when > now]
        return ready


def _pick(roll: float) -> str | None:
    for share, fault in FAULTS:
        if roll < share:
            return fault
        roll -= share
    return None


def pair_hashes(request: Any) -> tuple[str, str]:
    return (
        hashlib.sha256(request.files["garmentImg"].content).hexdigest(),
        hashlib.sha256(request.files["modelImg"].content).hexdigest(),
    )


def worker_running(pair: tuple[int, Any], fleet: Fleet) -> Worker | None:
    """The live worker whose job is running this pair's row, from its task's record."""
    running = TryOn.objects.filter(
        garment_id=pair[0], model_photo_id=pair[1], status=TryOnStatus.RUNNING
    ).values_list("pk", flat=True)
    for name in fleet.kind.worker_of({str(pk) for pk in running}):
        worker = fleet.workers.get(name)
        if worker is not None and worker.process.poll() is None:
            return worker
    return None


def cut_connections(worker: Worker) -> int:
    """Terminate the worker's connections idle for a moment: it is waiting on the provider."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s"
            " AND state = 'idle' AND now() - state_change > interval '0.15 second'",
            [worker.name],
        )
        return len(cursor.fetchall())


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_database(transactional_db: Any) -> dict[str, Any]:
    keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
    return {key: connection.settings_dict[key] for key in keys}


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key=API_KEY) as server:
        server.latency = LATENCY
        yield server


def test_chaos_db_workers(pg_database: dict[str, Any], fake: FakeChangeClothesServer, tmp_path):
    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run(Kind("db"), pg_database, fake, tmp_path, tasks=tasks)


@pytest.mark.redis
@pytest.mark.skipif(not _redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_chaos_rq_workers(pg_database: dict[str, Any], fake: FakeChangeClothesServer, tmp_path):
    import django_rq

    queue = f"tryon-chaos-{uuid.uuid4().hex[:8]}"
    # "default" too, as docs/workers.md asks: django-tasks-rq's get_result looks jobs up
    # through it, and recovery asks it about tasks that were taken and lost.
    rq_queues = {name: {"HOST": "127.0.0.1", "PORT": 6379, "DB": 0} for name in (queue, "default")}
    # "default" too: tryon.tasks.run_tryon is declared on it.
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue, "default"]}}
    with override_settings(RQ_QUEUES=rq_queues):
        try:
            run(
                Kind("rq", queue),
                pg_database,
                fake,
                tmp_path,
                tasks=tasks,
                queue_name=queue,
                TRYON_WORKER_RQ_QUEUES=json.dumps(rq_queues),
            )
        finally:
            django_rq.get_queue(queue).delete(delete_jobs=True)


def run(
    kind: Kind,
    pg_database: dict[str, Any],
    fake: FakeChangeClothesServer,
    tmp_path: Path,
    *,
    tasks: dict[str, Any],
    queue_name: str = "default",
    **env: str,
) -> None:
    rng = random.Random(int(os.environ.get("TRYON_CHAOS_SEED", "14")))
    stats = Stats()
    tryon = tryon_settings_for(fake, QUEUE_NAME=queue_name, **SETTINGS)
    with override_settings(TRYON=tryon, TASKS=tasks):
        garments = distinct_garments(GARMENTS)
        models = [distinct_model(n) for n in range(MODELS)]
        pairs_by_hash = {
            (image_sha(g), image_sha(m)): (g.pk, m.pk) for g in garments for m in models
        }
        assert len(pairs_by_hash) == GARMENTS * MODELS  # distinct pictures
        report = previews.queue_previews(garments, models)
        assert report.queued == GARMENTS * MODELS
        for _ in range(DUPLICATES):  # shoppers asking for pictures being made
            services.request_tryon(garment=rng.choice(garments), model_photo=rng.choice(models))

        provider = ChaosProvider(fake, rng, stats)
        logs = Path(os.environ.get("TRYON_CHAOS_LOGS", tmp_path)) / kind.name
        logs.mkdir(parents=True, exist_ok=True)
        tasks_kind = "rq" if kind.name == "rq" else "db"
        fleet = Fleet(kind, worker_env(pg_database, tryon, tasks=tasks_kind, **env), logs, stats)
        began = time.monotonic()
        try:
            run_chaos(fleet, provider, pairs_by_hash, stats, rng, began)
            assert not stats.unexpected_deaths, stats.unexpected_deaths[0]
            alive = len(fleet.alive())
        finally:
            fleet.stop()
        elapsed = time.monotonic() - began
        check_outcome(kind, fake, pairs_by_hash, stats, alive, elapsed)


def run_chaos(
    fleet: Fleet,
    provider: ChaosProvider,
    pairs_by_hash: dict[tuple[str, str], tuple[int, Any]],
    stats: Stats,
    rng: random.Random,
    began: float,
) -> None:
    next_kill = began + rng.uniform(3, 6)
    next_cut = began + rng.uniform(2, 4)
    next_recovery = began + 2
    while True:
        now = time.monotonic()
        chaos = now - began < CHAOS_SECONDS
        if not chaos and provider.armed:
            with provider.lock:
                provider.armed = False
        fleet.replace_the_dead()
        if chaos:
            for pair in provider.due():
                doomed = worker_running(pairs_by_hash[pair], fleet)
                if doomed is not None:
                    # RQ: the work-horse alone, half the time (its worker notices and goes on).
                    fleet.kill(doomed, horse_only=rng.random() < 0.5)
                    stats.kills_after_request += 1
            if now >= next_kill:
                fleet.kill(rng.choice(fleet.alive()), horse_only=rng.random() < 0.5)
                stats.random_kills += 1
                next_kill = now + rng.uniform(3, 6)
            if now >= next_cut:
                for worker in fleet.alive():
                    cut = cut_connections(worker)
                    stats.connections_cut += cut
                    if cut:
                        stats.workers_cut.add(worker.name)
                next_cut = now + rng.uniform(2, 4)
        if now >= next_recovery:
            call_command("tryon_recover", stdout=io.StringIO())
            stats.recoveries += 1
            next_recovery = now + 2
            if not TryOn.objects.unfinished().exists():
                return
        if now - began > CHAOS_SECONDS + CALM_SECONDS:
            return  # check_outcome says what is left
        time.sleep(0.01)


def check_outcome(
    kind: Kind,
    fake: FakeChangeClothesServer,
    pairs_by_hash: dict[tuple[str, str], tuple[int, Any]],
    stats: Stats,
    alive: int,
    elapsed: float,
) -> None:
    rows = list(TryOn.objects.all())
    unfinished = [unfinished_story(r) for r in rows if not r.is_finished]
    assert not unfinished, unfinished

    calls_by_pair: dict[tuple[int, Any], list[Any]] = defaultdict(list)
    for call in sorted(fake.calls(), key=lambda c: c.received_at):
        calls_by_pair[pairs_by_hash[pair_hashes(call)]].append(call)
    rows_by_pair: dict[tuple[int, Any], list[TryOn]] = defaultdict(list)
    for row in rows:
        rows_by_pair[(row.garment_id, row.model_photo_id)].append(row)

    # Never a second paid attempt after a crash: only a transient answer is followed
    # by another call for the same picture.
    paid_twice = {
        pair: describe(calls, rows_by_pair[pair])
        for pair, calls in calls_by_pair.items()
        if any(c.code not in TRANSIENT_CODES for c in calls[:-1])
    }
    assert not paid_twice, "\n\n".join(paid_twice.values())

    counted = sum(r.provider_calls for r in rows)
    ledger = DailyUsage.objects.aggregate(total=Sum("paid_calls"))["total"] or 0
    assert counted == ledger
    # Recorded, then the worker died before the request left: counted, never sent, and
    # the row failed "may have charged". Never the other way round.
    unsent = {}
    for pair, pair_rows in rows_by_pair.items():
        extra = sum(r.provider_calls for r in pair_rows) - len(calls_by_pair.get(pair, []))
        if extra:
            unsent[pair] = extra
            assert extra == 1, describe(calls_by_pair.get(pair, []), pair_rows)
            assert any(r.error_code == UNANSWERED_REQUEST_CODE for r in pair_rows), describe(
                calls_by_pair.get(pair, []), pair_rows
            )
    assert fake.call_count == counted - len(unsent)

    assert not [r.pk for r in rows if r.status == TryOnStatus.FAILED and r.result_image]
    assert not [r.error_message for r in rows if r.error_message.startswith("Internal error")]
    answered = {
        pair
        for pair, calls in calls_by_pair.items()
        if calls and calls[-1].code == 200 and calls[-1].latency < TIMEOUT
    }
    lost_answers = 0
    for pair in answered:
        for row in rows_by_pair[pair]:
            if row.status != TryOnStatus.SUCCEEDED:
                assert row.error_code == UNANSWERED_REQUEST_CODE, (
                    row.error_code,
                    row.error_message,
                )
                lost_answers += 1
    succeeded = [r for r in rows if r.status == TryOnStatus.SUCCEEDED]
    for row in succeeded:
        assert row.result_image.storage.exists(row.result_image.name)
    assert not GenerationClaim.objects.exists()

    results = Path(settings.MEDIA_ROOT) / "tryon" / "results"
    stored = {str(p.relative_to(settings.MEDIA_ROOT)) for p in results.rglob("*") if p.is_file()}
    used = {r.result_image.name for r in rows} | {r.mask_image.name for r in rows}
    assert stored <= used, sorted(stored - used)[:5]

    assert alive == WORKERS
    codes = Counter(r.error_code for r in rows if r.status == TryOnStatus.FAILED)
    print(
        f"\nchaos ({kind.name}): {len(rows)} rows, {len(calls_by_pair)} pairs called, "
        f"{elapsed:.0f} s; kills {stats.kills_after_request} right after a request + "
        f"{stats.random_kills} at random ({stats.horse_kills} of them work-horses only); "
        f"{stats.connections_cut} connections cut on "
        f"{len(stats.workers_cut)} workers, 0 workers lost to it; {stats.recoveries} "
        f"recoveries; faults {dict(stats.faults)}; provider calls {fake.call_count} = "
        f"rows {counted} = ledger {ledger} - {len(unsent)} killed before sending; "
        f"paid twice 0; succeeded {len(succeeded)}, failed {dict(codes)}; "
        f"charged, unrecorded (killed while the request was out) {lost_answers}; orphan files 0"
    )


def unfinished_story(row: TryOn) -> str:
    """Why a row may still be unfinished, for a failure message."""
    from tryon.compat import task_backends

    try:
        task = task_backends["default"].get_result(row.task_id)
        seen = f"task {task.status} started {task.started_at} finished {task.finished_at}"
    except Exception as exc:
        seen = f"task: {exc!r}"
        try:
            import redis
            from rq.job import Job

            job = Job.fetch(row.task_id, connection=redis.Redis())
            seen += (
                f" rq: origin={job.origin} status={job.get_status()} worker={job.worker_name}"
                f" exc={(job.exc_info or '')[-300:]!r}"
            )
        except Exception as rq_exc:
            seen += f" rq: {rq_exc!r}"
    claim = GenerationClaim.objects.filter(fingerprint=row.fingerprint).first()
    holder = TryOn.objects.filter(pk=claim.tryon_id).first() if claim else None
    return (
        f"{row.pk} {row.status} started={row.started_at} picked={row.picked_at} "
        f"queued={row.queued_at} now={timezone.now()} {seen}; claim by "
        f"{holder and (holder.pk, holder.status, holder.request_sent_at)}"
    )


def describe(calls: list[Any], rows: list[TryOn]) -> str:
    """A pair's story, for a failure message."""
    lines = [f"call at {c.received_at:.2f}: code {c.code} after {c.latency:.2f} s" for c in calls]
    lines += [
        f"row {r.pk} {r.source}: {r.status} calls={r.provider_calls} code={r.error_code} "
        f"{r.error_message[:80]!r} reused_from={r.reused_from_id} task={r.task_id}"
        for r in rows
    ]
    return "\n".join(lines)


def distinct_model(n: int) -> ModelPhoto:
    """A preset model whose photo differs from the others' (a different picture to make)."""
    photo = ModelPhoto(name=f"Model {n}", is_preset=True)
    content = images.person_photo(256 + 8 * n, 384 + 12 * n)
    photo.image.save("p.jpg", ContentFile(content), save=False)
    photo.save()
    return photo


def image_sha(obj: Any) -> str:
    return hashlib.sha256(prepared_image(obj)).hexdigest()
