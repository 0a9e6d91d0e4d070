"""The fake provider follows the documented wire format (checked with httpx's own encoder)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tryon.testing import (
    CHANGE_CLOTHES_BY_PROMPT_PATH,
    CHANGE_CLOTHES_PATH,
    ERROR_MESSAGES,
    FakeChangeClothesServer,
    status_for_code,
)

KEY = "fake-server-test-key"
URL = "https://cdn.example.com/model.jpg"


def image_bytes(fmt: str = "JPEG", colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), colour).save(out, format=fmt)
    return out.getvalue()


def data_uri(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


# One client for the module: building one per request (an SSL context each) is slow.
http = httpx.Client(timeout=5)


def teardown_module() -> None:
    http.close()


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key=KEY) as server:
        yield server


def post(
    fake: FakeChangeClothesServer,
    path: str = CHANGE_CLOTHES_PATH,
    fields: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    authorization: str | None = f"Bearer {KEY}",
) -> httpx.Response:
    """POST multipart/form-data, text fields as parts without a filename."""
    parts: list[tuple[str, tuple[str | None, str | bytes] | tuple[str, bytes, str]]] = [
        (name, (None, value)) for name, value in (fields or {}).items()
    ]
    parts += list((files or {}).items())
    headers = {"Authorization": authorization} if authorization is not None else {}
    return http.post(fake.base_url + path, files=parts, headers=headers)


def garment_fields(**overrides: str) -> dict[str, str]:
    fields = {"modelImg": URL, "garmentImg": URL, "category": "upper_body"}
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value != "<omit>"}


def prompt_fields(**overrides: str) -> dict[str, str]:
    fields = {"modelImg": URL, "prompt": "Help the model change into a blue striped shirt."}
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value != "<omit>"}


def body_code(response: httpx.Response) -> int:
    code = response.json()["code"]
    assert isinstance(code, int)
    return code


def open_webp(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    assert image.format == "WEBP"
    return image


# -- success ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["url", "data_uri", "file"])
def test_garment_endpoint_accepts_each_image_form_and_serves_webp(
    fake: FakeChangeClothesServer, form: str
) -> None:
    jpeg = image_bytes("JPEG")
    fields = {"category": "dresses", "garmentDesc": "A long green dress"}
    files: dict[str, tuple[str, bytes, str]] = {}
    if form == "url":
        fields |= {"modelImg": URL, "garmentImg": URL}
    elif form == "data_uri":
        fields |= {
            "modelImg": data_uri(jpeg, "image/jpeg"),
            "garmentImg": data_uri(image_bytes("PNG")),
        }
    else:
        files = {
            "modelImg": ("m.jpg", jpeg, "image/jpeg"),
            "garmentImg": ("g.png", image_bytes("PNG"), "image/png"),
        }

    response = post(fake, fields=fields, files=files)

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 200 and body["msg"] == "OK"
    data = body["data"]
    assert set(data) == {"resultImgUrl", "maskImgUrl", "cacheHit"}
    assert data["cacheHit"] is False
    assert data["resultImgUrl"].startswith(fake.base_url + "/results/")
    assert data["resultImgUrl"].endswith(".webp")
    for url in (data["resultImgUrl"], data["maskImgUrl"]):
        result = http.get(url)
        assert result.status_code == 200
        assert result.headers["Content-Type"] == "image/webp"
        open_webp(result.content)


def test_result_is_built_from_the_uploaded_model_photo(fake: FakeChangeClothesServer) -> None:
    model = Image.new("RGB", (300, 400), (10, 200, 10))
    out = io.BytesIO()
    model.save(out, format="PNG")
    files = {"modelImg": ("m.png", out.getvalue(), "image/png")}
    response = post(fake, fields={"garmentImg": URL, "category": "lower_body"}, files=files)
    result = open_webp(http.get(response.json()["data"]["resultImgUrl"]).content)
    assert result.size == (300, 400)
    # Outside the garment area the picture is still the model's green.
    red, green, _blue = result.convert("RGB").getpixel((5, 5))  # type: ignore[misc]
    assert green > 150 and red < 60


def test_prompt_endpoint_echoes_the_seed_unless_randomized(fake: FakeChangeClothesServer) -> None:
    fields = prompt_fields(
        seed="627512067", randomize_seed="false", guidance_scale="7.5", num_inference_steps="28"
    )
    data = post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, fields).json()["data"]
    assert set(data) == {"resultImgUrl", "seed"}
    assert data["seed"] == 627512067
    open_webp(http.get(data["resultImgUrl"]).content)

    randomized = prompt_fields(seed="1", randomize_seed="true")
    seeds = {
        post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, randomized).json()["data"]["seed"]
        for _ in range(3)
    }
    assert all(isinstance(seed, int) and 0 <= seed <= 2_147_483_647 for seed in seeds)
    assert seeds != {1}


def test_cache_hit_knob(fake: FakeChangeClothesServer) -> None:
    fake.cache_hit = True
    assert post(fake, fields=garment_fields()).json()["data"]["cacheHit"] is True


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["modelImg", "garmentImg", "category"])
def test_garment_endpoint_required_fields(fake: FakeChangeClothesServer, missing: str) -> None:
    response = post(fake, fields=garment_fields(**{missing: "<omit>"}))
    assert response.status_code == 200
    assert response.json() == {"code": 10004, "msg": "INVALID_PARAM"}
    assert missing in fake.calls()[0].error


@pytest.mark.parametrize("missing", ["modelImg", "prompt"])
def test_prompt_endpoint_required_fields(fake: FakeChangeClothesServer, missing: str) -> None:
    response = post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, prompt_fields(**{missing: "<omit>"}))
    assert body_code(response) == 10004


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("category", "shoes"),
        ("category", "Upper_Body"),
        ("garmentDesc", ""),  # the document says to omit it
        ("garmentDesc", "   "),
        ("modelImg", "ftp://example.com/a.jpg"),
        ("modelImg", "not a url"),
        ("garmentImg", "data:text/plain;base64,aGVsbG8="),
        ("garmentImg", "data:image/png;base64,!!!notbase64"),
        ("garmentImg", data_uri(b"this is not an image")),
    ],
)
def test_garment_endpoint_rejects_bad_values(
    fake: FakeChangeClothesServer, name: str, value: str
) -> None:
    assert body_code(post(fake, fields=garment_fields(**{name: value}))) == 10004


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("prompt", ""),
        ("prompt", "   "),
        ("seed", "-1"),
        ("seed", "2147483648"),
        ("seed", "1.5"),
        ("seed", "abc"),
        ("randomize_seed", "True"),
        ("randomize_seed", "1"),
        ("guidance_scale", "0"),
        ("guidance_scale", "0.5"),
        ("guidance_scale", "100.5"),
        ("guidance_scale", "nan"),
        ("guidance_scale", "abc"),
        ("num_inference_steps", "0"),
        ("num_inference_steps", "51"),
        ("num_inference_steps", "2.0"),
    ],
)
def test_prompt_endpoint_rejects_out_of_range_values(
    fake: FakeChangeClothesServer, name: str, value: str
) -> None:
    response = post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, prompt_fields(**{name: value}))
    assert body_code(response) == 10004
    assert name in fake.calls()[0].error


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seed", "0"),
        ("seed", "2147483647"),
        ("guidance_scale", "1"),
        ("guidance_scale", "100"),
        ("guidance_scale", "7.5"),
        ("num_inference_steps", "1"),
        ("num_inference_steps", "50"),
    ],
)
def test_prompt_endpoint_accepts_range_bounds(
    fake: FakeChangeClothesServer, name: str, value: str
) -> None:
    response = post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, prompt_fields(**{name: value}))
    assert body_code(response) == 200


def test_a_file_that_is_not_an_image_is_invalid(fake: FakeChangeClothesServer) -> None:
    files = {"modelImg": ("m.jpg", b"\xff\xd8\xff but not really a jpeg", "image/jpeg")}
    assert body_code(post(fake, fields=garment_fields(modelImg="<omit>"), files=files)) == 10004


def test_unknown_fields_are_invalid(fake: FakeChangeClothesServer) -> None:
    assert body_code(post(fake, fields=garment_fields(garment_desc="typo"))) == 10004
    # A field of the other endpoint is unknown here too.
    other = post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, prompt_fields(category="dresses"))
    assert body_code(other) == 10004
    assert "unknown fields: garment_desc" in fake.calls()[0].error


def test_text_field_sent_as_a_file_is_invalid(fake: FakeChangeClothesServer) -> None:
    files = {"category": ("c.txt", b"upper_body", "text/plain")}
    assert body_code(post(fake, fields=garment_fields(category="<omit>"), files=files)) == 10004


def test_a_field_sent_twice_is_invalid(fake: FakeChangeClothesServer) -> None:
    parts = [(name, (None, value)) for name, value in garment_fields().items()]
    parts.append(("category", (None, "dresses")))
    response = http.post(
        fake.base_url + CHANGE_CLOTHES_PATH, files=parts, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert body_code(response) == 10004


def test_a_body_that_is_not_multipart_is_invalid(fake: FakeChangeClothesServer) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    url = fake.base_url + CHANGE_CLOTHES_PATH
    urlencoded = http.post(url, data=garment_fields(), headers=headers)
    as_json = http.post(url, json=garment_fields(), headers=headers)
    assert body_code(urlencoded) == 10004
    assert body_code(as_json) == 10004
    assert "multipart" in fake.calls()[0].error


# -- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, 10001),
        ("", 10001),
        (f"Basic {KEY}", 10001),
        ("Bearer", 10001),
        ("Bearer wrong-key", 30001),
        (f"Bearer {KEY}x", 30001),
    ],
)
def test_authentication(
    fake: FakeChangeClothesServer, authorization: str | None, code: int
) -> None:
    response = post(fake, fields=garment_fields(), authorization=authorization)
    assert response.status_code == 200
    assert response.json() == {"code": code, "msg": ERROR_MESSAGES[code]}


def test_authentication_is_checked_before_the_fields(fake: FakeChangeClothesServer) -> None:
    assert body_code(post(fake, fields={"category": "nope"}, authorization=None)) == 10001


def test_status_error_style_answers_an_http_error_with_the_same_json(
    fake: FakeChangeClothesServer,
) -> None:
    fake.error_style = "status"
    unauthorised = post(fake, fields=garment_fields(), authorization="Bearer wrong")
    invalid = post(fake, fields=garment_fields(category="hats"))
    assert unauthorised.status_code == 401
    assert unauthorised.json() == {"code": 30001, "msg": "INVALID_API_KEY"}
    assert invalid.status_code == 400
    assert invalid.json() == {"code": 10004, "msg": "INVALID_PARAM"}


# -- knobs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (500, 500),
        (10001, 401),
        (10002, 401),
        (10003, 402),
        (10004, 400),
        (10005, 422),
        (10006, 402),
        (20001, 500),
        (30001, 401),
        (30002, 401),
    ],
)
def test_status_for_code(code: int, status: int) -> None:
    assert status_for_code(code) == status


def test_fail_next_body_style_then_success(fake: FakeChangeClothesServer) -> None:
    fake.fail_next(10003, times=2)
    first = post(fake, fields=garment_fields())
    second = post(fake, fields=garment_fields())
    third = post(fake, fields=garment_fields())
    assert first.status_code == 200
    assert first.json() == {"code": 10003, "msg": "INSUFFICIENT_CREDITS"}
    assert body_code(second) == 10003
    assert body_code(third) == 200
    assert [call.code for call in fake.calls()] == [10003, 10003, 200]


def test_fail_next_status_style(fake: FakeChangeClothesServer) -> None:
    fake.fail_next(20001, style="status")
    response = post(fake, fields=garment_fields())
    assert response.status_code == 500
    assert response.json() == {"code": 20001, "msg": "TRY_ON_EXCEPTION"}
    assert fake.calls()[0].status == 500


def test_queued_failures_apply_before_authentication(fake: FakeChangeClothesServer) -> None:
    fake.fail_next(500)
    assert body_code(post(fake, fields=garment_fields(), authorization=None)) == 500


def test_fail_always_and_reset(fake: FakeChangeClothesServer) -> None:
    fake.fail_always(10005, style="status")
    responses = [post(fake, fields=garment_fields()) for _ in range(3)]
    assert [(r.status_code, body_code(r)) for r in responses] == [(422, 10005)] * 3
    fake.reset_failures()
    assert body_code(post(fake, fields=garment_fields())) == 200
    assert fake.call_count == 4


def test_fail_next_takes_precedence_over_fail_always(fake: FakeChangeClothesServer) -> None:
    fake.fail_always(500)
    fake.fail_next(10004)
    codes = [body_code(post(fake, fields=garment_fields())) for _ in range(2)]
    assert codes == [10004, 500]


def test_fail_next_non_json(fake: FakeChangeClothesServer) -> None:
    fake.fail_next_non_json(status=502)
    response = post(fake, fields=garment_fields())
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert body_code(post(fake, fields=garment_fields())) == 200


def test_respond_next_sends_exactly_that(fake: FakeChangeClothesServer) -> None:
    fake.respond_next({"code": 200, "msg": "OK"}, status=200)
    assert post(fake, fields=garment_fields()).json() == {"code": 200, "msg": "OK"}


def test_drop_connection_next(fake: FakeChangeClothesServer) -> None:
    fake.drop_connection_next()
    with pytest.raises(httpx.RemoteProtocolError):
        post(fake, fields=garment_fields())
    assert fake.calls()[0].status is None
    assert body_code(post(fake, fields=garment_fields())) == 200


def test_latency_and_hang_are_applied_and_recorded(fake: FakeChangeClothesServer) -> None:
    fake.latency = 0.01
    fake.hang_next(0.02)
    post(fake, fields=garment_fields())
    post(fake, fields=garment_fields())
    first, second = fake.calls()
    assert first.latency == pytest.approx(0.03)
    assert second.latency == pytest.approx(0.01)
    assert first.code == second.code == 200


def test_result_status_knob_and_unknown_results(fake: FakeChangeClothesServer) -> None:
    url = post(fake, fields=garment_fields()).json()["data"]["resultImgUrl"]
    fake.result_status = 404
    assert http.get(url).status_code == 404
    fake.result_status = 200
    assert http.get(url).status_code == 200
    assert http.get(fake.base_url + "/results/nope.webp").status_code == 404


def test_unknown_api_path_is_404_and_not_a_call(fake: FakeChangeClothesServer) -> None:
    response = post(fake, "/api/openapi/change-shoes", garment_fields())
    assert response.status_code == 404
    assert fake.call_count == 0
    assert len(fake.requests) == 1


# -- recording ------------------------------------------------------------------------------


def test_requests_are_recorded_in_detail(fake: FakeChangeClothesServer) -> None:
    jpeg = image_bytes("JPEG")
    post(
        fake,
        fields={"garmentImg": URL, "category": "upper_body", "garmentDesc": "Red shirt"},
        files={"modelImg": ("person.jpg", jpeg, "image/jpeg")},
    )
    fake.fail_next(10004)
    post(fake, CHANGE_CLOTHES_BY_PROMPT_PATH, prompt_fields(seed="7"))
    http.get(fake.base_url + "/results/missing.webp")

    first, second, get = fake.requests
    assert (first.method, first.path) == ("POST", CHANGE_CLOTHES_PATH)
    assert first.endpoint == "change-clothes-ai"
    assert first.fields == {
        "garmentImg": URL,
        "category": "upper_body",
        "garmentDesc": "Red shirt",
    }
    assert set(first.files) == {"modelImg"}
    recorded = first.files["modelImg"]
    assert (recorded.filename, recorded.content_type) == ("person.jpg", "image/jpeg")
    assert recorded.content == jpeg
    assert first.header("authorization") == f"Bearer {KEY}"
    assert first.header("AUTHORIZATION") == first.headers["Authorization"]
    assert first.headers["authorization"] == first.headers.get("AuThOrIzAtIoN")
    assert "Authorization" in first.headers and "X-Missing" not in first.headers
    assert first.header("X-Missing") is None
    assert first.header("X-Missing", "none") == "none"
    assert first.received_at > 0
    assert second.fields["seed"] == "7" and second.code == 10004
    assert (get.method, get.status, get.endpoint) == ("GET", 404, None)
    assert fake.calls("change-clothes-by-prompt") == [second]
    assert fake.calls(CHANGE_CLOTHES_PATH) == [first]
    assert fake.call_count == 2
    fake.clear_requests()
    assert fake.requests == []


def test_start_stop_lifecycle() -> None:
    fake = FakeChangeClothesServer()
    with pytest.raises(RuntimeError):
        fake.base_url
    fake.start()
    try:
        assert fake.start() is fake  # idempotent
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.api_key == "fake-api-key"
        assert fake.base_url in repr(fake)
    finally:
        fake.stop()
    fake.stop()  # idempotent
    assert "stopped" in repr(fake)
