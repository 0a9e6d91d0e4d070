"""System checks name the setting to fix."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tryon.checks import check_settings


def ids(**tryon: object) -> set[str]:
    with override_settings(TRYON=tryon):
        return {message.id for message in check_settings()}


def test_default_test_configuration_is_clean():
    assert ids(API_KEY="k") == set()


def test_missing_api_key_with_provider_backend(monkeypatch):
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    assert "tryon.E004" in ids(API_KEY=None)


def test_api_key_from_environment_is_enough(monkeypatch):
    monkeypatch.setenv("TRYON_API_KEY", "from-env")
    assert "tryon.E004" not in ids(API_KEY=None)


def test_offline_backend_needs_no_key(monkeypatch):
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    assert ids(BACKEND="tryon.backends.local.LocalPreviewBackend") == set()


@pytest.mark.parametrize(
    ("tryon", "expected"),
    [
        ({"SPEED": 3}, "tryon.E002"),
        ({"BACKEND": "nowhere.Backend"}, "tryon.E003"),
        ({"BACKEND": "collections.OrderedDict"}, "tryon.E003"),
        ({"API_BASE_URL": "ftp://x"}, "tryon.E005"),
        ({"STORAGE": "missing"}, "tryon.E006"),
        ({"TASK_BACKEND": "missing"}, "tryon.E008"),
        ({"QUEUE_NAME": "elsewhere"}, "tryon.E009"),
        ({"TIMEOUT": 0}, "tryon.E010"),
        ({"MAX_RETRIES": -1}, "tryon.E010"),
        ({"STALE_RUNNING_AFTER": 300}, "tryon.E011"),
        ({"PROVIDER_SLOT_WAIT": 3600}, "tryon.E011"),
        (
            {"BACKEND_OPTIONS": {"tryon.backends.changeclothes.ChangeClothesBackend": {"X": 1}}},
            "tryon.E012",
        ),
    ],
)
def test_each_misconfiguration_has_its_check(tryon, expected):
    assert expected in ids(API_KEY="k", **tryon)


def test_plain_http_to_a_remote_host_warns():
    assert "tryon.W001" in ids(API_KEY="k", API_BASE_URL="http://changeclothes.example")
    assert "tryon.W001" not in ids(API_KEY="k", API_BASE_URL="http://127.0.0.1:8080")


def test_tryon_setting_must_be_a_dict():
    with override_settings(TRYON=["nope"]):
        assert {m.id for m in check_settings()} == {"tryon.E001"}
