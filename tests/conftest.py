"""Shared fixtures: the fake provider, stored garments and model photos, queued jobs."""

from __future__ import annotations

import logging
import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from PIL import ImageFile

import tryon
from tests import images
from tests.browser_support import launched_chromium
from tryon.compat import task_backends
from tryon.models import Garment, ModelPhoto
from tryon.testing import FakeChangeClothesServer

API_KEY = "sk-test-DO-NOT-LEAK-9f8e7d6c5b4a"


def pytest_configure(config: pytest.Config) -> None:
    # Declared here, beside the markers in pyproject.toml (--strict-markers).
    config.addinivalue_line(
        "markers", "chaos: real workers SIGKILLed and cut off from the database at random"
    )

    # Under nox (TRYON_TEST_WHEEL=1) the suite must test the installed wheel, not the checkout.
    if os.environ.get("TRYON_TEST_WHEEL") != "1":
        return
    installed = Path(tryon.__file__).resolve()
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    if site_packages not in installed.parents:
        raise pytest.UsageError(
            f"TRYON_TEST_WHEEL=1 but tryon was imported from {installed.parent}, not from the "
            f"installed wheel in {site_packages}: the checkout is shadowing it on sys.path."
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for a browser test module (``pytestmark = BROWSER_TEST``); one per module so
    Playwright's event loop never outlives the module that needs it."""
    with launched_chromium() as launched:
        yield launched


# Tests that start processes of their own, by what they start (a build writes into the
# checkout, so it goes with the workers rather than beside them).
PROCESS_GROUPS = {"browser": "browser", "worker": "workers", "chaos": "workers", "build": "workers"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (``-n 2 --dist loadgroup``, as nox runs it) the browser tests run one
    after another on one worker and the worker, chaos and build tests one after another on
    the other: two shops, fleets or builds never compete for the CPU against each other's
    timeouts, nor write into the same build folder. The in-process tests fill the gaps."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        for marker, group in PROCESS_GROUPS.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.xdist_group(group))
                break


@pytest.fixture
def decoded_sizes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of every picture whose pixels are decoded (Pillow's ``load``) in the test."""
    seen: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        if self.tile:
            seen.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


class _RecordEverything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes any formatted traceback


@pytest.fixture(autouse=True)
def api_key_never_leaks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Across every test: no log record (at any level) and no response carries the key."""
    handler = _RecordEverything()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    responses: list[bytes] = []
    original_request = Client.request

    def recording_request(self: Client, **request: Any) -> Any:
        response = original_request(self, **request)
        if not getattr(response, "streaming", False):
            responses.append(bytes(response.content) + str(response.headers).encode())
        return response

    monkeypatch.setattr(Client, "request", recording_request)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    leaked_logs = [line for line in handler.lines if API_KEY in line]
    assert not leaked_logs, f"API key in log records: {leaked_logs[:3]}"
    assert not any(API_KEY.encode() in body for body in responses), "API key in a response"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Throttle counters live in the default cache: every test starts with none."""
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Each test writes its files into a folder of its own."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    return settings.MEDIA_ROOT


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    """The fake provider on loopback, with TRYON pointed at it."""
    with FakeChangeClothesServer(api_key=API_KEY) as server:
        with override_settings(TRYON=tryon_settings_for(server)):
            yield server


def tryon_settings_for(server: FakeChangeClothesServer, **extra: Any) -> dict[str, Any]:
    return {
        "BACKEND": "tryon.backends.changeclothes.ChangeClothesBackend",
        "API_KEY": API_KEY,
        "API_BASE_URL": server.base_url,
        "RETRY_BACKOFF": 0,
        "TIMEOUT": 5,
        "MAX_RETRIES": 2,
        **extra,
    }


@pytest.fixture
def offline() -> Iterator[None]:
    with override_settings(TRYON={"BACKEND": "tryon.backends.local.LocalPreviewBackend"}):
        yield


def make_garment(category: str = "upper_body", name: str = "Red tee", **kwargs: Any) -> Garment:
    garment = Garment(name=name, category=category, **kwargs)
    garment.image.save("garment.png", ContentFile(images.garment_photo(category)), save=False)
    garment.save()
    return garment


def make_model_photo(name: str = "Alex", *, is_preset: bool = True, **kwargs: Any) -> ModelPhoto:
    photo = ModelPhoto(name=name, is_preset=is_preset, **kwargs)
    photo.image.save("person.jpg", ContentFile(images.person_photo()), save=False)
    photo.save()
    return photo


@pytest.fixture
def garment(db: Any) -> Garment:
    return make_garment()


@pytest.fixture
def preset(db: Any) -> ModelPhoto:
    return make_model_photo()


@pytest.fixture
def task_queue() -> Iterator[Any]:
    """The dummy task backend's queue, emptied before and after the test."""
    backend = task_backends["default"]
    backend.clear()
    yield backend
    backend.clear()


def run_queued(backend: Any) -> list[Any]:
    """Run every job the dummy backend holds, as a worker would; their return values."""
    outcomes = []
    while backend.results:
        result = backend.results.pop(0)
        outcomes.append(result.task.call(*result.args, **result.kwargs))
    return outcomes
