from __future__ import annotations

import pytest
from django.test import override_settings

from tryon.conf import DEFAULT_API_BASE_URL, tryon_settings


def test_defaults_apply(monkeypatch):
    monkeypatch.delenv("TRYON_API_BASE_URL", raising=False)
    with override_settings(TRYON={}):
        assert tryon_settings.TIMEOUT == 120
        assert tryon_settings.MAX_RETRIES == 2
        assert tryon_settings.STORAGE == "default"
        assert tryon_settings.API_BASE_URL == DEFAULT_API_BASE_URL


def test_environment_fills_in_key_and_base_url(monkeypatch):
    monkeypatch.setenv("TRYON_API_KEY", "env-key")
    monkeypatch.setenv("TRYON_API_BASE_URL", "http://127.0.0.1:1234")
    with override_settings(TRYON={}):
        assert tryon_settings.API_KEY == "env-key"
        assert tryon_settings.API_BASE_URL == "http://127.0.0.1:1234"
    with override_settings(TRYON={"API_KEY": "settings-key"}):
        assert tryon_settings.API_KEY == "settings-key"


def test_settings_are_read_lazily():
    with override_settings(TRYON={"TIMEOUT": 7}):
        assert tryon_settings.TIMEOUT == 7
    with override_settings(TRYON={"TIMEOUT": 9}):
        assert tryon_settings.TIMEOUT == 9


def test_unknown_attribute_is_an_error():
    with pytest.raises(AttributeError):
        tryon_settings.NOT_A_SETTING


def test_none_is_a_value_except_for_environment_backed_keys(monkeypatch):
    monkeypatch.setenv("TRYON_API_KEY", "env-key")
    with override_settings(TRYON={"DAILY_PAID_CALL_LIMIT": None, "API_KEY": None}):
        assert tryon_settings.DAILY_PAID_CALL_LIMIT is None
        assert tryon_settings.API_KEY == "env-key"
