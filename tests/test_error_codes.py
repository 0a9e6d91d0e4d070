"""Error codes: our own in tryon.exceptions, the provider's with its backend, one lookup."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.conftest import run_queued, tryon_settings_for
from tryon import concurrency, exceptions, services
from tryon.api import create
from tryon.backends.changeclothes import ChangeClothesBackend
from tryon.backends.changeclothes_codes import ERROR_CLASSES, ERROR_DESCRIPTIONS
from tryon.backends.codes import ERROR_DESCRIPTIONS as ALL_DESCRIPTIONS
from tryon.backends.codes import describe_code, user_message_for
from tryon.exceptions import (
    DAILY_LIMIT_CODE,
    PROVIDER_BUSY_CODE,
    SHOP_ERROR_CLASSES,
    UNDOCUMENTED_ERROR,
    DailyCapReached,
    LimitExceededError,
    ProviderBusyError,
    TransientProviderError,
    TryOnError,
)
from tryon.models import TryOnStatus

LOCAL = "tryon.backends.local.LocalPreviewBackend"


def test_shop_side_refusals_are_in_the_one_hierarchy() -> None:
    assert issubclass(ProviderBusyError, TryOnError)
    assert issubclass(DailyCapReached, LimitExceededError)
    assert ProviderBusyError.code == PROVIDER_BUSY_CODE
    assert DailyCapReached(60).code == DAILY_LIMIT_CODE
    assert DailyCapReached(60).retry_after == 60
    # Still importable where callers found them.
    assert concurrency.ProviderBusyError is ProviderBusyError
    assert create.DailyCapReached is DailyCapReached


def test_the_generic_module_holds_no_provider_table() -> None:
    for name in ("ERROR_CLASSES", "ERROR_DESCRIPTIONS", "error_for_code", "user_message_for"):
        assert not hasattr(exceptions, name)
    assert ChangeClothesBackend.error_classes is ERROR_CLASSES
    assert ChangeClothesBackend.error_descriptions is ERROR_DESCRIPTIONS


def test_our_own_codes() -> None:
    assert "DAILY_PAID_CALL_LIMIT" in ALL_DESCRIPTIONS[DAILY_LIMIT_CODE]
    assert "unavailable today" in user_message_for(DAILY_LIMIT_CODE)
    assert "MAX_CONCURRENT_CALLS" in describe_code(PROVIDER_BUSY_CODE)
    assert user_message_for(PROVIDER_BUSY_CODE) == str(TransientProviderError.user_message)


@pytest.mark.parametrize("backend", [None, LOCAL])
def test_provider_codes_are_described_whatever_the_backend(backend: str | None) -> None:
    # Rows from the provider stay readable after a switch to the offline backend.
    with override_settings(TRYON={"BACKEND": backend} if backend else {}):
        assert describe_code(10003) == ERROR_DESCRIPTIONS[10003]
        assert user_message_for(10005) == str(ERROR_CLASSES[10005].user_message)
        assert 10003 in ALL_DESCRIPTIONS and DAILY_LIMIT_CODE in ALL_DESCRIPTIONS
        assert len(ALL_DESCRIPTIONS) == len(ERROR_DESCRIPTIONS) + len(SHOP_ERROR_CLASSES)


def test_one_wording_for_an_unknown_code() -> None:
    assert describe_code(4242) == UNDOCUMENTED_ERROR
    assert ALL_DESCRIPTIONS.get(4242) is None
    with ChangeClothesBackend({"API_KEY": "k", "API_BASE_URL": "https://x.example"}) as backend:
        assert str(backend.error_for_code(4242)) == UNDOCUMENTED_ERROR
        # An undocumented 5xx-range code is the provider failing: transient.
        assert backend.error_for_code(503).transient
    assert user_message_for(None) == user_message_for(4242)


@pytest.mark.django_db(transaction=True)
def test_a_job_with_no_free_slot_fails_with_our_busy_code(fake, garment, preset, task_queue):
    settings = tryon_settings_for(fake, MAX_CONCURRENT_CALLS=1, PROVIDER_SLOT_WAIT=0.1)
    with override_settings(TRYON=settings):
        held = concurrency.acquire("shopper", wait=0)
        try:
            tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
            assert run_queued(task_queue) == [TryOnStatus.FAILED]
        finally:
            concurrency.release(held)
    tryon.refresh_from_db()
    assert tryon.error_code == PROVIDER_BUSY_CODE
    assert fake.call_count == 0
