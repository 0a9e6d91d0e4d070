"""The generic HTTP base has no provider-specific path: a tiny second provider built on it.

``TinyBackend`` speaks a made-up JSON API with its own error codes, its own credential
option and its own header. Everything it does not write (retries, the no-repeat rule for
a POST that may have been delivered, downloads, secrecy, option checks) comes from
``HttpBackend`` and must follow Tiny's table, never Change Clothes AI's.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, ClassVar

import httpx
import pytest
from django.test import override_settings

import tryon.backends.http as http_module
from tryon.backends import base, get_backend, loading, multipart, transport, urls
from tryon.backends.base import BackendResult, GeneratedImage, ImageInput, Option
from tryon.backends.codes import describe_code, user_message_for
from tryon.backends.http import HttpBackend
from tryon.exceptions import (
    UNDOCUMENTED_ERROR,
    HarmfulContentError,
    ProviderError,
    ProviderNoAnswerError,
    TransientProviderError,
    TryOnConfigurationError,
)

TOKEN = "tiny-token-SECRET-83c1f0d2"
TINY_PATH = f"{__name__}.TinyBackend"


class TinyBackend(HttpBackend):
    """A made-up provider: POST JSON to /v1/dress; answers {"ok", "image"} or {"error"}."""

    known_options: ClassVar[Mapping[str, Option]] = {
        **HttpBackend.known_options,
        "TOKEN": Option(secret=True),
        "API_BASE_URL": Option(default="https://tiny.example"),
    }
    # Tiny's own codes: 7 is its "busy, try again", 8 its content refusal.
    error_classes: ClassVar[Mapping[int, type[ProviderError]]] = {
        7: TransientProviderError,
        8: HarmfulContentError,
    }
    error_descriptions: ClassVar[Mapping[int, str]] = {
        7: "Tiny is busy.",
        8: "Tiny refused the picture.",
    }

    def request_headers(self) -> dict[str, str]:
        return {**super().request_headers(), "X-Token": str(self.option("TOKEN"))}

    def change_clothes(
        self,
        *,
        model_image: ImageInput,
        garment_image: ImageInput,
        category: str,
        description: str = "",
    ) -> BackendResult:
        body = {"person": model_image, "garment": garment_image, "kind": category}
        return self.post("/v1/dress", "application/json", json.dumps(body).encode())

    def parse_response(self, response: httpx.Response) -> BackendResult:
        body = http_module.json_object(response)
        if body is None:
            self.raise_for_status(response, "a body that is not JSON")
        if "error" in body:
            raise self.error_for_code(int(body["error"]), self.snippet(str(body.get("why", ""))))
        return BackendResult(image=GeneratedImage(url=body["image"]))


Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def tiny(handler: Handler, sleeps: Sleeps | None = None, **options: Any) -> TinyBackend:
    given = {"TOKEN": TOKEN, "MAX_RETRIES": 2, "RETRY_BACKOFF": 0.5, **options}
    return TinyBackend(
        given,
        transport=httpx.MockTransport(handler),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def answers(*bodies: dict[str, Any]) -> tuple[Handler, list[httpx.Request]]:
    """A handler that gives ``bodies`` in turn (the last one again), and what it saw."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=bodies[min(len(seen), len(bodies)) - 1])

    return handler, seen


def dress(backend: TinyBackend) -> BackendResult:
    return backend.change_clothes(
        model_image="https://x.example/p.jpg", garment_image="https://x.example/g.jpg", category="c"
    )


def test_success_uses_the_providers_own_wire_format() -> None:
    handler, seen = answers({"image": "https://cdn.tiny.example/r.webp"})
    with tiny(handler) as backend:
        result = dress(backend)
    assert result == BackendResult(
        image=GeneratedImage(url="https://cdn.tiny.example/r.webp"), provider_calls=1
    )
    (request,) = seen
    assert str(request.url) == "https://tiny.example/v1/dress"
    assert request.headers["X-Token"] == TOKEN
    assert "Authorization" not in request.headers
    assert request.headers["User-Agent"] == http_module.USER_AGENT


def test_a_code_the_provider_marks_transient_is_retried_with_backoff() -> None:
    sleeps = Sleeps()
    handler, seen = answers({"error": 7}, {"error": 7}, {"image": "https://cdn.tiny.example/r"})
    with tiny(handler, sleeps) as backend:
        result = dress(backend)
    assert (len(seen), result.provider_calls, sleeps) == (3, 3, [0.5, 1.0])


