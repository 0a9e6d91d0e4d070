"""Issue 13's table, row by row: each attack gets a JSON answer and leaves nothing behind.

Rows 1, 2 and 4-9 (row 3, dedup across shoppers, is tested with the dedup code). For
a refusal: the JSON 4xx, no new row, no new file, no provider call (``Snapshot``).
"""

from __future__ import annotations

import io
import json
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import include, path
from PIL import Image

from tests import images
from tests.conftest import make_garment, run_queued, tryon_settings_for
from tests.hostile_corpus import (
    TRAILER_MARKS,
    TRAILERS,
    attack_png,
    clean_jpeg,
    clean_jpeg_with_trailer,
)
from tests.test_hostile_input import Snapshot
from tryon.models import Garment, ModelPhoto, TryOn
from tryon.testing import FakeChangeClothesServer

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_URL = "/tryon/api/tryons/"
CSRF = "HostileTrustCsrfToken0123456789a"  # 32 letters and digits, as Django makes them


def shopper() -> Client:
    """A browser with only a CSRF cookie: no session yet."""
    client = Client(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=CSRF)
    client.cookies["csrftoken"] = CSRF
    return client


def upload_fields(garment: Garment, content: bytes, name: str = "me.jpg") -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "garment": garment.pk,
        "model_image": SimpleUploadedFile(name, content, "image/jpeg"),
        "consent": "true",
    }


def json_refusal(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert isinstance(body, dict) and body
    return body


def stored_upload() -> bytes:
    photo = ModelPhoto.objects.get(is_preset=False)
    with photo.image.open("rb") as handle:
        return handle.read()


# -- row 1: bytes after the end of a clean JPEG ------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TRAILERS))
def test_1_a_trailer_after_a_clean_jpeg_is_neither_stored_nor_sent(
    kind: str, fake: Any, garment: Garment, task_queue: Any
) -> None:
    data = clean_jpeg_with_trailer(kind)
    response = shopper().post(CREATE_URL, upload_fields(garment, data))
    assert response.status_code == 202, response.content[:300]
    stored = stored_upload()
    assert TRAILER_MARKS[kind] not in stored and stored.endswith(b"\xff\xd9")
    assert b"GPS" not in stored
    run_queued(task_queue)
    [call] = fake.calls()
    sent = call.files["modelImg"].content
    assert sent == stored
    assert TRAILER_MARKS[kind] not in sent
    Image.open(io.BytesIO(sent)).verify()


def test_1_a_14_mb_trailer_is_dropped(fake: Any, garment: Garment) -> None:
    data = clean_jpeg() + b"PK\x03\x04" + b"\x00" * (14 * 1024 * 1024)
    response = shopper().post(CREATE_URL, upload_fields(garment, data))
    assert response.status_code == 202
    assert len(stored_upload()) < 200_000


def test_1_a_clean_jpeg_is_stored_as_sent(fake: Any, garment: Garment) -> None:
    data = clean_jpeg()
    assert shopper().post(CREATE_URL, upload_fields(garment, data)).status_code == 202
    assert stored_upload() == data  # provably the same bytes, up to the end of the image


# -- row 2: memory amplification ---------------------------------------------------------------


def test_2_eight_uploads_of_the_16_bit_png_are_refused_undecoded(
    fake: Any, garment: Garment, settings: Any, decoded_sizes: list[Any]
) -> None:
    data = attack_png()
    assert len(data) < 200_000
    before = Snapshot(settings)
    for _ in range(8):
        response = shopper().post(CREATE_URL, upload_fields(garment, data, "deep.png"))
        errors = json_refusal(response, 400)
        assert "too large to process" in " ".join(errors["model_image"])
    before.assert_unchanged(fake)
    assert decoded_sizes == []


# -- row 4: downloads only from the provider ---------------------------------------------------


@pytest.fixture
def provider_on_localhost() -> Any:
    """The fake, configured by the name ``localhost``: 127.0.0.1 is then another host."""
    with FakeChangeClothesServer(api_key="sk-row-4-key-0123456789") as server:
        settings = tryon_settings_for(server, API_KEY=server.api_key)
        settings["API_BASE_URL"] = f"http://localhost:{server.port}"
        with override_settings(TRYON=settings):
            yield server


@pytest.mark.parametrize(
    "result_url",
    [
        "http://127.0.0.1:{port}/results/x.webp",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.5/x.webp",
        "https://evil.example.net/x.webp",
    ],
)
def test_4_a_result_url_off_the_providers_hosts_is_never_fetched(
    result_url: str,
    provider_on_localhost: FakeChangeClothesServer,
    garment: Garment,
    preset: Any,
    task_queue: Any,
) -> None:
    fake = provider_on_localhost
    url = result_url.format(port=fake.port)
    fake.respond_next({"code": 200, "msg": "OK", "data": {"resultImgUrl": url}})
    response = shopper().post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, "application/json"
    )
    assert response.status_code == 202
    run_queued(task_queue)
    tryon = TryOn.objects.get()
    assert tryon.status == TryOn.Status.FAILED
    assert "RESULT_HOSTS" in tryon.error_message
    assert not tryon.result_image
    assert [request.method for request in fake.requests] == ["POST"]  # no GET anywhere


