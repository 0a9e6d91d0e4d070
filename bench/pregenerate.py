#!/usr/bin/env python
"""Catalogue pregeneration throughput: N garments × M preset models at concurrency C.

Against the fake provider answering every call after L seconds, a perfect run takes
N × M × L / C seconds: C calls always in flight, none of our own overhead showing.
This script queues the previews exactly as ``tryon_pregenerate`` does
(``tryon.previews.queue_previews``), runs the jobs with C worker threads calling
``tryon.jobs.execute_tryon`` (the task's body) with ``MAX_CONCURRENT_CALLS = C``, and
prints the wall time of the run, the ideal, and last ``ratio: X`` (wall / ideal).

    python bench/pregenerate.py --garments 100 --models 4 --latency 0.2 --concurrency 8

The database is a fresh SQLite file (WAL) unless ``--database-url`` names another
one (a PostgreSQL URL creates, and afterwards drops, a scratch database on it). The
fake provider runs in its own process, as the real one is on another machine: its
image rendering must not eat the workers' CPU.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_KEY = "bench-key"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--garments", type=int, default=100, help="N (default 100)")
    parser.add_argument("--models", type=int, default=4, help="M preset models (default 4)")
    parser.add_argument("--latency", type=float, default=0.2, help="L seconds (default 0.2)")
    parser.add_argument("--concurrency", type=int, default=8, help="C (default 8)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker threads (default 2 x C: while some hold the C provider slots, the "
        "others download and store results, so the slots never sit idle)",
    )
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--slot-reserve", type=int, default=0,
                        help="SHOPPER_RESERVED_CALLS (default 0: all C slots for the run)")
    return parser.parse_args(argv)


# -- the fake provider, in a process of its own ----------------------------------------------


def _serve_fake(latency: float, port_out: Any, stop: Any) -> None:
    from tryon.testing import FakeChangeClothesServer

    with FakeChangeClothesServer(api_key=API_KEY) as fake:
        fake.latency = latency
        port_out.put(fake.port)
        stop.wait()
        calls = fake.calls()
        port_out.put((len(calls), _peak_in_flight(calls)))


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
    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve_fake, args=(latency, self._queue, self._stop), daemon=True
        )

    def __enter__(self) -> FakeProcess:
        self._process.start()
        self.port = int(self._queue.get(timeout=30))
        return self

    def stop(self) -> tuple[int, int]:
        """Stop the server; the API calls it answered, and the most at once."""
        self._stop.set()
        calls, peak = self._queue.get(timeout=30)
        self._process.join(timeout=10)
        return int(calls), int(peak)

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._process.terminate()


# -- Django, configured here ----------------------------------------------------------------


def configure(database: dict[str, Any], media_root: str, fake_url: str, args: argparse.Namespace) -> None:
    import django
    from django.conf import settings

    tasks_app = [] if _has_django_tasks() else ["django_tasks"]
    tasks_pkg = "django.tasks" if _has_django_tasks() else "django_tasks"
    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            *tasks_app,
            "tryon",
        ],
        DATABASES={"default": database},
        MEDIA_ROOT=media_root,
        MEDIA_URL="/media/",
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}},
        # Jobs are collected here and run by this script's worker threads.
        TASKS={"default": {"BACKEND": f"{tasks_pkg}.backends.dummy.DummyBackend"}},
        TRYON={
            "API_KEY": API_KEY,
            "API_BASE_URL": fake_url,
            "RETRY_BACKOFF": 0,
            "TIMEOUT": 30,
            "MAX_CONCURRENT_CALLS": args.concurrency,
            "SHOPPER_RESERVED_CALLS": args.slot_reserve,
            "DAILY_PAID_CALL_LIMIT": 10**9,  # None would mean "the default" here
        },
        LOGGING_CONFIG=None,
    )
    django.setup()


def _has_django_tasks() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("django.tasks") is not None
    except ModuleNotFoundError:
        return False


def database_for(url: str, folder: str) -> tuple[dict[str, Any], Any]:
    """The DATABASES entry to use, and a cleanup callable."""
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
    admin = dict(database, NAME=database["NAME"] or "postgres")
    dsn = {"dbname": admin["NAME"], "user": admin.get("USER") or None, "host": admin.get("HOST") or None,
           "port": admin.get("PORT") or None, "password": admin.get("PASSWORD") or None}
    with psycopg.connect(**{k: v for k, v in dsn.items() if v}, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(**{k: v for k, v in dsn.items() if v}, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return dict(database, NAME=name), drop


# -- the catalogue ---------------------------------------------------------------------------


def make_catalogue(garments: int, models: int) -> tuple[list[Any], list[Any]]:
    """Small generated pictures, each distinct (identical pictures would share a result)."""
    from django.core.files.base import ContentFile

    from tests import images
    from tryon.models import Garment, ModelPhoto

    made_garments = []
    for i in range(garments):
        colour = (40 + (i * 37) % 200, 30 + (i * 91) % 200, 20 + (i * 53) % 200)
        garment = Garment(name=f"Garment {i:04d}")
        content = images.garment_photo(color=colour, width=256, height=320)
        garment.image.save("g.jpg", ContentFile(content), save=False)
        garment.save()
        made_garments.append(garment)
    made_models = []
    for j in range(models):
        photo = ModelPhoto(name=f"Model {j}", is_preset=True)
        content = images.person_photo(256 + 8 * j, 384)
        photo.image.save("m.jpg", ContentFile(content), save=False)
        photo.save()
        made_models.append(photo)
    return made_garments, made_models


def run_workers(tryon_ids: list[str], concurrency: int) -> tuple[float, dict[str, int]]:
    """Run every job on ``concurrency`` threads; the wall time and statuses."""
    from collections import Counter

    from django.db import connection

    from tryon.jobs import execute_tryon

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
                    outcomes[status] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, dict(outcomes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tryon-bench-") as folder, FakeProcess(
        args.latency
    ) as fake:
        database, cleanup = database_for(args.database_url, folder)
        configure(database, os.path.join(folder, "media"), f"http://127.0.0.1:{fake.port}", args)
        try:
            return _bench(args, fake)
        finally:
            cleanup()


def _bench(args: argparse.Namespace, fake: FakeProcess) -> int:
    from django.core.management import call_command
    from django.db import connection

    from tryon import previews
    from tryon.compat import task_backends
    from tryon.models import TryOn

    call_command("migrate", verbosity=0)
    garments, models = make_catalogue(args.garments, args.models)

    started = time.perf_counter()
    report = previews.queue_previews(garments, models)
    queued_in = time.perf_counter() - started
    backend = task_backends["default"]
    tryon_ids = [str(result.args[0]) for result in backend.results]
    backend.clear()
    connection.close()  # the threads open their own

    workers = args.workers or 2 * args.concurrency
    wall, outcomes = run_workers(tryon_ids, workers)
    calls, peak = fake.stop()
    jobs = len(tryon_ids)
    ideal = jobs * args.latency / args.concurrency
    print(f"jobs: {jobs} ({args.garments} garments x {args.models} models), "
          f"latency {args.latency:g} s, concurrency {args.concurrency} "
          f"(MAX_CONCURRENT_CALLS), {workers} worker threads, database {connection.vendor}")
    print(f"provider calls in flight: at most {peak} (bound {args.concurrency})")
    print(f"queued in: {queued_in:.2f} s ({report.summary()})")
    print(f"outcomes: {outcomes}, provider calls: {calls}, "
          f"succeeded rows: {TryOn.objects.succeeded().count()}")
    print(f"throughput: {jobs / wall:.1f} jobs/s")
    print(f"wall: {wall:.2f} s")
    print(f"ideal: {ideal:.2f} s")
    print(f"ratio: {wall / ideal:.3f}" if ideal else "ratio: n/a (latency 0)")
    ok = outcomes.get("succeeded", 0) == jobs == calls and peak <= args.concurrency
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
