#!/usr/bin/env python
"""Catalogue pregeneration throughput: N garments × M preset models at concurrency C.

Against the fake provider answering every call after L seconds, a perfect run takes
N × M × L / C seconds: C calls always in flight, none of our own overhead showing.
This script queues the previews exactly as ``tryon_pregenerate`` does
(``tryon.previews.queue_previews``), runs the jobs on worker processes that call the
task's body (``tryon.tasks.execute_tryon``) with ``MAX_CONCURRENT_CALLS = C``, and
prints the wall time of the run, the ideal, and last ``ratio: X`` (wall / ideal)::

    python bench/pregenerate.py --garments 100 --models 4 --latency 0.2 --concurrency 8

- Workers: ``--workers`` forked processes, as ``db_worker``/``rqworker`` deployments
  run them; default ⌈1.25 × C⌉: while C of them hold the provider slots, the others
  download and store results (about a fifth of a job's time at L = 0.2 s), so the slots
  do not sit idle, and no more than that, since the spare ones only compete for CPU.
  ``--mode threads`` runs them as threads of one process instead (the GIL then shows).
- The bound is checked, not assumed: the fake reports the most calls it had in flight.
- Database: a fresh SQLite file (WAL) unless ``--database-url`` names another (a
  PostgreSQL URL creates, and afterwards drops, a scratch database on that server).
- The fake provider runs in its own process: the real one is another machine, its image
  work must not take the workers' CPU. The pictures are small for the same reason.
- ``--repeat R`` runs R times (fresh jobs each time) and reports the median: the
  machines are shared, and a neighbour's build shows up in a single run.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_KEY = "bench-key"
# Small pictures: the bench measures how well the C provider slots are kept busy, not
# Pillow (both sides decode and re-encode every picture of every job).
GARMENT_SIZE = (128, 160)
MODEL_SIZE = (128, 192)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--garments", type=int, default=100, help="N (default 100)")
    parser.add_argument("--models", type=int, default=4, help="M preset models (default 4)")
    parser.add_argument("--latency", type=float, default=0.2, help="L seconds (default 0.2)")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="C = MAX_CONCURRENT_CALLS (default 8)"
    )
    parser.add_argument("--workers", type=int, default=None, help="default ceil(1.25 x C)")
    parser.add_argument("--mode", choices=["processes", "threads"], default="processes")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median is reported")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    return parser.parse_args(argv)


# -- the fake provider, in a process of its own ----------------------------------------------


def _serve_fake(latency: float, pipe: Any) -> None:
    from tryon.testing import FakeChangeClothesServer

    with FakeChangeClothesServer(api_key=API_KEY) as fake:
        fake.latency = latency
        pipe.send(fake.port)
        while pipe.recv() == "stats":
            calls = fake.calls()
            pipe.send((len(calls), _peak_in_flight(calls), _cpu_seconds()))
            fake.clear_requests()


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_in_flight(calls: list[Any]) -> int:
    """The most calls the fake was answering at once (the bound we promised)."""
    events = sorted(
        [(c.received_at, 1) for c in calls] + [(c.received_at + c.latency, -1) for c in calls]
    )
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


class FakeProcess:
    """``FakeChangeClothesServer`` in a spawned process, asked for its figures by pipe."""

    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve_fake, args=(latency, child), daemon=True)
        self._cpu = 0.0

    def __enter__(self) -> FakeProcess:
        self._process.start()
        if not self._pipe.poll(60):
            raise RuntimeError("the fake provider did not start")
        self.port = int(self._pipe.recv())
        return self

    def stats(self) -> tuple[int, int, float]:
        """Calls since the last look, the most at once, and the CPU seconds they took."""
        self._pipe.send("stats")
        calls, peak, cpu = self._pipe.recv()
        used, self._cpu = cpu - self._cpu, cpu
        return int(calls), int(peak), used

    def __exit__(self, *exc: object) -> None:
        try:
            self._pipe.send("stop")
        except OSError:
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()


# -- Django, configured here ----------------------------------------------------------------


def configure(database: dict[str, Any], media_root: str, fake_url: str, concurrency: int) -> None:
    from importlib.util import find_spec

    import django
    from django.conf import settings

    builtin_tasks = find_spec("django.tasks") is not None
    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            *([] if builtin_tasks else ["django_tasks"]),
            "tryon",
        ],
        DATABASES={"default": database},
        MEDIA_ROOT=media_root,
        MEDIA_URL="/media/",
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}},
        # Jobs are collected here and run by this script's workers.
        TASKS={
            "default": {
                "BACKEND": f"{'django.tasks' if builtin_tasks else 'django_tasks'}"
                ".backends.dummy.DummyBackend"
            }
        },
        TRYON={
            "API_KEY": API_KEY,
            "API_BASE_URL": fake_url,
            "RETRY_BACKOFF": 0,
            "TIMEOUT": 30,
            "MAX_CONCURRENT_CALLS": concurrency,
            "SHOPPER_RESERVED_CALLS": 0,  # no shoppers here: every slot for the run
            "DAILY_PAID_CALL_LIMIT": 10**9,
            "MIN_IMAGE_SIDE": 64,  # the small pictures
        },
        LOGGING_CONFIG=None,
    )
    django.setup()


def database_for(url: str, folder: str) -> tuple[dict[str, Any], Callable[[], None]]:
    """The DATABASES entry to use, and how to clean it up."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(folder, "bench.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }, (lambda: None)
    import dj_database_url
    import psycopg

    database = dj_database_url.parse(url)
    if "postgresql" not in database["ENGINE"]:
        return database, (lambda: None)
    name = f"tryon_bench_{os.getpid()}"
    params = {
        "dbname": database.get("NAME") or "postgres",
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
    }
    params = {key: value for key, value in params.items() if value}
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return {**database, "NAME": name}, drop