# -- row 5: numbers that overflow, deep nesting -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{{"garment": 1e309, "model_photo": "{preset}"}}', "garment"),
        ('{{"garment": -1e309, "model_photo": "{preset}"}}', "garment"),
        ('{{"garment": 123456789012345678901234567890, "model_photo": "{preset}"}}', "garment"),
        ('{{"garment": {garment}, "model_photo": "{preset}", "seed": 1e309}}', "seed"),
    ],
)
def test_5_numbers_that_overflow_are_field_errors(
    body: str, field: str, fake: Any, garment: Garment, preset: Any, settings: Any
) -> None:
    before = Snapshot(settings)
    raw = body.format(garment=garment.pk, preset=preset.pk)
    response = shopper().post(CREATE_URL, raw, content_type="application/json")
    assert field in json_refusal(response, 400)
    before.assert_unchanged(fake)


@pytest.mark.parametrize(
    ("depth", "status"),
    [(100_000, 413), (10_000, 400), (2_000, 400)],  # 100,000 deep is a 200 kB body: too large
)
def test_5_json_nested_deep_is_refused_in_json(
    depth: int, status: int, fake: Any, settings: Any
) -> None:
    before = Snapshot(settings)
    for raw in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = shopper().post(CREATE_URL, raw, content_type="application/json")
        assert "detail" in json_refusal(response, status)
    before.assert_unchanged(fake)


# -- row 6: one session before the first upload ------------------------------------------------


def product_page(request: HttpRequest, pk: int) -> HttpResponse:
    garment = Garment.objects.get(pk=pk)
    page = Template("{% load tryon %}<main>{% tryon_widget garment %}</main>")
    return HttpResponse(page.render(Context({"request": request, "garment": garment})))


urlpatterns = [
    path("tryon/", include("tryon.urls")),
    path("product/<int:pk>/", product_page),
]


def parallel_uploads(cookies: SimpleCookie, garment: Garment, count: int = 3) -> set[str]:
    """``count`` uploads sent together: each carries the cookies the browser had then."""
    for _ in range(count):
        client = Client(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=CSRF)
        client.cookies = SimpleCookie(cookies.output(header="", sep=";"))
        response = client.post(CREATE_URL, upload_fields(garment, images.person_photo()))
        assert response.status_code == 202, response.content[:200]
    return set(ModelPhoto.objects.filter(is_preset=False).values_list("session_key", flat=True))


