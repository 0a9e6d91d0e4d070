"""Serving the example shop for the browser tests, and launching Debian's chromium.

A browser test module sets ``pytestmark = BROWSER_TEST`` and asks for the ``browser``
fixture (tests/conftest.py): one Chromium per module, a fresh context per test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.processes import REPO, python_path

EXAMPLE = REPO / "example_project"
ARTIFACTS = REPO / "artifacts"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium (``TRYON_BROWSER`` overrides); None when it is not installed."""
    for candidate in (
        os.environ.get("TRYON_BROWSER"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = chromium_path()
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary: apt-get install chromium"),
]


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright  # only browser runs need playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Shop:
    base_url: str
    media_root: Path
    log: Path
    manage: Callable[..., str]  # runs a management command of the served shop, returns stdout

    def url(self, path: str) -> str:
        return self.base_url + path


def _environment(workdir: Path, settings: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRYON_API", "DJANGO_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONPATH=python_path(EXAMPLE),
        TRYON_BROWSER_DB=str(workdir / "shop.sqlite3"),
        TRYON_BROWSER_MEDIA=str(workdir / "media"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(EXAMPLE / "manage.py"), *args]


def _run_manage(env: Mapping[str, str], *args: str) -> str:
    done = subprocess.run(
        _manage(*args), env=dict(env), cwd=EXAMPLE, capture_output=True, text=True, timeout=120
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runserver exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"runserver did not answer on {url}:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def serve_example_shop(
    workdir: Path, *, settings: str = "tests.browser_settings", env: Mapping[str, str] = {}
) -> Iterator[Shop]:
    """Migrate and fill a fresh example shop, then run its web server and its two db_workers.

    ``settings`` names another settings module, ``env`` adds environment variables.
    """
    env = _environment(workdir, settings, env)
    log = workdir / "shop.log"
    with log.open("ab") as out:
        for command in (("migrate", "--noinput"), ("shop_demo_data",)):
            subprocess.run(
                _manage(*command),
                env=env,
                cwd=EXAMPLE,
                stdout=out,
                stderr=out,
                check=True,
                timeout=120,
            )
    port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with log.open("ab") as out:
        try:
            server = subprocess.Popen(
                _manage("runserver", f"127.0.0.1:{port}", "--noreload"),
                env=env,
                cwd=EXAMPLE,
                stdout=out,
                stderr=out,
            )
            processes.append(server)
            # The shop's two workers, as bin/demo runs them: shoppers' try-ons on "default",
            # catalogue previews on "previews" (its TRYON["BULK_QUEUE_NAME"]).
            for queue in ("default", "previews"):
                processes.append(
                    subprocess.Popen(
                        _manage(
                            "db_worker",
                            *("--queue-name", queue, "--interval", "0.1", "--no-startup-delay"),
                        ),
                        env=env,
                        cwd=EXAMPLE,
                        stdout=out,
                        stderr=out,
                    )
                )
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url + "/", server, log)
            yield Shop(
                base_url=base_url,
                media_root=Path(env["TRYON_BROWSER_MEDIA"]),
                log=log,
                manage=lambda *args: _run_manage(env, *args),
            )
        finally:
            for process in processes:
                _stop(process)
