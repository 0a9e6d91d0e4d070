"""Untrusted pictures: no trailing bytes kept, decoding within a memory budget and a
bounded number of decodes at once (issue 13, rows 1 and 2)."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation
from PIL import Image

from tests import images as t
from tests.hostile_corpus import (
    TRAILER_MARKS,
    TRAILERS,
    attack_png,
    clean_jpeg,
    clean_jpeg_with_trailer,
)
from tryon.exceptions import InvalidImageError
from tryon.images import normalize as normalize_module
from tryon.images import normalize_image
from tryon.images.budget import bytes_per_pixel, decode_cost
from tryon.images.decode import bounded_size, draft_for
from tryon.images.decoders import run_decoding
from tryon.images.jpeg import buffers_whole_image, clean_jpeg_size
from tryon.images.probe import open_checked


def tryon_settings(**values: object) -> override_settings:
    return override_settings(TRYON={**settings.TRYON, **values})


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def after_soi(data: bytes, extra: bytes) -> bytes:
    return data[:2] + extra + data[2:]


# -- the clean-JPEG shortcut -------------------------------------------------------------------


def test_a_clean_jpeg_is_kept_byte_for_byte() -> None:
    data = clean_jpeg()
    assert clean_jpeg_size(data) == (600, 900)
    assert normalize_image(data).content == data


@pytest.mark.parametrize("kind", sorted(TRAILERS))
def test_bytes_after_the_end_of_the_image_are_never_kept(kind: str) -> None:
    data = clean_jpeg_with_trailer(kind)
    assert clean_jpeg_size(data) is None
    result = normalize_image(data)
    assert TRAILER_MARKS[kind] not in result.content
    assert result.content.endswith(b"\xff\xd9") and clean_jpeg_size(result.content) is not None
    assert (result.width, result.height) == (600, 900)


def test_a_large_trailer_is_dropped_too() -> None:
    data = clean_jpeg() + b"\x00<script>" * 1_000_000  # 10 MB after the picture
    assert len(normalize_image(data).content) < 200_000


def test_a_second_picture_inside_the_scan_is_not_kept() -> None:
    data = clean_jpeg()
    hidden = data[:-2] + t.gps_exif_jpeg(64, 48) + b"\xff\xd9"
    assert clean_jpeg_size(hidden) is None
    try:
        assert b"GPS" not in normalize_image(hidden).content
    except InvalidImageError:
        pass  # or refused as damaged: either way it is not kept


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda d: after_soi(d, segment(0xFE, b"a comment")), id="comment"),
        pytest.param(
            lambda d: after_soi(d, segment(0xE1, b"Exif\x00\x00<script>")), id="app1-exif"
        ),
        pytest.param(
            lambda d: d[:20] + b"\x02\x02" + b"\x00" * 12 + d[20:],  # a 2x2 JFIF thumbnail
            id="jfif-thumbnail",
        ),
        pytest.param(
            lambda d: d[:4] + (16 + 64).to_bytes(2, "big") + d[6:20] + b"<script>" * 8 + d[20:],
            id="jfif-padded",
        ),
        pytest.param(lambda d: d[:-2] + b"\xff\xd9\xff\xd9", id="two-end-markers"),
        pytest.param(lambda d: d + b"\n", id="newline-after"),
    ],
)
def test_anything_but_the_picture_is_not_clean(build: Any) -> None:
    data = build(clean_jpeg())
    assert clean_jpeg_size(data) is None


def test_a_progressive_or_metadata_jpeg_is_re_encoded_as_a_clean_one() -> None:
    progressive = t.encode(t.person_image(), "JPEG", quality=90, progressive=True)
    assert clean_jpeg_size(progressive) is None
    result = normalize_image(progressive)
    assert clean_jpeg_size(result.content) == (600, 900)
    assert "progressive" not in Image.open(io.BytesIO(result.content)).info


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(clean_jpeg, id="clean"),
        pytest.param(lambda: clean_jpeg_with_trailer("gps-jpeg"), id="trailer"),
        pytest.param(lambda: t.gps_exif_jpeg(), id="gps"),
        pytest.param(lambda: t.sixteen_bit_png(600, 800), id="png16"),
        pytest.param(lambda: t.large_jpeg(3000, 2000, orientation=6), id="large"),
    ],
)
def test_normalising_twice_changes_nothing(source: Any) -> None:
    once = normalize_image(source())
    assert normalize_image(once.content).content == once.content


# -- the memory budget -------------------------------------------------------------------------


def test_the_16_bit_attack_png_is_refused_before_decoding(decoded_sizes: list[Any]) -> None:
    data = attack_png()
    assert len(data) < 200_000
    with pytest.raises(InvalidImageError, match="too large to process"):
        normalize_image(data)
    assert decoded_sizes == []


def test_the_budget_is_a_setting(decoded_sizes: list[Any]) -> None:
    data = t.sixteen_bit_png(1200, 1600)
    with tryon_settings(MAX_DECODE_BYTES=8 * 1024 * 1024):
        with pytest.raises(InvalidImageError, match="too large to process"):
            normalize_image(data)
    assert decoded_sizes == []
    with tryon_settings(MAX_DECODE_BYTES=None):
        assert normalize_image(data).width == 1200


def cost_of(data: bytes) -> int:
    with open_checked(data) as img:
        full = img.size
        target = bounded_size(full, 2048)
        draft_for(img, target)
        return decode_cost(img, full, target, data)


def test_bytes_per_pixel_follow_pillows_storage() -> None:
    assert [bytes_per_pixel(m) for m in ("L", "P", "1", "I;16", "RGB", "RGBA", "F")] == [
        1,
        1,
        1,
        2,
        4,
        4,
        4,
    ]


def test_a_png_costs_its_full_size_and_a_jpeg_its_drafted_size() -> None:
    side = 6000
    png = cost_of(t.encode(Image.new("RGB", (side, side)), "PNG"))
    jpeg = cost_of(t.encode(Image.new("RGB", (side, side)), "JPEG"))
    assert png >= side * side * 4  # PNG cannot be decoded at a reduced scale
    # Decoded at 1/2 scale (3000 >= 2048): a quarter of the pixels.
    assert jpeg < png // 2


def test_a_progressive_jpeg_costs_its_full_size_coefficients() -> None:
    picture = Image.new("RGB", (4000, 3000))
    baseline = t.encode(picture, "JPEG")
    progressive = t.encode(picture, "JPEG", progressive=True, subsampling=0)
    assert not buffers_whole_image(baseline) and buffers_whole_image(progressive)
    # libjpeg keeps 2 bytes per coefficient, 3 full-resolution components.
    assert cost_of(progressive) - cost_of(baseline) >= 4000 * 3000 * 3 * 2


def test_a_palette_with_transparency_costs_more_than_without() -> None:
    opaque = t.encode(Image.new("P", (2000, 2000)), "PNG")
    transparent = t.palette_png_with_transparency(2000, 2000)
    assert cost_of(transparent) > cost_of(opaque)


def test_phone_photos_and_ordinary_pictures_are_within_the_default_budget() -> None:
    for data in (
        t.large_jpeg(6000, 4000, orientation=6),
        t.encode(Image.new("RGB", (3000, 4000)), "PNG"),
        t.encode(Image.new("RGBA", (2000, 3000)), "PNG"),
        t.encode(Image.new("RGB", (2000, 3000)), "WEBP"),
    ):
        assert cost_of(data) <= 128 * 1024 * 1024


# -- decodes at once ---------------------------------------------------------------------------


def run_together(count: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Normalise ``count`` pictures in threads; the most decodes seen running at once."""
    lock = threading.Lock()
    running, most = 0, 0
    original = normalize_module.decode_bounded

    def slow_decode(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(normalize_module, "decode_bounded", slow_decode)
    data = t.png_bytes(400, 300)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            normalize_image(data)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    return most


def test_decodes_at_once_are_bounded_by_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_together(6, monkeypatch) <= 2  # the default
    with tryon_settings(MAX_CONCURRENT_DECODES=1):
        assert run_together(4, monkeypatch) == 1
    with tryon_settings(MAX_CONCURRENT_DECODES=None):
        assert run_together(4, monkeypatch) > 1


def test_decodes_run_in_the_decode_threads_in_the_callers_language() -> None:
    def where() -> tuple[str, str | None]:
        return threading.current_thread().name, translation.get_language()

    with translation.override("de"):
        name, language = run_decoding(where)
    assert name.startswith("tryon-decode") and language == "de"
    with tryon_settings(MAX_CONCURRENT_DECODES=None):
        assert run_decoding(where)[0] == threading.current_thread().name


def test_decoding_from_a_decode_thread_does_not_wait_for_itself() -> None:
    with tryon_settings(MAX_CONCURRENT_DECODES=1):
        nested = run_decoding(lambda: run_decoding(lambda: threading.current_thread().name))
    assert nested.startswith("tryon-decode")
