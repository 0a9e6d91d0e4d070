"""TRYON["BACKEND_OPTIONS"]: per-backend options, the top-level keys as fallback, checks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tryon.backends import BaseBackend, get_backend
from tryon.backends.changeclothes import ChangeClothesBackend
from tryon.checks import check_settings
from tryon.conf import tryon_settings
from tryon.exceptions import ProviderError, TryOnConfigurationError
from tryon.testing import FakeChangeClothesServer

PATH = "tryon.backends.changeclothes.ChangeClothesBackend"
# Distinctive, so a leak anywhere is found by a plain substring search.
OPTIONS_KEY = "sk-only-in-BACKEND-OPTIONS-4b7e21"
MODEL_URL = "https://cdn.example.com/people/anna.jpg"


def ids(**tryon: object) -> set[str]:
    with override_settings(TRYON=tryon):
        return {message.id for message in check_settings()}


def messages(**tryon: object) -> str:
    with override_settings(TRYON=tryon):
        return "\n".join(f"{m.id} {m.msg} {m.hint}" for m in check_settings())


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    monkeypatch.delenv("TRYON_API_BASE_URL", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key=OPTIONS_KEY) as server:
        yield server


def test_the_default_is_no_options() -> None:
    with override_settings(TRYON={}):
        assert tryon_settings.BACKEND_OPTIONS == {}
        tryon_settings.BACKEND_OPTIONS["X"] = 1  # a copy: the default stays empty
        assert tryon_settings.BACKEND_OPTIONS == {}


# -- options reach the backend ------------------------------------------------------------------


def test_options_reach_the_backend_and_win_over_the_top_level_keys(
    fake: FakeChangeClothesServer, no_env_key: None
) -> None:
    options = {
        "API_KEY": OPTIONS_KEY,
        "API_BASE_URL": fake.base_url,
        "TIMEOUT": 7,
        "MAX_RETRIES": 0,
        "RETRY_BACKOFF": 0.5,
        "MAX_DOWNLOAD_BYTES": 4321,
        "DOWNLOAD_TIMEOUT": 3,
    }
    top_level = {
        "API_KEY": "top-level-key-not-for-this-backend",
        "API_BASE_URL": "https://top-level.example.com",
        "TIMEOUT": 99,
        "MAX_RETRIES": 5,
        "BACKEND_OPTIONS": {PATH: options},
    }
    with override_settings(TRYON=top_level):
        backend = get_backend()
        assert isinstance(backend, ChangeClothesBackend)
        with backend:
            values = (
                backend.base_url,
                backend.timeout,
                backend.max_retries,
                backend.retry_backoff,
                backend.max_download_bytes,
                backend.download_timeout,
            )
            assert values == (fake.base_url, 7.0, 0, 0.5, 4321, 3.0)
            fake.fail_next(20001)  # transient, but MAX_RETRIES is 0 here
            with pytest.raises(ProviderError):
                backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="A red coat.")
            assert fake.call_count == 1
            backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="A red coat.")
    # The key came from the options: the fake accepts only that one.
    assert fake.calls()[-1].header("Authorization") == f"Bearer {OPTIONS_KEY}"


def test_top_level_keys_are_the_fallback(fake: FakeChangeClothesServer, no_env_key: None) -> None:
    tryon = {
        "API_KEY": OPTIONS_KEY,
        "API_BASE_URL": fake.base_url,
        "TIMEOUT": 11,
        "MAX_RETRIES": 3,
        "RETRY_BACKOFF": 0,
        # None is "not given": the top-level MAX_RETRIES applies.
        "BACKEND_OPTIONS": {PATH: {"TIMEOUT": 6, "MAX_RETRIES": None}},
    }
    with override_settings(TRYON=tryon), get_backend() as backend:
        assert isinstance(backend, ChangeClothesBackend)
        assert (backend.base_url, backend.timeout, backend.max_retries) == (fake.base_url, 6.0, 3)
        result = backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="A red coat.")
    assert result.provider_calls == 1


def test_the_environment_is_still_the_last_fallback_for_the_key(
    fake: FakeChangeClothesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRYON_API_KEY", OPTIONS_KEY)
    tryon = {"API_KEY": None, "BACKEND_OPTIONS": {PATH: {"API_BASE_URL": fake.base_url}}}
    with override_settings(TRYON=tryon), get_backend() as backend:
        backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="A red coat.")
    assert fake.call_count == 1


def test_options_are_read_when_the_backend_is_built() -> None:
    for timeout in (7, 9):
        tryon = {"BACKEND_OPTIONS": {PATH: {"TIMEOUT": timeout}}}
        with override_settings(TRYON=tryon):
            backend = get_backend()
            assert isinstance(backend, ChangeClothesBackend)
            assert backend.timeout == timeout


def test_a_bad_option_value_names_where_it_was_set() -> None:
    tryon = {"BACKEND_OPTIONS": {PATH: {"API_BASE_URL": "ftp://x"}}}
    with override_settings(TRYON=tryon):
        with pytest.raises(TryOnConfigurationError) as info:
            get_backend().change_clothes_by_prompt(model_image=MODEL_URL, prompt="x")
    assert f"TRYON['BACKEND_OPTIONS']['{PATH}']['API_BASE_URL']" in str(info.value)


def test_a_backend_without_an_options_argument_still_loads() -> None:
    # Written before BACKEND_OPTIONS: built without arguments when it has no options.
    with override_settings(TRYON={"BACKEND": f"{__name__}.LegacyBackend"}):
        assert isinstance(get_backend(), LegacyBackend)


class LegacyBackend(BaseBackend):
    def __init__(self) -> None:
        super().__init__()


# -- unknown options ------------------------------------------------------------------------------


def test_an_unknown_option_is_refused_naming_it_and_the_backend() -> None:
    tryon = {"BACKEND_OPTIONS": {PATH: {"API_KYE": "typo", "TIMEOUT": 5}}}
    with override_settings(TRYON=tryon):
        with pytest.raises(ImproperlyConfigured) as info:
            get_backend()
    message = str(info.value)
    assert "API_KYE" in message
    assert PATH in message
    assert "typo" not in message  # a value is never shown: it may be a secret


def test_an_unknown_option_passed_directly_is_refused() -> None:
    with pytest.raises(TryOnConfigurationError, match="SPEED"):
        ChangeClothesBackend({"SPEED": 3})


def test_the_system_check_reports_an_unknown_option() -> None:
    text = messages(API_KEY="k", BACKEND_OPTIONS={PATH: {"API_KYE": "typo"}})
    assert "tryon.E012" in text
    assert "API_KYE" in text and PATH in text
    assert "typo" not in text


@pytest.mark.parametrize(
    "backend_options",
    [
        ["not", "a", "dict"],
        {PATH: "not a dict"},
        {"nowhere.Backend": {"TIMEOUT": 5}},
        {"collections.OrderedDict": {}},
        # Options for a backend that is not the configured one are checked too.
        {"tryon.backends.local.LocalPreviewBackend": {"API_KEY": "x"}},
    ],
)
def test_the_system_check_reports_bad_backend_options(backend_options: object) -> None:
    assert "tryon.E012" in ids(API_KEY="k", BACKEND_OPTIONS=backend_options)


def test_good_options_pass_the_checks() -> None:
    options = {PATH: {"API_KEY": "k", "TIMEOUT": 30, "MAX_RETRIES": 1}}
    assert ids(API_KEY=None, BACKEND_OPTIONS=options) == set()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"API_BASE_URL": "ftp://x"}, "tryon.E005"),
        ({"API_BASE_URL": "http://changeclothes.example"}, "tryon.W001"),
        ({"TIMEOUT": 0}, "tryon.E010"),
        ({"MAX_RETRIES": 11}, "tryon.E010"),
    ],
)
def test_option_values_are_checked_like_the_top_level_keys(
    options: dict[str, Any], expected: str
) -> None:
    assert expected in ids(API_KEY="k", BACKEND_OPTIONS={PATH: options})


# -- the key only in BACKEND_OPTIONS ------------------------------------------------------------


def test_a_key_only_in_backend_options_satisfies_the_key_check(no_env_key: None) -> None:
    assert "tryon.E004" in ids(API_KEY=None)
    assert "tryon.E004" not in ids(API_KEY=None, BACKEND_OPTIONS={PATH: {"API_KEY": OPTIONS_KEY}})
    # The hint names every place the key may be set.
    hint = messages(API_KEY=None)
    assert f"TRYON['BACKEND_OPTIONS']['{PATH}']['API_KEY']" in hint
    assert "TRYON['API_KEY']" in hint and "TRYON_API_KEY" in hint


def test_a_key_only_in_backend_options_is_never_rendered(
    fake: FakeChangeClothesServer, no_env_key: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tryon = {
        "API_KEY": None,
        "RETRY_BACKOFF": 0,
        "BACKEND_OPTIONS": {PATH: {"API_KEY": OPTIONS_KEY, "API_BASE_URL": fake.base_url}},
    }
    errors: list[BaseException] = []
    with override_settings(TRYON=tryon):
        fake.respond_next({"code": 30001, "msg": f"bad key {OPTIONS_KEY}"}, status=401)
        fake.fail_next_non_json(status=502, body=f"<html>Bearer {OPTIONS_KEY}</html>", times=3)
        with get_backend() as backend:
            for _ in range(2):
                try:
                    backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="x")
                except ProviderError as exc:
                    errors.append(exc)
            shown = repr(backend) + str(backend)
        out, err = io.StringIO(), io.StringIO()
        call_command("tryon_check", stdout=out, stderr=err)
        checks_text = "\n".join(f"{m.msg} {m.hint}" for m in check_settings())
    assert len(errors) == 2
    for error in errors:
        assert OPTIONS_KEY not in str(error) + repr(error) + repr(vars(error))
    assert OPTIONS_KEY not in shown
    assert OPTIONS_KEY not in out.getvalue() + err.getvalue() + checks_text
    assert OPTIONS_KEY not in caplog.text


def test_tryon_check_fails_on_an_unknown_option_without_showing_values(no_env_key: None) -> None:
    tryon = {"BACKEND_OPTIONS": {PATH: {"API_KEY": OPTIONS_KEY, "APIKEY": OPTIONS_KEY}}}
    out, err = io.StringIO(), io.StringIO()
    with override_settings(TRYON=tryon), pytest.raises(CommandError):
        call_command("tryon_check", stdout=out, stderr=err)
    assert "tryon.E012" in err.getvalue() and "APIKEY" in err.getvalue()
    assert OPTIONS_KEY not in out.getvalue() + err.getvalue()