@override_settings(ROOT_URLCONF=__name__)
def test_6_the_widgets_page_starts_the_session_so_parallel_uploads_share_it(
    fake: Any, garment: Garment
) -> None:
    browser = shopper()
    page = browser.get(f"/product/{garment.pk}/")
    assert page.status_code == 200 and b"tryon" in page.content
    assert "sessionid" in page.cookies  # set with the page, before any upload
    sessions = parallel_uploads(browser.cookies, garment)
    assert sessions == {page.cookies["sessionid"].value}


def test_6_model_photos_starts_the_session_for_front_ends_of_their_own(
    fake: Any, garment: Garment, preset: Any
) -> None:
    browser = shopper()
    response = browser.get("/tryon/api/model-photos/")
    assert response.status_code == 200 and "sessionid" in response.cookies
    assert parallel_uploads(browser.cookies, garment) == {response.cookies["sessionid"].value}


def test_6_without_a_session_first_each_parallel_upload_makes_its_own(
    fake: Any, garment: Garment
) -> None:
    # Why the page must set it: the server cannot tell three cookieless uploads apart.
    assert len(parallel_uploads(shopper().cookies, garment)) == 3


# -- row 7: loose ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        1.0,
        "١",
        "１",
        "1.5",
        "1e0",
        " 1",
        "+1",
        "0x1",
        True,
        False,
        [1],
        {"id": 1},
        2**64,
        -1,
        0,
    ],
    ids=repr,
)
def test_7_a_garment_id_is_an_integer_and_nothing_else(
    value: Any, fake: Any, preset: Any, settings: Any
) -> None:
    Garment.objects.all().delete()
    make_garment(pk=1)  # the garment 1.5, "١" and true would have been taken for
    before = Snapshot(settings)
    response = shopper().post(
        CREATE_URL,
        json.dumps({"garment": value, "model_photo": str(preset.pk)}),
        content_type="application/json",
    )
    assert "garment" in json_refusal(response, 400)
    before.assert_unchanged(fake)


@pytest.mark.parametrize("value", ["١", "1.5", "1e0", "", "garment"])
def test_7_form_ids_too(
    value: str, fake: Any, garment: Garment, preset: Any, settings: Any
) -> None:
    before = Snapshot(settings)
    response = shopper().post(CREATE_URL, {"garment": value, "model_photo": str(preset.pk)})
    assert "garment" in json_refusal(response, 400)
    before.assert_unchanged(fake)


# -- row 8: refusals that were Django's HTML pages ---------------------------------------------


