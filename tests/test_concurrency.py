"""The shop-wide bound on provider calls in flight (tryon.concurrency)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.conftest import run_queued, tryon_settings_for
from tests.test_workers import ROOT, sqlite_database, worker_env
from tryon import concurrency, services
from tryon.concurrency import (
    ProviderBusyError,
    acquire,
    provider_slot,
    release,
    try_acquire,
)
from tryon.models import ProviderCallSlot, TryOn, TryOnStatus

pytestmark = pytest.mark.django_db(transaction=True)


def limits(**values: Any) -> Any:
    return override_settings(TRYON={"RETRY_BACKOFF": 0, **values})


def test_bulk_jobs_never_take_the_slots_kept_for_shoppers():
    with limits(MAX_CONCURRENT_CALLS=3, SHOPPER_RESERVED_CALLS=1):
        assert list(concurrency.slot_numbers("shopper")) == [0, 1, 2]
        assert list(concurrency.slot_numbers("preview")) == [1, 2]
        first, second = acquire("preview", wait=0), acquire("preview", wait=0)
        assert {first.number, second.number} == {1, 2}
        with pytest.raises(ProviderBusyError, match="MAX_CONCURRENT_CALLS"):
            acquire("staff", wait=0)
        shopper = acquire("shopper", wait=0)  # bulk runs cannot starve shoppers
        assert shopper.number == 0
        assert concurrency.in_flight() == 3
        for lease in (first, second, shopper):
            release(lease)
        assert concurrency.in_flight() == 0
        assert not ProviderCallSlot.objects.exclude(holder="").exists()


def test_a_shopper_prefers_its_reserved_slot():
    with limits(MAX_CONCURRENT_CALLS=4, SHOPPER_RESERVED_CALLS=2):
        leases = [acquire("shopper", wait=0) for _ in range(2)]
        assert sorted(lease.number for lease in leases) == [0, 1]


def test_reservation_always_leaves_one_slot_for_everything_else():
    with limits(MAX_CONCURRENT_CALLS=1, SHOPPER_RESERVED_CALLS=5):
        assert concurrency.reserved_calls() == 0
        assert list(concurrency.slot_numbers("preview")) == [0]


def test_an_expired_lease_is_taken_over_and_its_late_release_is_harmless():
    with limits(MAX_CONCURRENT_CALLS=1):
        dead = acquire("preview", wait=0)  # a worker that will die holding it
        assert try_acquire("preview") is None
        ProviderCallSlot.objects.filter(number=0).update(
            leased_until=timezone.now() - timedelta(seconds=1)
        )
        alive = try_acquire("preview")
        assert alive is not None and alive.number == 0
        release(dead)  # the old holder waking up must not free the new holder's slot
        assert ProviderCallSlot.objects.get(number=0).holder == alive.holder
        release(alive)
        assert ProviderCallSlot.objects.get(number=0).holder == ""


def test_lease_outlasts_the_slowest_legitimate_call():
    with limits(TIMEOUT=120, MAX_RETRIES=2, RETRY_BACKOFF=1.0):
        # 3 attempts of 120 s, backoff 1 + 2 s, plus a margin.
        assert concurrency.lease_duration() == timedelta(seconds=360 + 3 + 60)
    with limits(PROVIDER_SLOT_LEASE=30):
        assert concurrency.lease_duration() == timedelta(seconds=30)


def test_raising_the_limit_adds_slots():
    with limits(MAX_CONCURRENT_CALLS=1):
        acquire("preview", wait=0)
    with limits(MAX_CONCURRENT_CALLS=3, SHOPPER_RESERVED_CALLS=0):
        assert acquire("preview", wait=0).number in (1, 2)
        assert ProviderCallSlot.objects.count() == 3


def test_provider_slot_is_freed_when_the_body_raises():
    with limits(MAX_CONCURRENT_CALLS=1):
        with pytest.raises(RuntimeError):
            with provider_slot("preview"):
                assert concurrency.in_flight() == 1
                raise RuntimeError("the call broke")
        assert concurrency.in_flight() == 0


def test_a_job_waits_for_a_slot_and_fails_clearly_if_none_comes(fake, garment, preset, task_queue):
    settings = tryon_settings_for(fake, MAX_CONCURRENT_CALLS=1, PROVIDER_SLOT_WAIT=0.3)
    with override_settings(TRYON=settings):
        held = acquire("shopper", wait=0)  # another worker's call, still in flight
        tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
        assert run_queued(task_queue) == [TryOnStatus.FAILED]
        tryon.refresh_from_db()
        assert "No provider-call slot came free" in tryon.error_message
        assert fake.call_count == 0  # the bound held: nothing was sent

        release(held)
        assert services.retry(tryon)
        assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
        assert fake.call_count == 1
        assert concurrency.in_flight() == 0


def test_a_job_holds_a_slot_exactly_while_it_calls_the_provider(fake, garment, preset, task_queue):
    seen: list[int] = []
    original = fake._handle_api

    def observe(request: Any, content_type: str) -> Any:
        seen.append(ProviderCallSlot.objects.exclude(holder="").count())
        return original(request, content_type)

    fake._handle_api = observe  # runs in the fake's thread: sees the committed lease
    services.request_tryon(garment=garment, model_photo=preset)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    assert seen == [1]
    assert not ProviderCallSlot.objects.exclude(holder="").exists()
    assert TryOn.objects.get().status == TryOnStatus.SUCCEEDED


# -- across processes ------------------------------------------------------------------------

HOLDER = """
import json, sys, time
from tryon.concurrency import provider_slot
source, rounds, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
spans = []
for _ in range(rounds):
    asked = time.time()
    with provider_slot(source):
        start = time.time()
        time.sleep(hold)
        spans.append((asked, start, time.time()))