# -- the catalogue and the runs ------------------------------------------------------------


def make_catalogue(garments: int, models: int) -> tuple[list[Any], list[Any]]:
    """Distinct pictures: identical ones would share one result and one call."""
    from django.core.files.base import ContentFile

    from tests import images
    from tryon.models import Garment, ModelPhoto

    made_garments = []
    for i in range(garments):
        colour = (40 + (i * 37) % 200, 30 + (i * 91) % 200, 20 + (i * 53) % 200)
        garment = Garment(name=f"Garment {i:04d}")
        content = images.garment_photo(color=colour, width=GARMENT_SIZE[0], height=GARMENT_SIZE[1])
        garment.image.save("g.jpg", ContentFile(content), save=False)
        garment.save()
        made_garments.append(garment)
    made_models = []
    for j in range(models):
        photo = ModelPhoto(name=f"Model {j}", is_preset=True)
        content = images.person_photo(MODEL_SIZE[0] + 4 * j, MODEL_SIZE[1])
        photo.image.save("m.jpg", ContentFile(content), save=False)
        photo.save()
        made_models.append(photo)
    return made_garments, made_models


def run_workers(tryon_ids: list[str], workers: int, mode: str) -> tuple[float, Counter[str], float]:
    """Run every job on ``workers`` processes (or threads): wall time, statuses, CPU."""
    if mode == "threads":
        return _run_threads(tryon_ids, workers)
    return _run_processes(tryon_ids, workers)


def _run_processes(tryon_ids: list[str], workers: int) -> tuple[float, Counter[str], float]:
    """Forked processes taking the next job from a shared counter once told to go.

    Forked after Django is set up and the connection closed: each opens its own, as a
    running worker already has, before the clock starts.
    """
    context = multiprocessing.get_context("fork")
    next_index = context.Value("i", 0)
    ready = context.Semaphore(0)
    go = context.Event()
    results = context.Queue()

    def worker() -> None:
        from django.db import connection

        from tryon.tasks import execute_tryon

        outcomes: Counter[str] = Counter()
        connection.ensure_connection()
        cpu_at_start = _cpu_seconds()
        ready.release()
        go.wait()
        while True:
            with next_index.get_lock():
                index = next_index.value
                next_index.value += 1
            if index >= len(tryon_ids):
                break
            outcomes[str(execute_tryon(tryon_ids[index]))] += 1
        cpu = _cpu_seconds() - cpu_at_start
        connection.close()
        results.put((dict(outcomes), cpu))

    _warm_up()
    processes = [context.Process(target=worker, name=f"worker-{n}") for n in range(workers)]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    totals: Counter[str] = Counter()
    cpu = 0.0
    for _ in processes:
        outcomes, used = results.get(timeout=600)
        totals.update(outcomes)
        cpu += used
    wall = time.perf_counter() - started
    for process in processes:
        process.join(timeout=30)
    return wall, totals, cpu