def multipart(filename: str, content: bytes, boundary: str = "HostileBoundary") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="consent"\r\n\r\ntrue\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="model_image"; filename="{filename}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.mark.parametrize(
    "filename", ["a" * 5000 + ".jpg", "x." + "a" * 5000, "é" * 3000], ids=["name", "ext", "utf8"]
)
def test_8_a_5000_character_filename(filename: str, fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    response = shopper().generic(
        "POST",
        CREATE_URL,
        multipart(filename, images.person_photo()),
        content_type="multipart/form-data; boundary=HostileBoundary",
    )
    json_refusal(response, 400)
    before.assert_unchanged(fake)


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\x00"],
)
def test_8_multipart_without_a_usable_boundary(content_type: str, fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    body = multipart("me.jpg", images.person_photo())
    response = shopper().generic("POST", CREATE_URL, body, content_type=content_type)
    assert "detail" in json_refusal(response, 400)
    before.assert_unchanged(fake)


def test_8_a_100_mb_multipart_body_is_refused_unread(fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    # Declared, not sent: it is refused by its length before a byte is read.
    response = shopper().generic(
        "POST",
        CREATE_URL,
        multipart("me.jpg", b"\xff\xd8\xff" + b"\x00" * 1000),
        content_type="multipart/form-data; boundary=HostileBoundary",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    errors = json_refusal(response, 400)
    assert "larger than" in " ".join(errors["model_image"])
    before.assert_unchanged(fake)


def test_8_a_20_mb_multipart_body_is_refused(fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    body = multipart("me.jpg", images.person_photo() + b"\x00" * (20 * 1024 * 1024))
    response = shopper().generic(
        "POST", CREATE_URL, body, content_type="multipart/form-data; boundary=HostileBoundary"
    )
    assert "model_image" in json_refusal(response, 400)
    before.assert_unchanged(fake)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"prompt": "' + b"x" * 3_000_000 + b'"}'),
        ("application/x-www-form-urlencoded", b"prompt=" + b"x" * 3_000_000),
        ("application/json", b" " * (100 * 1024)),
    ],
    ids=["json", "form", "json-whitespace"],
)
def test_8_a_large_json_or_form_body_is_413(
    content_type: str, body: bytes, fake: Any, settings: Any
) -> None:
    before = Snapshot(settings)
    response = shopper().generic("POST", CREATE_URL, body, content_type=content_type)
    assert "detail" in json_refusal(response, 413)
    before.assert_unchanged(fake)


def test_8_too_many_form_fields(fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    body = "&".join(f"f{n}=1" for n in range(2000)).encode()
    response = shopper().generic(
        "POST", CREATE_URL, body, content_type="application/x-www-form-urlencoded"
    )
    assert "detail" in json_refusal(response, 400)
    before.assert_unchanged(fake)


def test_8_an_unknown_media_type_is_415_json(fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    response = shopper().generic("POST", CREATE_URL, b"<x/>", content_type="application/xml")
    assert "detail" in json_refusal(response, 415)
    before.assert_unchanged(fake)


@pytest.mark.parametrize(
    "path",
    [
        "/tryon/api/tryons/not-a-uuid/",
        "/tryon/api/tryons/a%0Ab/",
        "/tryon/api/garments/1.5/previews/",
    ],
)
def test_8_a_malformed_id_in_the_url_is_a_json_404(path: str, fake: Any) -> None:
    response = shopper().get(path)
    assert "detail" in json_refusal(response, 404)


def test_8_a_browser_asking_for_html_still_gets_json(fake: Any, settings: Any) -> None:
    before = Snapshot(settings)
    response = shopper().post(CREATE_URL, {}, HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("application/json")
    assert response.status_code in (400, 406)
    before.assert_unchanged(fake)


# -- row 9: the schema ------------------------------------------------------------------------


@pytest.fixture
def schema() -> dict[str, Any]:
    pytest.importorskip("drf_spectacular")
    response = Client().get("/tryon/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return json.loads(response.content)


def test_9_the_schema_lists_the_error_answers(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    create = paths["/tryon/api/tryons/"]["post"]["responses"]
    assert {"400", "403", "413", "415", "429", "503"} <= set(create)
    assert "Retry-After" in create["429"]["headers"] and "Retry-After" in create["503"]["headers"]
    assert {"403", "404"} <= set(paths["/tryon/api/tryons/{id}/"]["get"]["responses"])
    assert {"403", "404"} <= set(paths["/tryon/api/tryons/{id}/"]["delete"]["responses"])
    assert "404" in paths["/tryon/api/garments/{id}/previews/"]["get"]["responses"]
    assert {"Error", "FieldErrors"} <= set(schema["components"]["schemas"])


def test_9_public_gets_need_no_authentication(schema: dict[str, Any]) -> None:
    for path_ in ("/tryon/api/model-photos/", "/tryon/api/garments/{id}/previews/"):
        assert {} in schema["paths"][path_]["get"]["security"]


def test_9_a_post_with_no_fields_is_not_schema_valid(schema: dict[str, Any]) -> None:
    create = schema["paths"]["/tryon/api/tryons/"]["post"]["requestBody"]
    assert create["required"] is True
    for name in ("TryOnCreateRequest", "TryOnCreateFormRequest"):
        requirements = json.dumps(schema["components"]["schemas"][name]["allOf"])
        for field in ("garment", "prompt", "model_photo"):
            assert f'"required": ["{field}"' in requirements
    form = json.dumps(schema["components"]["schemas"]["TryOnCreateFormRequest"]["allOf"])
    assert '"required": ["model_image", "consent"]' in form
