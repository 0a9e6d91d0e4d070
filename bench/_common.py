"""What the benchmarks share: Django set-up, the fake provider in its own process, a
worker (threads of this process, or a process of its own), and the statistics.

Import this module first: it puts the repository root on ``sys.path`` so that ``tryon``,
``tests`` and ``bench`` import when a script is run as ``python bench/<name>.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import statistics
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from django.db import connection  # noqa: E402  (needs no configured settings)

try:  # Django >= 6.0
    from django.tasks.backends.dummy import DummyBackend
except ImportError:  # Django 5.2 with the django-tasks backport
    from django_tasks.backends.dummy import DummyBackend  # type: ignore[no-redef]

API_KEY = "bench-key"


# -- Django --------------------------------------------------------------------------------


def setup_django(api_base_url: str | None = None, *, migrate: bool = True) -> None:
    """Configure Django from ``bench.settings`` and (unless told not to) create the tables."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if api_base_url:
        os.environ["TRYON_API_BASE_URL"] = api_base_url
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)


# -- the fake provider, in a process of its own ---------------------------------------------


def _serve_fake(latency: float, out: Any, stop: Any) -> None:
    sys.path.insert(0, str(ROOT))
    from tryon.testing import FakeChangeClothesServer

    with FakeChangeClothesServer(api_key=API_KEY) as fake:
        fake.latency = latency
        out.put(fake.port)
        stop.wait()
        out.put(fake.call_count)


class FakeProvider:
    """``FakeChangeClothesServer`` in a spawned process: the provider is another machine,
    so its image decoding and rendering must not take the measured process's CPU or GIL.
    """

    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._out = context.Queue()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve_fake, args=(latency, self._out, self._stop), daemon=True
        )
        self.port = 0
        self.calls = -1

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeProvider:
        self._process.start()
        self.port = int(self._out.get(timeout=60))
        return self

    def stop(self) -> int:
        """Stop the server; the paid API calls it answered."""
        if self.calls < 0:
            self._stop.set()
            self.calls = int(self._out.get(timeout=30))
            self._process.join(timeout=10)
        return self.calls

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)


# -- workers ---------------------------------------------------------------------------------

# Where QueueBackend puts jobs: a thread queue, or a process queue for a WorkerProcess.
_jobs: Any = queue.Queue()


class QueueBackend(DummyBackend):
    """Task backend: each enqueued job goes onto the benchmark's job queue, as
    ``(task path, args, kwargs)`` (picklable, like any real queue's message)."""

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        result = super().enqueue(task, args, kwargs)
        self.results.clear()  # the job queue holds it
        _jobs.put((task.module_path, list(args), dict(kwargs)))
        return result


def _run_jobs(jobs: Any, errors: list[str]) -> None:
    """Run jobs from ``jobs`` until a None arrives (``run_tryon``'s body, as a worker does)."""
    from django.utils.module_loading import import_string

    try:
        while (job := jobs.get()) is not None:
            path, args, kwargs = job
            try:
                import_string(path).call(*args, **kwargs)
            except Exception as exc:  # reported by the script
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


class Worker:
    """Threads of this process running queued jobs as soon as they are enqueued, each
    with its own database connection. (They share the GIL with the web side.)"""

    def __init__(self, threads: int = 1) -> None:
        self.errors: list[str] = []
        self._threads = [
            threading.Thread(target=_run_jobs, args=(_jobs, self.errors), daemon=True)
            for _ in range(threads)
        ]

    def __enter__(self) -> Worker:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in self._threads:
            _jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=120)


def _worker_process(jobs: Any, ready: Any, api_base_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    setup_django(api_base_url, migrate=False)  # the parent's folder: TRYON_BENCH_FOLDER
    errors: list[str] = []
    ready.put("ready")
    _run_jobs(jobs, errors)
    ready.put(errors)


class WorkerProcess:
    """A worker in a process of its own, as ``db_worker`` or an RQ worker is, sharing the
    SQLite file and media folder; jobs reach it through a process queue at once."""

    def __init__(self, api_base_url: str) -> None:
        global _jobs
        context = multiprocessing.get_context("spawn")
        _jobs = context.Queue()
        self._ready = context.Queue()
        self._process = context.Process(
            target=_worker_process, args=(_jobs, self._ready, api_base_url), daemon=True
        )
        self.errors: list[str] = []

    def __enter__(self) -> WorkerProcess:
        self._process.start()
        assert self._ready.get(timeout=60) == "ready"
        return self

    def __exit__(self, *exc: object) -> None:
        global _jobs
        _jobs.put(None)
        self.errors = list(self._ready.get(timeout=120))
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
        _jobs = queue.Queue()


# -- statistics --------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (linear interpolation)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
