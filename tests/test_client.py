"""ChangeClothesBackend against the fake provider: the wire format, errors, retries, secrecy."""

from __future__ import annotations

import base64
import io
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
from django.test import override_settings
from PIL import Image

import tryon
from tryon.backends.base import BackendResult, GeneratedImage
from tryon.backends.changeclothes import CHANGE_CLOTHES_PATH, ChangeClothesBackend
from tryon.backends.multipart import encode_multipart
from tryon.exceptions import (
    DownloadError,
    HarmfulContentError,
    InsufficientCreditsError,
    ProviderConfigurationError,
    ProviderError,
    ProviderInvalidInputError,
    ProviderNoAnswerError,
    ProviderResponseError,
    TransientProviderError,
    TrialLimitError,
    TryOnConfigurationError,
)
from tryon.testing import FakeChangeClothesServer, status_for_code

# Distinctive, so a leak anywhere is found by a plain substring search.
KEY = "sk-live-DISTINCTIVE-5f3a9c71e2"
MODEL_URL = "https://cdn.example.com/people/anna.jpg"
GARMENT_URL = "https://cdn.example.com/garments/shirt.png"
PROMPT = "Help the model change into a blue striped shirt."


def image_bytes(fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), (120, 60, 30)).save(out, format=fmt)
    return out.getvalue()


