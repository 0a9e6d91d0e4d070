"""The example shop served for the shopper benchmarks: its web server, real task workers,
a scratch database, and the CPU time they spend.

``ServedShop`` migrates a fresh database, fills in the demo catalogue
(``shop_demo_data``), then starts the web server (``runserver``, as ``bin/demo`` does,
or gunicorn with sync workers) and the workers (``db_worker`` processes, or RQ's
``rqworker``) with ``bench.shop_settings``, all on 127.0.0.1. Everything it starts is
stopped on exit, whatever happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench._common import ROOT

EXAMPLE = ROOT / "example_project"
POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ShopConfig:
    database: str  # "sqlite:/path/file.sqlite3" or "postgresql:NAME"
    tasks: str = "db"  # "db": db_worker processes; "rq": rqworker processes
    server: str = "runserver"  # or "gunicorn" (sync workers)
    web_workers: int = 5  # gunicorn's
    workers: int = 1  # task worker processes
    interval: float = 0.1  # db_worker --interval
    slots: int = 8  # TRYON["MAX_CONCURRENT_CALLS"]
    redis_db: int = 13  # a Redis database of the benchmark's own (flushed)
    rq_worker_class: str = ""  # rqworker --worker-class ("": RQ's own, a fork per job)


class ServedShop:
    def __init__(self, config: ShopConfig, api_base_url: str, folder: Path) -> None:
        self.config = config
        self.folder = folder
        self.log_path = folder / "shop.log"
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TRYON_", "DJANGO_", "DATABASE_URL"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="bench.shop_settings",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE)]),
            PYTHONUNBUFFERED="1",
            TRYON_BENCH_DATABASE=config.database,
            TRYON_BENCH_MEDIA=str(folder / "media"),
            TRYON_BENCH_TASKS=config.tasks,
            TRYON_BENCH_REDIS_DB=str(config.redis_db),
            TRYON_BENCH_SLOTS=str(config.slots),
            TRYON_BENCH_DEBUG="1" if config.server == "runserver" else "0",
            TRYON_API_BASE_URL=api_base_url,
        )
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    # -- set-up ------------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 300) -> None:
        with self.log_path.open("ab") as out:
            subprocess.run(
                [sys.executable, str(EXAMPLE / "manage.py"), *args],
                env=self.env,
                cwd=EXAMPLE,
                stdout=out,
                stderr=out,
                check=True,
                timeout=timeout,
            )

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as out:
            return subprocess.Popen(
                command, env=self.env, cwd=EXAMPLE, stdout=out, stderr=out, start_new_session=True
            )

    def __enter__(self) -> ServedShop:
        try:
            self._setup()
        except BaseException:
            self.stop()
            raise
        return self

    def _setup(self) -> None:
        if self.config.tasks == "rq":
            import redis

            redis.Redis(host="127.0.0.1", port=6379, db=self.config.redis_db).flushdb()
        self._run("migrate", "--noinput")
        self._run("shop_demo_data")
        python = sys.executable
        manage = [python, str(EXAMPLE / "manage.py")]
        if self.config.server == "gunicorn":
            server = [
                python,
                "-m",
                "gunicorn",
                "shopsite.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.config.web_workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--backlog",
                "2048",
            ]
        else:
            server = [*manage, "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        self.server = self._start(server)
        for number in range(self.config.workers):
            if self.config.tasks == "rq":
                command = [*manage, "rqworker", "default", "--job-class", "django_tasks_rq.Job"]
                if self.config.rq_worker_class:
                    command += ["--worker-class", self.config.rq_worker_class]
            else:
                command = [
                    *manage,
                    "db_worker",
                    "--no-reload",
                    "--interval",
                    f"{self.config.interval:g}",
                    "--worker-id",
                    f"bench-{number}",
                ]
            self.workers.append(self._start(command))
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server is not None and self.server.poll() is not None:
                raise RuntimeError(f"the web server exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"the web server did not answer:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    # -- tear-down ---------------------------------------------------------------------

    def stop(self) -> None:
        processes = [p for p in [self.server, *self.workers] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 20
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.server, self.workers = None, []

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what it costs -----------------------------------------------------------------

    def web_pids(self) -> list[int]:
        return [self.server.pid] if self.server is not None else []

    def worker_pids(self) -> list[int]:
        return [process.pid for process in self.workers]

    def alive_workers(self) -> int:
        return sum(1 for process in self.workers if process.poll() is None)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes and all their descendants, the reaped
    ones included (an rqworker's work-horses, a restarted gunicorn worker)."""
    children = _children()
    total = 0
    seen: set[int] = set()
    pending = list(pids)
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 after the name.
        total += sum(int(value) for value in fields[11:15])
        pending.extend(children.get(pid, []))
    return total / CLOCK_TICKS


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds, wall-clock CPU seconds) of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- a scratch PostgreSQL database -----------------------------------------------------------


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