def _warm_up() -> None:
    """Import and build, before forking, what a long-running worker already has.

    A worker pays for these (httpx, the CA bundle, Pillow's plugins) once over thousands
    of jobs; forked children would otherwise each pay again inside the measured run.
    """
    from django.db import connection

    from tests import images
    from tryon.backends import get_backend
    from tryon.images import normalize_image, probe_image

    getattr(get_backend(), "client", None)  # the HTTP client and its SSL context
    probe_image(images.webp_bytes())
    normalize_image(images.person_photo(*MODEL_SIZE), min_side=64)
    connection.close()


def _run_threads(tryon_ids: list[str], workers: int) -> tuple[float, Counter[str], float]:
    from django.db import connection

    from tryon.tasks import execute_tryon

    pending = list(reversed(tryon_ids))
    lock = threading.Lock()
    outcomes: Counter[str] = Counter()

    def worker() -> None:
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    tryon_id = pending.pop()
                status = execute_tryon(tryon_id)
                with lock:
                    outcomes[str(status)] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in range(workers)]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, outcomes, _cpu_seconds() - cpu_before


def queue_all(garments: list[Any], models: list[Any]) -> tuple[list[str], float]:
    """Queue the previews as ``tryon_pregenerate`` does; the job ids and the time it took."""
    from django.db import connection

    from tryon import previews
    from tryon.compat import task_backends

    backend = task_backends["default"]
    backend.clear()
    started = time.perf_counter()
    report = previews.queue_previews(garments, models)
    queued_in = time.perf_counter() - started
    tryon_ids = [str(result.args[0]) for result in backend.results]
    backend.clear()
    assert report.queued == len(tryon_ids) == len(garments) * len(models), report.summary()
    connection.close()  # the workers open their own
    return tryon_ids, queued_in


def forget_results(media_root: str) -> None:
    """Back to a catalogue with no previews, so the next run does the same work."""
    from tryon.models import GenerationClaim, TryOn

    TryOn.objects.all().delete()
    GenerationClaim.objects.all().delete()
    shutil.rmtree(os.path.join(media_root, "tryon", "results"), ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="tryon-bench-") as folder,
        FakeProcess(args.latency) as fake,
    ):
        database, cleanup = database_for(args.database_url, folder)
        media_root = os.path.join(folder, "media")
        configure(database, media_root, f"http://127.0.0.1:{fake.port}", args.concurrency)
        try:
            return _bench(args, fake, media_root)
        finally:
            cleanup()


def _bench(args: argparse.Namespace, fake: FakeProcess, media_root: str) -> int:
    from django.core.management import call_command
    from django.db import connection

    from tryon.models import TryOn

    call_command("migrate", verbosity=0)
    garments, models = make_catalogue(args.garments, args.models)
    workers = args.workers or math.ceil(1.25 * args.concurrency)
    jobs = args.garments * args.models
    ideal = jobs * args.latency / args.concurrency
    print(
        f"jobs: {jobs} ({args.garments} garments x {args.models} preset models), latency "
        f"{args.latency:g} s, concurrency {args.concurrency} (MAX_CONCURRENT_CALLS), "
        f"{workers} worker {args.mode}, database {connection.vendor}, "
        f"{os.cpu_count()} CPUs"
    )
    walls: list[float] = []
    ok = True
    for run in range(1, args.repeat + 1):
        if run > 1:
            forget_results(media_root)
        tryon_ids, queued_in = queue_all(garments, models)
        load = os.getloadavg()[0]
        wall, outcomes, worker_cpu = run_workers(tryon_ids, workers, args.mode)
        calls, peak, fake_cpu = fake.stats()
        succeeded = TryOn.objects.succeeded().count()
        walls.append(wall)
        print(
            f"run {run}: wall {wall:.2f} s, ratio {wall / ideal:.3f}, "
            f"{jobs / wall:.1f} jobs/s, in flight at most {peak}, {calls} provider calls, "
            f"{succeeded} succeeded; queued in {queued_in:.2f} s; CPU per job: workers "
            f"{1000 * worker_cpu / jobs:.1f} ms, fake provider {1000 * fake_cpu / jobs:.1f} ms; "
            f"load before {load:.2f}"
        )
        ok = ok and outcomes["succeeded"] == succeeded == calls == jobs
        ok = ok and peak <= args.concurrency
    wall = statistics.median(walls)
    print(f"wall: {wall:.2f} s" + (f" (median of {len(walls)} runs)" if len(walls) > 1 else ""))
    print(f"ideal: {ideal:.2f} s (N x M x L / C)")
    print(f"ratio: {wall / ideal:.3f}" if ideal else "ratio: n/a (latency 0)")
    if not ok:
        print("FAILED: a job did not succeed, a call was missing or repeated, or the bound broke")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