def data_uri(content: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sleeps(list[float]):
    """Records the backoff delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key=KEY) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def options_for(
    base_url: str = "https://example.com", api_key: object = KEY, **more: object
) -> dict[str, object]:
    """The backend's options (as in TRYON["BACKEND_OPTIONS"]), none left to the settings."""
    return {
        "API_KEY": api_key,
        "API_BASE_URL": base_url,
        "TIMEOUT": 5,
        "MAX_RETRIES": 2,
        "RETRY_BACKOFF": 0,
        **more,
    }


def make_client(
    base_url: str, sleeps: Sleeps | None = None, **options: float
) -> ChangeClothesBackend:
    settings = {"timeout": 5.0, "max_retries": 2, "retry_backoff": 0.0}
    settings.update(options)
    max_download_bytes = int(settings.pop("max_download_bytes", 30 * 1024 * 1024))
    given = options_for(
        base_url,
        TIMEOUT=settings["timeout"],
        MAX_RETRIES=int(settings["max_retries"]),
        RETRY_BACKOFF=settings["retry_backoff"],
        MAX_DOWNLOAD_BYTES=max_download_bytes,
        DOWNLOAD_TIMEOUT=5,
    )
    return ChangeClothesBackend(given, sleep=sleeps)


@pytest.fixture
def client(fake: FakeChangeClothesServer, sleeps: Sleeps) -> Iterator[ChangeClothesBackend]:
    with make_client(fake.base_url, sleeps) as instance:
        yield instance


# -- the request on the wire ----------------------------------------------------------------


def test_change_clothes_with_file_parts(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    jpeg, png = image_bytes("JPEG"), image_bytes("PNG")
    result = client.change_clothes(
        model_image=jpeg, garment_image=png, category="upper_body", description="A red cotton shirt"
    )

    (call,) = fake.calls()
    assert call.path == "/api/openapi/change-clothes-ai"
    assert call.fields == {"category": "upper_body", "garmentDesc": "A red cotton shirt"}
    assert set(call.files) == {"modelImg", "garmentImg"}
    model, garment = call.files["modelImg"], call.files["garmentImg"]
    assert (model.filename, model.content_type, model.content) == ("model.jpg", "image/jpeg", jpeg)
    assert (garment.filename, garment.content_type, garment.content) == (
        "garment.png",
        "image/png",
        png,
    )
    assert call.header("Authorization") == f"Bearer {KEY}"
    assert call.header("Accept") == "application/json"
    assert call.header("Content-Type", "").startswith("multipart/form-data; boundary=")
    user_agent = call.header("User-Agent", "")
    assert user_agent == f"django-tryon/{tryon.__version__} httpx/{httpx.__version__}"
    assert call.code == 200

    assert result.image.url.startswith(fake.base_url + "/results/")
    assert result.mask is not None and result.mask.url is not None
    assert result.mask.url.endswith("-mask.webp")
    assert (result.seed, result.cache_hit, result.provider_calls) == (None, False, 1)


@pytest.mark.parametrize("description", ["", "   "])
def test_urls_are_text_fields_and_blank_description_is_omitted(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, description: str
) -> None:
    client.change_clothes(
        model_image=MODEL_URL,
        garment_image=GARMENT_URL,
        category="dresses",
        description=description,
    )
    (call,) = fake.calls()
    assert call.fields == {"modelImg": MODEL_URL, "garmentImg": GARMENT_URL, "category": "dresses"}
    assert call.files == {}
    # Multipart even without a file: the document says multipart for every request.
    assert call.header("Content-Type", "").startswith("multipart/form-data")


def test_data_uris_are_sent_verbatim(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    model = data_uri(image_bytes("JPEG"), "image/jpeg")
    garment = data_uri(image_bytes("WEBP"), "image/webp")
    client.change_clothes(
        model_image=model, garment_image=garment, category="lower_body", description="Blue jeans"
    )
    (call,) = fake.calls()
    assert call.fields == {
        "modelImg": model,
        "garmentImg": garment,
        "category": "lower_body",
        "garmentDesc": "Blue jeans",
    }


@pytest.mark.parametrize(
    ("fmt", "filename", "content_type"),
    [
        ("JPEG", "model.jpg", "image/jpeg"),
        ("PNG", "model.png", "image/png"),
        ("WEBP", "model.webp", "image/webp"),
        ("GIF", "model.gif", "image/gif"),
    ],
)
def test_file_part_type_is_sniffed_from_the_bytes(
    fake: FakeChangeClothesServer,
    client: ChangeClothesBackend,
    fmt: str,
    filename: str,
    content_type: str,
) -> None:
    client.change_clothes_by_prompt(model_image=image_bytes(fmt), prompt=PROMPT)
    part = fake.calls()[0].files["modelImg"]
    assert (part.filename, part.content_type) == (filename, content_type)


def test_cache_hit_is_reported(fake: FakeChangeClothesServer, client: ChangeClothesBackend) -> None:
    fake.cache_hit = True
    assert (
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        ).cache_hit
        is True
    )


def test_prompt_minimal_fields(fake: FakeChangeClothesServer, client: ChangeClothesBackend) -> None:
    result = client.change_clothes_by_prompt(model_image=MODEL_URL, prompt=PROMPT)
    (call,) = fake.calls("change-clothes-by-prompt")
    assert call.path == "/api/openapi/change-clothes-by-prompt"
    assert call.fields == {"modelImg": MODEL_URL, "prompt": PROMPT}
    assert isinstance(result.seed, int)
    assert result.mask is None


def test_prompt_all_fields_are_strings_as_documented(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    result = client.change_clothes_by_prompt(
        model_image=MODEL_URL,
        prompt=PROMPT,
        seed=627512067,
        randomize_seed=False,
        guidance_scale=7.5,
        num_inference_steps=28,
    )
    assert fake.calls()[0].fields == {
        "modelImg": MODEL_URL,
        "prompt": PROMPT,
        "seed": "627512067",
        "randomize_seed": "false",
        "guidance_scale": "7.5",
        "num_inference_steps": "28",
    }
    assert result.seed == 627512067


@pytest.mark.parametrize(("value", "sent"), [(50, "50"), (50.0, "50"), (1, "1"), (99.25, "99.25")])
def test_guidance_scale_formatting(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, value: float, sent: str
) -> None:
    client.change_clothes_by_prompt(
        model_image=MODEL_URL, prompt=PROMPT, guidance_scale=value, randomize_seed=True
    )
    fields = fake.calls()[0].fields
    assert fields["guidance_scale"] == sent
    assert fields["randomize_seed"] == "true"
    assert "seed" not in fields


def test_encoder_forces_multipart_for_text_only_forms() -> None:
    content_type, body = encode_multipart({"category": "dresses", "prompt": "Ünïcode"})
    boundary = content_type.split("boundary=")[1]
    assert content_type.startswith("multipart/form-data; ")
    assert (
        body
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\ndresses\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nÜnïcode\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )


def test_mock_transport_sees_one_post_to_the_right_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        data = {"resultImgUrl": "https://cdn.example.com/r.webp", "cacheHit": True}
        return httpx.Response(200, json={"code": 200, "msg": "OK", "data": data})

    client = ChangeClothesBackend(
        options_for("https://api.example.com/proxy/"), transport=httpx.MockTransport(handler)
    )
    with client:
        result = client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://api.example.com/proxy/api/openapi/change-clothes-ai"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert result == BackendResult(
        image=GeneratedImage(url="https://cdn.example.com/r.webp"),
        mask=None,
        cache_hit=True,
        provider_calls=1,
    )


# -- validation before sending ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"category": "shoes"},
        {"category": "Upper_Body"},
        {"model_image": "not a url"},
        {"model_image": "ftp://example.com/a.jpg"},
        {"model_image": "https://"},
        {"model_image": ""},
        {"model_image": b""},
        {"model_image": b"hello, not an image"},
        {"model_image": None},
        {"model_image": 42},
        {"garment_image": "data:text/plain;base64,aGVsbG8="},
        {"garment_image": "data:image/png;base64,***"},
        {"garment_image": "data:image/png;base64,"},
        {"garment_image": "data:image/png,rawbytes"},
        {"description": 5},
    ],
)
def test_change_clothes_refuses_bad_input_before_sending(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, kwargs: dict[str, object]
) -> None:
    arguments: dict[str, object] = {
        "model_image": MODEL_URL,
        "garment_image": GARMENT_URL,
        "category": "upper_body",
    }
    arguments.update(kwargs)
    with pytest.raises(ProviderInvalidInputError) as info:
        client.change_clothes(**arguments)  # type: ignore[arg-type]
    assert info.value.attempts == 0  # type: ignore[attr-defined]
    assert info.value.code == 10004
    assert fake.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": None},
        {"seed": -1},
        {"seed": 2_147_483_648},
        {"seed": True},
        {"seed": "5"},
        {"seed": 1.0},
        {"randomize_seed": "yes"},
        {"randomize_seed": 1},
        {"guidance_scale": 0},
        {"guidance_scale": 0.99},
        {"guidance_scale": 100.01},
        {"guidance_scale": float("nan")},
        {"guidance_scale": float("inf")},
        {"guidance_scale": True},
        {"guidance_scale": "7"},
        {"num_inference_steps": 0},
        {"num_inference_steps": 51},
        {"num_inference_steps": 2.5},
        {"num_inference_steps": False},
    ],
)
def test_prompt_refuses_bad_input_before_sending(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, kwargs: dict[str, object]
) -> None:
    arguments: dict[str, object] = {"model_image": MODEL_URL, "prompt": PROMPT}
    arguments.update(kwargs)
    with pytest.raises(ProviderInvalidInputError):
        client.change_clothes_by_prompt(**arguments)  # type: ignore[arg-type]
    assert fake.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": 0},
        {"seed": 2_147_483_647},
        {"guidance_scale": 1},
        {"guidance_scale": 100},
        {"num_inference_steps": 1},
        {"num_inference_steps": 50},
    ],
)
def test_prompt_bounds_are_accepted(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, kwargs: dict[str, int]
) -> None:
    client.change_clothes_by_prompt(model_image=MODEL_URL, prompt=PROMPT, **kwargs)  # type: ignore[arg-type]
    assert fake.calls()[0].code == 200


