"""ChangeClothesBackend: the BaseBackend interface, built from settings, against the fake."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.test import override_settings
from PIL import Image

from tryon.backends import get_backend
from tryon.backends.base import BackendResult, GeneratedImage
from tryon.backends.changeclothes import ChangeClothesBackend
from tryon.exceptions import (
    InsufficientCreditsError,
    ProviderInvalidInputError,
    TransientProviderError,
    TryOnConfigurationError,
)
from tryon.testing import FakeChangeClothesServer

KEY = "backend-test-key-8d1e5b"
MODEL_URL = "https://cdn.example.com/people/anna.jpg"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), (30, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key=KEY) as server:
        tryon_settings: dict[str, Any] = {
            **settings.TRYON,
            "API_BASE_URL": server.base_url,
            "API_KEY": server.api_key,
            "MAX_RETRIES": 2,
            "RETRY_BACKOFF": 0,
        }
        with override_settings(TRYON=tryon_settings):
            yield server


@pytest.fixture
def backend(fake: FakeChangeClothesServer) -> Iterator[ChangeClothesBackend]:
    with ChangeClothesBackend() as instance:
        yield instance


def test_get_backend_builds_it_from_settings(fake: FakeChangeClothesServer) -> None:
    backend = get_backend()
    assert isinstance(backend, ChangeClothesBackend)
    assert backend.is_paid is True
    assert backend.base_url == fake.base_url
    backend.close()


def test_change_clothes(fake: FakeChangeClothesServer, backend: ChangeClothesBackend) -> None:
    result = backend.change_clothes(
        model_image=jpeg(), garment_image=MODEL_URL, category="dresses", description="Silk dress"
    )
    assert isinstance(result, BackendResult)
    assert result.image.url is not None
    assert result.image.url.startswith(fake.base_url + "/results/")
    assert result.image.content is None
    assert result.mask is not None and result.mask.url is not None
    assert result.mask.url.endswith("-mask.webp")
    assert (result.seed, result.cache_hit, result.is_preview, result.provider_calls) == (
        None,
        False,
        False,
        1,
    )
    (call,) = fake.calls()
    assert call.fields == {
        "garmentImg": MODEL_URL,
        "category": "dresses",
        "garmentDesc": "Silk dress",
    }
    assert call.files["modelImg"].filename == "model.jpg"


def test_change_clothes_by_prompt(
    fake: FakeChangeClothesServer, backend: ChangeClothesBackend
) -> None:
    result = backend.change_clothes_by_prompt(
        model_image=MODEL_URL,
        prompt="Help the model change into a blue striped shirt.",
        seed=42,
        randomize_seed=False,
        guidance_scale=30,
        num_inference_steps=20,
    )
    assert result.seed == 42
    assert result.mask is None
    assert result.provider_calls == 1
    assert fake.calls("change-clothes-by-prompt")[0].fields["num_inference_steps"] == "20"


def test_download(fake: FakeChangeClothesServer, backend: ChangeClothesBackend) -> None:
    result = backend.change_clothes(
        model_image=MODEL_URL, garment_image=MODEL_URL, category="upper_body"
    )
    assert result.image.url is not None
    content = backend.download(result.image.url)
    assert Image.open(io.BytesIO(content)).format == "WEBP"


def test_retries_are_counted_as_provider_calls(
    fake: FakeChangeClothesServer, backend: ChangeClothesBackend
) -> None:
    fake.fail_next(20001)
    result = backend.change_clothes(
        model_image=MODEL_URL, garment_image=MODEL_URL, category="upper_body"
    )
    assert result.provider_calls == 2
    assert fake.call_count == 2


def test_exhausted_retries_carry_the_attempts(
    fake: FakeChangeClothesServer, backend: ChangeClothesBackend
) -> None:
    fake.fail_always(500, style="status")
    with pytest.raises(TransientProviderError) as info:
        backend.change_clothes(model_image=MODEL_URL, garment_image=MODEL_URL, category="dresses")
    assert info.value.attempts == 3  # type: ignore[attr-defined]
    assert fake.call_count == 3


def test_final_errors_carry_one_attempt(
    fake: FakeChangeClothesServer, backend: ChangeClothesBackend
) -> None:
    fake.fail_next(10003)
    with pytest.raises(InsufficientCreditsError) as info:
        backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="A red coat.")
    assert info.value.attempts == 1  # type: ignore[attr-defined]


def test_refused_input_carries_zero_attempts(
    fake: FakeChangeClothesServer, backend: ChangeClothesBackend
) -> None:
    with pytest.raises(ProviderInvalidInputError) as info:
        backend.change_clothes(model_image=MODEL_URL, garment_image=MODEL_URL, category="hats")
    assert info.value.attempts == 0  # type: ignore[attr-defined]
    assert fake.requests == []


def test_settings_are_read_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    with override_settings(TRYON={"API_KEY": None}):
        backend = ChangeClothesBackend()  # no error yet: nothing is called
        with pytest.raises(TryOnConfigurationError, match=r"TRYON\['API_KEY'\]"):
            backend.change_clothes(
                model_image=MODEL_URL, garment_image=MODEL_URL, category="dresses"
            )


def test_an_injected_transport_is_used() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        data = {"resultImgUrl": "https://cdn.example.com/r.webp", "seed": 7}
        return httpx.Response(200, json={"code": 200, "msg": "OK", "data": data})

    transport = httpx.MockTransport(handler)
    options = {"API_KEY": KEY, "API_BASE_URL": "https://api.example.com", "MAX_RETRIES": 0}
    with ChangeClothesBackend(options, transport=transport) as backend:
        result = backend.change_clothes_by_prompt(model_image=MODEL_URL, prompt="A red coat.")
        http = backend.http
    assert result == BackendResult(
        image=GeneratedImage(url="https://cdn.example.com/r.webp"), seed=7, provider_calls=1
    )
    assert http.is_closed
