"""Provenance: the IPTC digital source type spliced into JPEG, PNG and WebP as XMP."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tryon.exceptions import InvalidImageError
from tryon.provenance import (
    COMPOSITE_CAPTURE,
    TRAINED_ALGORITHMIC_MEDIA,
    digital_source_type,
    mark,
)


def _encode(fmt: str, mode: str = "RGB", **params: object) -> bytes:
    image = Image.new(mode, (64, 48), (200, 40, 90, 128)[: len(mode)])
    for x in range(64):
        image.putpixel((x, x % 48), (10, 200, 30, 255)[: len(mode)])
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _pixels(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        return image.convert("RGBA").tobytes()


CASES = {
    "jpeg": lambda: _encode("JPEG", quality=90),
    "jpeg-no-jfif": lambda: _encode("JPEG", quality=90)[:2] + _encode("JPEG")[20:],
    "png": lambda: _encode("PNG"),
    "png-alpha": lambda: _encode("PNG", "RGBA"),
    "webp-lossy": lambda: _encode("WEBP", quality=80),
    "webp-lossless": lambda: _encode("WEBP", lossless=True),
    "webp-alpha": lambda: _encode("WEBP", "RGBA", lossless=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_marked_file_names_the_source_type_and_keeps_its_pixels(case: str) -> None:
    original = CASES[case]()
    marked = mark(original, TRAINED_ALGORITHMIC_MEDIA, "AI-generated virtual try-on")
    assert digital_source_type(original) is None
    assert digital_source_type(marked) == TRAINED_ALGORITHMIC_MEDIA
    assert _pixels(marked) == _pixels(original)
    with Image.open(io.BytesIO(marked)) as image:
        image.verify()  # checksums and structure (PNG CRCs)


@pytest.mark.parametrize("case", ["jpeg", "png", "webp-lossy", "webp-alpha"])
def test_marking_again_replaces_the_packet(case: str) -> None:
    once = mark(CASES[case](), COMPOSITE_CAPTURE, "offline preview")
    twice = mark(once, TRAINED_ALGORITHMIC_MEDIA, "AI-generated")
    assert digital_source_type(twice) == TRAINED_ALGORITHMIC_MEDIA
    assert twice.count(b"DigitalSourceType>") == 2  # one element: its open and close tags
    assert COMPOSITE_CAPTURE.encode() not in twice


def test_description_is_escaped() -> None:
    marked = mark(CASES["png"](), TRAINED_ALGORITHMIC_MEDIA, "<script>&")
    assert b"<script>" not in marked
    assert digital_source_type(marked) == TRAINED_ALGORITHMIC_MEDIA


@pytest.mark.parametrize(
    "content",
    [b"GIF89a" + b"\0" * 40, b"", b"\xff\xd8\xff\xe0\x00", b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"],
)
def test_unsupported_or_damaged_input_is_refused(content: bytes) -> None:
    with pytest.raises(InvalidImageError):
        mark(content, TRAINED_ALGORITHMIC_MEDIA, "x")