print(json.dumps(spans))
"""

SCHEMA = """
from django.db import connection
from tryon.models import ProviderCallSlot
with connection.schema_editor() as editor:
    editor.create_model(ProviderCallSlot)
"""


def _peak(spans: list[tuple[float, float, float]]) -> int:
    events = sorted([(s, 1) for _, s, _ in spans] + [(e, -1) for _, _, e in spans])
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


@pytest.mark.worker
def test_the_bound_holds_across_processes_and_shoppers_go_first(tmp_path: Path):
    """Four processes share one database: three bulk runs and a shopper."""
    database = sqlite_database(tmp_path / "slots.sqlite3")
    env = worker_env(database, {"MAX_CONCURRENT_CALLS": 3, "SHOPPER_RESERVED_CALLS": 1})

    def script(code: str, *args: str) -> list[str]:
        return [sys.executable, "-c", "import django; django.setup()\n" + code, *args]

    setup = subprocess.run(script(SCHEMA), cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert setup.returncode == 0, setup.stderr.decode()

    def holder(source: str, rounds: int, hold: float) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            script(HOLDER, source, str(rounds), str(hold)),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    bulk = [holder("preview", 5, 0.15) for _ in range(3)]
    shopper = holder("shopper", 5, 0.05)
    spans = {}
    for name, process in [
        ("bulk0", bulk[0]),
        ("bulk1", bulk[1]),
        ("bulk2", bulk[2]),
        ("shopper", shopper),
    ]:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()[-2000:]
        spans[name] = json.loads(out)

    bulk_spans = [s for name, found in spans.items() if name != "shopper" for s in found]
    assert len(bulk_spans) == 15
    # Three bulk processes, two slots for them: never more than two at once, but two.
    assert _peak(bulk_spans) == 2
    assert _peak(bulk_spans + spans["shopper"]) <= 3
    # The shopper never queued behind the bulk runs (whose third process always waits
    # about one 0.15 s hold): its reserved slot was free every time.
    shopper_waits = [start - asked for asked, start, _ in spans["shopper"]]
    bulk_waits = [start - asked for asked, start, _ in bulk_spans]
    assert max(shopper_waits) < 0.5
    assert sum(shopper_waits) < sum(bulk_waits)


def test_waiting_jobs_poll_at_a_fraction_of_the_call_time(monkeypatch):
    monkeypatch.setattr(concurrency, "_typical_hold", 0.2)  # calls of 0.2 s: look often
    assert concurrency.poll_interval("preview") == pytest.approx(0.01)
    assert concurrency.poll_interval("shopper") < concurrency.poll_interval("staff") < 0.01
    monkeypatch.setattr(concurrency, "_typical_hold", 60.0)  # minute-long calls: rarely
    assert concurrency.poll_interval("preview") == 1.0
    assert concurrency.poll_interval("shopper") == pytest.approx(0.75)
    concurrency._observe_hold(10.0)
    assert concurrency._typical_hold == pytest.approx(50.0)


def test_previews_go_to_the_bulk_queue_and_shoppers_to_theirs(fake, preset):
    from tests.conftest import make_garment
    from tryon import previews
    from tryon.compat import TASKS_MODULE, task_backends

    tasks = {
        "default": {
            "BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend",
            "QUEUES": ["default", "bulk"],
        }
    }
    with override_settings(TASKS=tasks, TRYON=tryon_settings_for(fake, BULK_QUEUE_NAME="bulk")):
        backend = task_backends["default"]
        previews.queue_previews([make_garment()], [preset])
        services.request_tryon(garment=make_garment("dresses", name="Dress"), model_photo=preset)
        assert [r.task.queue_name for r in backend.results] == ["bulk", "default"]