# -- errors -----------------------------------------------------------------------------------

ERROR_CLASSES = {
    500: TransientProviderError,
    10001: ProviderConfigurationError,
    10002: ProviderConfigurationError,
    10003: InsufficientCreditsError,
    10004: ProviderInvalidInputError,
    10005: HarmfulContentError,
    10006: TrialLimitError,
    20001: TransientProviderError,
    30001: ProviderConfigurationError,
    30002: ProviderConfigurationError,
}


@pytest.mark.parametrize("style", ["body", "status"])
@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_every_documented_code_in_both_places(
    fake: FakeChangeClothesServer, code: int, style: str
) -> None:
    fake.fail_next(code, style=style)  # type: ignore[arg-type]
    with make_client(fake.base_url, max_retries=0) as client:
        with pytest.raises(ProviderError) as info:
            client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )
    error = info.value
    assert type(error) is ERROR_CLASSES[code]
    assert error.code == code
    assert error.status_code == (200 if style == "body" else status_for_code(code))
    assert error.attempts == 1  # type: ignore[attr-defined]
    assert error.transient == (code in (500, 20001))
    assert fake.call_count == 1


def test_body_code_wins_over_the_http_status(fake: FakeChangeClothesServer) -> None:
    fake.respond_next({"code": 10005, "msg": "HARMFUL_CONTENT"}, status=400)
    with make_client(fake.base_url) as client, pytest.raises(HarmfulContentError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert (info.value.code, info.value.status_code, info.value.provider_msg) == (
        10005,
        400,
        "HARMFUL_CONTENT",
    )


def test_a_wrong_key_as_the_fake_answers_it(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    # Not a queued failure: the fake's own authentication check, in the status style.
    fake.error_style = "status"
    fake.api_key = "another-key"
    with pytest.raises(ProviderConfigurationError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert (info.value.code, info.value.status_code) == (30001, 401)
    assert "TRYON['API_KEY']" in str(info.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (502, TransientProviderError),
        (503, TransientProviderError),
        (500, TransientProviderError),
        (401, ProviderConfigurationError),
        (403, ProviderConfigurationError),
        (404, ProviderResponseError),
        (429, ProviderResponseError),
        (200, ProviderResponseError),
    ],
)
def test_non_json_bodies(
    fake: FakeChangeClothesServer, status: int, expected: type[ProviderError]
) -> None:
    fake.fail_next_non_json(status=status, body="<html>" + "x" * 5000 + "</html>")
    with make_client(fake.base_url, max_retries=0) as client, pytest.raises(ProviderError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert type(info.value) is expected
    assert info.value.code is None
    assert info.value.status_code == status
    assert f"HTTP {status}" in str(info.value)
    assert len(str(info.value)) < 400  # the body is quoted, not dumped


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (503, {"error": "unavailable"}, TransientProviderError),
        (200, {"msg": "OK"}, ProviderResponseError),
        (200, {"code": "nope"}, ProviderResponseError),
        (200, {"code": 200, "msg": "OK"}, ProviderResponseError),
        (200, {"code": 200, "data": {}}, ProviderResponseError),
        (200, {"code": 200, "data": {"resultImgUrl": "ftp://x/y.webp"}}, ProviderResponseError),
        (200, {"code": 200, "data": {"resultImgUrl": 5}}, ProviderResponseError),
        (200, {"code": 200, "data": ["not", "an", "object"]}, ProviderResponseError),
        (500, {"code": 200, "data": {"resultImgUrl": "https://x/y.webp"}}, TransientProviderError),
        (200, {"code": 99999, "msg": "NEW_THING"}, ProviderError),
    ],
)
def test_answers_that_break_the_format(
    fake: FakeChangeClothesServer,
    status: int,
    body: dict[str, object],
    expected: type[ProviderError],
) -> None:
    fake.respond_next(body, status=status)
    with make_client(fake.base_url, max_retries=0) as client, pytest.raises(ProviderError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert type(info.value) is expected


def test_success_tolerates_a_bad_mask_url_and_string_code(fake: FakeChangeClothesServer) -> None:
    data = {"resultImgUrl": "https://cdn.example.com/r.webp", "maskImgUrl": "", "seed": "12"}
    fake.respond_next({"code": "200", "msg": "OK", "data": data})
    with make_client(fake.base_url) as client:
        result = client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert result == BackendResult(
        GeneratedImage(url="https://cdn.example.com/r.webp"), None, None, False, provider_calls=1
    )


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["body", "status"])
@pytest.mark.parametrize("code", [500, 20001])
def test_transient_codes_are_retried_up_to_max_retries(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, code: int, style: str
) -> None:
    fake.fail_always(code, style=style)  # type: ignore[arg-type]
    with pytest.raises(TransientProviderError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert fake.call_count == 3  # 1 + MAX_RETRIES
    assert info.value.attempts == 3  # type: ignore[attr-defined]
    assert info.value.code == code


@pytest.mark.parametrize("code", [500, 20001])
def test_one_transient_failure_then_success(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, code: int
) -> None:
    fake.fail_next(code)
    result = client.change_clothes_by_prompt(model_image=MODEL_URL, prompt=PROMPT, seed=3)
    assert fake.call_count == 2
    assert result.provider_calls == 2
    assert result.seed == 3
    # Both attempts sent the same request.
    first, second = fake.calls()
    assert first.fields == second.fields


@pytest.mark.parametrize("max_retries", [0, 1, 4])
def test_max_retries_bounds_the_calls(fake: FakeChangeClothesServer, max_retries: int) -> None:
    fake.fail_always(20001)
    with make_client(fake.base_url, max_retries=max_retries) as client:
        with pytest.raises(TransientProviderError) as info:
            client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )
    assert fake.call_count == 1 + max_retries
    assert info.value.attempts == 1 + max_retries  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", [10001, 10002, 10003, 10004, 10005, 10006, 30001, 30002])
def test_final_codes_are_never_retried(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, sleeps: Sleeps, code: int
) -> None:
    fake.fail_always(code)
    with pytest.raises(ProviderError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert fake.call_count == 1
    assert info.value.attempts == 1  # type: ignore[attr-defined]
    assert sleeps == []


def test_non_json_5xx_is_retried_then_succeeds(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    fake.fail_next_non_json(status=502, times=2)
    assert (
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        ).provider_calls
        == 3
    )
    assert fake.call_count == 3


def test_non_json_4xx_is_not_retried(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    fake.fail_next_non_json(status=404, times=3)
    with pytest.raises(ProviderResponseError):
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert fake.call_count == 1


def test_backoff_doubles(fake: FakeChangeClothesServer, sleeps: Sleeps) -> None:
    fake.fail_always(500)
    with make_client(fake.base_url, sleeps, retry_backoff=0.5, max_retries=3) as client:
        with pytest.raises(TransientProviderError):
            client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )
    assert sleeps == [0.5, 1.0, 2.0]


def test_zero_backoff_does_not_sleep(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, sleeps: Sleeps
) -> None:
    fake.fail_next(500, times=2)
    client.change_clothes(model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body")
    assert sleeps == []


def test_dropped_connection_after_sending_is_not_repeated(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    # The provider got the request and hung up: it may have done (and charged) the work.
    fake.drop_connection_next()
    with pytest.raises(ProviderNoAnswerError) as info:
        client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert not info.value.transient
    assert info.value.code is None
    assert info.value.attempts == 1
    assert fake.call_count == 1


def test_connection_refused(sleeps: Sleeps) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    with make_client(base_url, sleeps, retry_backoff=0.01) as client:
        with pytest.raises(TransientProviderError) as info:
            client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.code is None
    assert info.value.attempts == 3  # type: ignore[attr-defined]
    assert sleeps == [0.01, 0.02]
    assert base_url in str(info.value)


def test_read_timeout_is_not_repeated(fake: FakeChangeClothesServer) -> None:
    fake.latency = 2.0
    with make_client(fake.base_url, timeout=0.2, max_retries=1) as client:
        with pytest.raises(ProviderNoAnswerError) as info:
            client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.attempts == 1
    assert fake.call_count == 1


# -- logging and secrecy ------------------------------------------------------------------------


def test_each_attempt_is_logged(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tryon.backends.http")
    fake.fail_next(20001, style="status")
    client.change_clothes(model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body")
    records = [r for r in caplog.records if r.name == "tryon.backends.http"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]
    failed, succeeded = (r.getMessage() for r in records)
    assert CHANGE_CLOTHES_PATH in failed
    assert "attempt 1" in failed and "code 20001" in failed and "HTTP 500" in failed
    assert "retrying" in failed
    assert "attempt 2" in succeeded and "code 200" in succeeded


def test_the_key_never_leaks(
    fake: FakeChangeClothesServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    errors: list[BaseException] = []
    client = make_client(fake.base_url, max_retries=1, timeout=0.3)

    def attempt(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except Exception as exc:
            errors.append(exc)

    def garment() -> BackendResult:
        return client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        )

    with client:
        attempt(garment)  # success
        for code in (10001, 30001, 500):
            fake.fail_next(code, style="status", times=2)
            attempt(garment)
        fake.fail_next_non_json(502, times=2, body=f"<html>{KEY}</html>")
        attempt(garment)
        fake.respond_next({"code": 10004, "msg": f"bad key {KEY}"})
        attempt(garment)
        fake.drop_connection_next(times=2)
        attempt(garment)
        fake.latency = 1.0
        attempt(garment)
        fake.latency = 0
        attempt(
            lambda: client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="hats"
            )
        )
        fake.result_status = 404
        attempt(lambda: client.download(fake.base_url + "/results/x.webp"))
        assert KEY not in repr(client) and KEY not in str(client)
    with make_client(f"http://127.0.0.1:{closed_port()}") as refused:
        attempt(lambda: refused.change_clothes_by_prompt(model_image=MODEL_URL, prompt=PROMPT))

    assert len(errors) == 10
    for error in errors:
        assert KEY not in str(error)
        assert KEY not in repr(error)
        if isinstance(error, ProviderError):
            assert KEY not in error.describe()
            assert KEY not in error.provider_msg
    assert "tryon.backends.http" in {record.name for record in caplog.records}
    assert KEY not in caplog.text
    assert all(KEY not in str(record.args) for record in caplog.records)


def test_credentials_in_the_base_url_are_not_shown() -> None:
    base_url = f"http://user:s3cr3t-pass@127.0.0.1:{closed_port()}"
    with make_client(base_url, max_retries=0) as client:
        assert "s3cr3t-pass" not in repr(client)
        with pytest.raises(TransientProviderError) as info:
            client.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )
    assert "s3cr3t-pass" not in str(info.value)


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   ", None])
def test_a_missing_key_names_the_setting(key: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRYON_API_KEY", raising=False)  # None falls back to the settings
    with override_settings(TRYON={"API_KEY": None}):
        backend = ChangeClothesBackend(options_for(api_key=key))
        with pytest.raises(TryOnConfigurationError, match=r"TRYON\['API_KEY'\]"):
            backend.change_clothes(
                model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
            )


@pytest.mark.parametrize("base_url", ["", "changeclothesai.online", "ftp://example.com"])
def test_a_bad_base_url_names_the_setting(base_url: str) -> None:
    with override_settings(TRYON={"API_KEY": KEY, "API_BASE_URL": base_url}):
        with pytest.raises(TryOnConfigurationError, match=r"TRYON\['API_BASE_URL'\]"):
            ChangeClothesBackend().configure()


def test_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    options = {
        "API_KEY": KEY,
        "API_BASE_URL": "https://proxy.example.com/",
        "TIMEOUT": 7,
        "MAX_RETRIES": 4,
        "RETRY_BACKOFF": 0.25,
        "MAX_DOWNLOAD_BYTES": 1234,
        "DOWNLOAD_TIMEOUT": 9,
    }
    with override_settings(TRYON=options):
        client = ChangeClothesBackend()
        client.configure()  # the settings are read on first use (or now)
    with client:
        assert (client.base_url, client.timeout, client.max_retries, client.retry_backoff) == (
            "https://proxy.example.com",
            7.0,
            4,
            0.25,
        )
        assert (client.max_download_bytes, client.download_timeout) == (1234, 9.0)
        assert repr(client) == "<ChangeClothesBackend base_url='https://proxy.example.com'>"


def test_from_settings_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    with override_settings(TRYON={"API_KEY": None}):
        with pytest.raises(TryOnConfigurationError, match=r"TRYON\['API_KEY'\]"):
            ChangeClothesBackend().configure()


def test_context_manager_closes_the_http_client() -> None:
    with ChangeClothesBackend(options_for()) as client:
        http = client.http
    assert http.is_closed


# -- downloads ----------------------------------------------------------------------------------


def test_download(fake: FakeChangeClothesServer, client: ChangeClothesBackend) -> None:
    result = client.change_clothes(
        model_image=image_bytes(), garment_image=GARMENT_URL, category="upper_body"
    )
    content = client.download(result.image.url)
    assert Image.open(io.BytesIO(content)).format == "WEBP"
    assert content == fake.results[result.image.url.removeprefix(fake.base_url)]
    get = fake.requests[-1]
    assert get.method == "GET"
    assert get.header("Authorization") is None  # never send the key to the CDN


def test_download_404(fake: FakeChangeClothesServer, client: ChangeClothesBackend) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        client.download(fake.base_url + "/results/gone.webp")
    assert len(fake.requests) == 1  # a 404 is final


def test_download_5xx_is_retried(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend
) -> None:
    url = client.change_clothes(
        model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
    ).image.url
    fake.result_status = 503
    with pytest.raises(DownloadError, match="HTTP 503"):
        client.download(url)
    assert [r.method for r in fake.requests] == ["POST", "GET", "GET", "GET"]


def test_download_too_large(fake: FakeChangeClothesServer) -> None:
    with make_client(fake.base_url, max_download_bytes=100) as client:
        url = client.change_clothes(
            model_image=MODEL_URL, garment_image=GARMENT_URL, category="upper_body"
        ).image.url
        with pytest.raises(DownloadError, match="MAX_DOWNLOAD_BYTES"):
            client.download(url)


def test_download_too_large_without_content_length() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers
        return httpx.Response(200, content=iter([b"x" * 60, b"x" * 60]))  # streamed, no length

    client = ChangeClothesBackend(
        options_for(MAX_RETRIES=0, RESULT_HOSTS=["cdn.example.com"]),
        transport=httpx.MockTransport(handler),
    )
    client.max_download_bytes = 100
    with client, pytest.raises(DownloadError, match="larger than 100 bytes"):
        client.download("https://cdn.example.com/r.webp")


@pytest.mark.parametrize("url", ["ftp://cdn.example.com/r.webp", "file:///etc/passwd", "/r.webp"])
def test_download_only_http_urls(
    fake: FakeChangeClothesServer, client: ChangeClothesBackend, url: str
) -> None:
    with pytest.raises(DownloadError, match="http"):
        client.download(url)
    assert fake.requests == []


def test_download_connection_refused_is_retried(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{closed_port()}/results/r.webp"
    # The API's own host (loopback), so the result URL is one it may download.
    with make_client("http://127.0.0.1:9", sleeps, retry_backoff=0.01) as client:
        with pytest.raises(DownloadError) as info:
            client.download(url)
    assert "3 attempts" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert sleeps == [0.01, 0.02]
