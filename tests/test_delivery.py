"""When the shopper's widget looks again: the ETA (tryon.eta) and the API's poll hints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import run_queued
from tryon import eta
from tryon.models import TryOn, TryOnSource, TryOnStatus

CREATE_URL = "/tryon/api/tryons/"

# -- the hint, from the time remaining ---------------------------------------------------


def test_with_no_figures_the_first_look_is_after_a_second_then_backs_off():
    assert eta.poll_after(None, waited=0) == eta.UNKNOWN_FIRST == 1.0
    assert eta.poll_after(None, waited=4) == 2.0
    assert eta.poll_after(None, waited=60) == eta.UNKNOWN_MAX == 3.0


def test_the_first_look_is_aimed_just_after_the_expected_end():
    assert eta.poll_after(3.0, waited=0) == pytest.approx(3.0 + eta.MARGIN)
    assert eta.poll_after(0.5, waited=9) == pytest.approx(0.5 + eta.MARGIN)


def test_a_long_wait_is_cut_into_even_parts_so_the_status_stays_fresh():
    assert eta.poll_after(40.0, waited=0) == eta.MAX_WAIT
    # Not 10 s then a look just before the end: two halves, the second aimed at the end.
    assert eta.poll_after(10.5, waited=0) == pytest.approx(5.25)
    assert eta.poll_after(5.25, waited=5.25) == pytest.approx(5.25 + eta.MARGIN)


def test_near_the_end_it_looks_often_and_a_late_job_less_and_less():
    assert eta.poll_after(0.2, waited=3) == eta.NEAR
    assert eta.poll_after(0.0, waited=3) == eta.NEAR
    assert eta.poll_after(-0.3, waited=3) == eta.NEAR
    assert eta.poll_after(-4.0, waited=7) == pytest.approx(2.0)
    assert eta.poll_after(-600.0, waited=603) == eta.MAX_WAIT


def test_a_late_job_is_looked_at_a_bounded_number_of_times():
    # Following the hints alone, a job 2 minutes late costs a handful of looks.
    late, looks = 0.0, 0
    while late < 120:
        late += eta.poll_after(-late, waited=late)
        looks += 1
    assert looks <= 25


# -- the figures -------------------------------------------------------------------------


def add_row(
    garment: Any,
    preset: Any,
    *,
    status: str = TryOnStatus.SUCCEEDED,
    source: str = TryOnSource.SHOPPER,
    calls: int = 1,
    created: float = 0.0,
    pickup: float | None = 0.2,
    job: float | None = 3.0,
) -> TryOn:
    """A try-on created ``created`` seconds ago, started ``pickup`` s later, taking ``job`` s."""
    now = timezone.now()
    created_at = now - timedelta(seconds=created)
    started_at = None if pickup is None else created_at + timedelta(seconds=pickup)
    finished_at = None if started_at is None or job is None else started_at + timedelta(seconds=job)
    return TryOn.objects.create(
        garment=garment,
        model_photo=preset,
        status=status,
        source=source,
        provider_calls=calls,
        created_at=created_at,
        started_at=started_at,
        finished_at=finished_at,
    )


@pytest.mark.django_db
def test_timings_are_medians_of_recent_paid_tryons(garment, preset):
    for job, pickup in [(3.0, 0.1), (4.0, 0.3), (10.0, 0.2)]:
        add_row(garment, preset, created=60, job=job, pickup=pickup)
    add_row(garment, preset, created=30, job=0.01, calls=0)  # answered from a stored result
    add_row(garment, preset, created=30, job=50, status=TryOnStatus.FAILED)
    add_row(garment, preset, created=30, job=3.0, pickup=40.0, source=TryOnSource.PREVIEW)
    timings = eta.recent_timings()
    assert timings.samples == 4
    assert timings.job == pytest.approx(3.5)  # 3, 3, 4, 10
    assert timings.pickup == pytest.approx(0.2)  # shoppers' only: a preview's queue is no guide


@pytest.mark.django_db
def test_timings_come_from_the_last_sample_size_rows_and_are_cached(garment, preset):
    for _ in range(eta.SAMPLE_SIZE):
        add_row(garment, preset, created=10, job=5.0)
    add_row(garment, preset, created=100, job=60.0)  # older than the sample
    assert eta.recent_timings().job == pytest.approx(5.0)
    add_row(garment, preset, created=1, job=1.0)
    assert eta.recent_timings().job == pytest.approx(5.0)  # cached
    cache.clear()
    assert eta.recent_timings().job == pytest.approx(5.0)  # 19 x 5 s and 1 x 1 s


@pytest.mark.django_db
def test_no_paid_tryon_yet_means_no_eta(garment, preset):
    row = add_row(garment, preset, status=TryOnStatus.PENDING, pickup=None, job=None)
    assert eta.recent_timings() == eta.Timings(job=None, pickup=None, samples=0)
    hint = eta.poll_hint(row)
    assert hint.eta_seconds is None
    assert hint.poll_after_ms == 1000


@pytest.mark.django_db
def test_a_running_tryon_ends_a_job_time_after_it_started(garment, preset):
    add_row(garment, preset, created=60, job=8.0)
    row = add_row(garment, preset, status=TryOnStatus.RUNNING, created=3.2, pickup=0.2, job=None)
    hint = eta.poll_hint(row)
    assert hint.eta_seconds == pytest.approx(5.0, abs=0.2)
    assert hint.poll_after_ms == pytest.approx(5050, abs=200)
    assert hint.headers() == {"X-Poll-After-Ms": str(hint.poll_after_ms)}


@pytest.mark.django_db
def test_a_tryon_just_queued_with_free_slots_ends_after_pickup_and_job(garment, preset):
    add_row(garment, preset, created=60, job=3.0, pickup=0.3)
    row = add_row(garment, preset, status=TryOnStatus.PENDING, pickup=None, job=None)
    assert eta.poll_hint(row).eta_seconds == pytest.approx(3.3, abs=0.15)


@pytest.mark.django_db
@override_settings(TRYON={"MAX_CONCURRENT_CALLS": 2})
def test_a_queued_tryon_waits_for_the_shoppers_ahead_of_it_and_is_looked_at_when_it_starts(
    garment, preset
):
    add_row(garment, preset, created=60, job=4.0, pickup=0.0)
    for _ in range(2):  # both slots busy, for 3 s more
        add_row(garment, preset, status=TryOnStatus.RUNNING, created=1, pickup=0, job=None)
    for _ in range(3):  # three shoppers queued before us
        add_row(garment, preset, status=TryOnStatus.PENDING, created=0.5, pickup=None, job=None)
    for _ in range(5):  # catalogue previews queued before us: shoppers go first
        add_row(
            garment,
            preset,
            status=TryOnStatus.PENDING,
            source=TryOnSource.PREVIEW,
            created=0.5,
            pickup=None,
            job=None,
        )
    row = add_row(garment, preset, status=TryOnStatus.PENDING, pickup=None, job=None)
    # Slots free at 3 s (two shoppers ahead), then at 7 s (the third and us): end at 11 s.
    hint = eta.poll_hint(row)
    assert hint.eta_seconds == pytest.approx(11.0, abs=0.2)
    assert hint.poll_after_ms == pytest.approx(7050, abs=200)  # just after it starts


@pytest.mark.django_db
@override_settings(TRYON={"MAX_CONCURRENT_CALLS": 4})
def test_a_queue_that_does_not_move_means_every_worker_is_busy(garment, preset):
    # One worker, four slots (the demo): a try-on pending for 3 s shows the worker is the
    # limit, so ours waits for the running one and then the one ahead.
    add_row(garment, preset, created=60, job=4.0, pickup=0.0)
    add_row(garment, preset, status=TryOnStatus.RUNNING, created=1, pickup=0, job=None)
    add_row(garment, preset, status=TryOnStatus.PENDING, created=3, pickup=None, job=None)
    row = add_row(garment, preset, status=TryOnStatus.PENDING, pickup=None, job=None)
    assert eta.poll_hint(row).eta_seconds == pytest.approx(3.0 + 4.0 + 4.0, abs=0.2)


@pytest.mark.django_db
def test_a_late_tryon_shows_no_time_left_and_is_looked_at_less_often(garment, preset):
    add_row(garment, preset, created=60, job=2.0)
    row = add_row(garment, preset, status=TryOnStatus.RUNNING, created=12, pickup=0, job=None)
    hint = eta.poll_hint(row)
    assert hint.eta_seconds == 0
    assert hint.poll_after_ms == pytest.approx(5000, abs=100)  # 10 s late: half of it


@pytest.mark.django_db
def test_a_finished_tryon_has_no_hint(garment, preset):
    for status in (TryOnStatus.SUCCEEDED, TryOnStatus.FAILED):
        row = add_row(garment, preset, status=status)
        assert eta.poll_hint(row) == eta.FINISHED
        assert eta.FINISHED.fields() == {"poll_after_ms": None, "eta_seconds": None}
        assert eta.FINISHED.headers() == {}


# -- on the API ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_carry_the_hint_until_the_tryon_ends(fake, garment, preset, task_queue):
    add_row(garment, preset, created=60, job=6.0, pickup=0.1)
    shopper = APIClient()
    created = shopper.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    assert created.status_code == 202
    body = created.json()
    assert body["eta_seconds"] == pytest.approx(6.1, abs=0.3)
    assert body["poll_after_ms"] == pytest.approx(6150, abs=300)
    assert created["X-Poll-After-Ms"] == str(body["poll_after_ms"])

    polled = shopper.get(body["url"])
    assert polled.json()["status"] == "pending"
    assert int(polled["X-Poll-After-Ms"]) == polled.json()["poll_after_ms"] > 0

    run_queued(task_queue)
    done = shopper.get(body["url"])
    assert done.json()["status"] == "succeeded"
    assert done.json()["poll_after_ms"] is None
    assert done.json()["eta_seconds"] is None
    assert "X-Poll-After-Ms" not in done
