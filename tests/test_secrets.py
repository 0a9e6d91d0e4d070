"""The API key never reaches a response, a page, a log record, an exception or the database.

Every test in the suite also runs under ``conftest.api_key_never_leaks`` (log records
and test-client responses); these tests drive the flows where a leak would most likely
happen and look at everything they produce.
"""

from __future__ import annotations

import io
import logging
import traceback

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import API_KEY, run_queued
from tryon import services
from tryon.backends.changeclothes import ChangeClothesBackend
from tryon.backends.changeclothes_codes import ERROR_CLASSES
from tryon.exceptions import ProviderError
from tryon.models import TryOn

DOCUMENTED_ERRORS = sorted(ERROR_CLASSES)


def everything_about(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + repr(vars(exc))


@pytest.mark.parametrize("code", DOCUMENTED_ERRORS)
@pytest.mark.parametrize("style", ["body", "status"])
def test_provider_errors_never_carry_the_key(fake, code, style, caplog):
    caplog.set_level(logging.DEBUG)
    fake.fail_always(code, style=style)
    client = ChangeClothesBackend()
    with pytest.raises(ProviderError) as caught:
        client.change_clothes_by_prompt(
            model_image=b"not used: the fake fails first" and _jpeg(), prompt="x"
        )
    assert API_KEY not in everything_about(caught.value)
    assert API_KEY not in caught.value.describe()
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(client)


def test_provider_echoing_the_key_back_is_scrubbed(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.respond_next({"code": 30001, "msg": f"bad key {API_KEY}"}, status=401)
    fake.fail_next_non_json(status=502, body=f"<html>proxy saw Bearer {API_KEY}</html>", times=3)
    client = ChangeClothesBackend()
    for _ in range(2):
        with pytest.raises(ProviderError) as caught:
            client.change_clothes_by_prompt(model_image=_jpeg(), prompt="x")
        assert API_KEY not in everything_about(caught.value)
    assert API_KEY not in caplog.text


def test_connection_errors_never_carry_the_key(settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.TRYON = {
        "API_KEY": API_KEY,
        "API_BASE_URL": "http://127.0.0.1:9",
        "RETRY_BACKOFF": 0,
        "TIMEOUT": 1,
    }
    with pytest.raises(ProviderError) as caught:
        ChangeClothesBackend().change_clothes_by_prompt(model_image=_jpeg(), prompt="x")
    assert API_KEY not in everything_about(caught.value)
    assert API_KEY not in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", [10001, 10003, 30001, 30002])
def test_failed_jobs_store_no_key(fake, garment, preset, task_queue, code):
    fake.fail_always(code)
    services.request_tryon(garment=garment, model_photo=preset)
    run_queued(task_queue)
    stored = list(TryOn.objects.values_list("error_message", "error_code"))
    assert stored and stored[0][1] == code
    assert not any(API_KEY in message for message, _ in stored)


def test_commands_never_print_the_key(fake, tmp_path):
    fake.fail_always(30001)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "tryon_run",
            "--model",
            "https://x.example/p.jpg",
            "--prompt",
            "x",
            "--out",
            str(tmp_path / "o.webp"),
            stdout=out,
            stderr=err,
        )
    assert API_KEY not in str(caught.value) + out.getvalue() + err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    call_command("tryon_check", stdout=out, stderr=err)
    assert API_KEY not in out.getvalue() + err.getvalue()


def _jpeg() -> bytes:
    from tests import images

    return images.person_photo()


@pytest.mark.django_db(transaction=True)
def test_api_answers_and_pages_never_carry_the_key(fake, garment, preset, task_queue):
    from importlib.util import find_spec

    from django.contrib.sessions.backends.db import SessionStore
    from django.template import RequestContext, Template
    from django.test import RequestFactory
    from rest_framework.test import APIClient

    fake.respond_next({"code": 30001, "msg": f"key {API_KEY} is not valid"}, status=200)
    shopper = APIClient()
    created = shopper.post(
        "/tryon/api/tryons/", {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    assert created.status_code == 202
    run_queued(task_queue)
    polled = shopper.get(created["Location"])
    assert polled.json()["status"] == "failed"
    assert polled.json()["error"]["code"] == 30001
    pages = [created.content, polled.content, shopper.get("/tryon/api/model-photos/").content]
    if find_spec("drf_spectacular"):
        pages.append(shopper.get("/tryon/api/schema/").content)
    request = RequestFactory().get("/product/")
    request.session = SessionStore()
    html = Template("{% load tryon %}{% tryon_widget g %}{% tryon_previews g %}").render(
        RequestContext(request, {"g": garment})
    )
    assert "Try it on" in html
    pages.append(html.encode())
    assert not any(API_KEY.encode() in page for page in pages)
    assert not TryOn.objects.filter(error_message__contains=API_KEY).exists()