def test_retries_are_bounded_by_max_retries() -> None:
    handler, seen = answers({"error": 7, "why": "queue full"})
    with tiny(handler, MAX_RETRIES=1) as backend, pytest.raises(TransientProviderError) as info:
        dress(backend)
    assert len(seen) == 2
    assert info.value.attempts == 2
    assert str(info.value) == "Tiny is busy. Provider said: queue full"


def test_a_final_code_is_not_retried_and_described_from_the_providers_table() -> None:
    handler, seen = answers({"error": 8})
    with tiny(handler) as backend, pytest.raises(HarmfulContentError) as info:
        dress(backend)
    assert len(seen) == 1
    assert (info.value.code, info.value.attempts, str(info.value)) == (
        8,
        1,
        "Tiny refused the picture.",
    )


@pytest.mark.parametrize("code", [20001, 500, 10003])
def test_another_providers_codes_mean_nothing_here(code: int) -> None:
    # 20001 and 500 are transient for Change Clothes AI; for Tiny they are undocumented.
    handler, seen = answers({"error": code})
    with tiny(handler) as backend, pytest.raises(ProviderError) as info:
        dress(backend)
    assert type(info.value) is ProviderError
    assert not info.value.transient
    assert len(seen) == 1
    assert str(info.value) == UNDOCUMENTED_ERROR


def test_a_post_that_may_have_been_delivered_is_not_repeated() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("no answer", request=request)

    with tiny(handler) as backend, pytest.raises(ProviderNoAnswerError) as info:
        dress(backend)
    assert len(calls) == 1 and info.value.attempts == 1


def test_a_connection_that_never_opened_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"image": "https://cdn.tiny.example/r"})

    with tiny(handler) as backend:
        assert dress(backend).provider_calls == 2


def test_its_secret_is_scrubbed_and_never_sent_to_downloads() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, content=b"image bytes")
        return httpx.Response(502, text=f"<html>proxy saw X-Token: {TOKEN}</html>")

    with tiny(handler, MAX_RETRIES=0, RESULT_HOSTS=["cdn.tiny.example"]) as backend:
        with pytest.raises(TransientProviderError) as info:
            dress(backend)
        assert backend.download("https://cdn.tiny.example/r.webp") == b"image bytes"
        assert TOKEN not in repr(backend)
    assert TOKEN not in str(info.value) + repr(info.value)
    assert "X-Token" not in seen[-1].headers


def test_the_top_level_change_clothes_key_is_never_sent_to_it() -> None:
    handler, seen = answers({"image": "https://cdn.tiny.example/r"})
    with override_settings(TRYON={"API_KEY": "change-clothes-key-123456"}):
        with tiny(handler) as backend:
            dress(backend)
    assert "change-clothes-key-123456" not in str(seen[0].headers)


def test_its_options_are_its_own() -> None:
    with pytest.raises(TryOnConfigurationError) as info:
        TinyBackend({"API_KEY": "x"})
    assert "API_KEY" in str(info.value) and "TinyBackend" in str(info.value)


def test_get_backend_builds_it_with_its_options() -> None:
    tryon = {"BACKEND": TINY_PATH, "BACKEND_OPTIONS": {TINY_PATH: {"TOKEN": TOKEN, "TIMEOUT": 3}}}
    with override_settings(TRYON=tryon):
        backend = get_backend()
    assert isinstance(backend, TinyBackend)
    assert (backend.option("TOKEN"), backend.timeout, backend.base_url) == (
        TOKEN,
        3.0,
        "https://tiny.example",
    )


def test_stored_codes_are_described_from_the_configured_providers_table() -> None:
    with override_settings(TRYON={"BACKEND": TINY_PATH}):
        assert describe_code(8) == "Tiny refused the picture."
        assert user_message_for(8) == str(HarmfulContentError.user_message)
        assert describe_code(12345) == UNDOCUMENTED_ERROR
        assert user_message_for(12345) == str(ProviderError.user_message)


@pytest.mark.parametrize("module", [http_module, transport, multipart, urls, base, loading])
def test_the_generic_modules_name_no_provider(module: ModuleType) -> None:
    source = inspect.getsource(module).lower()
    for word in ("changeclothes", "change clothes", "api_key", "bearer", "10004", "20001"):
        assert word not in source
