from __future__ import annotations

import hashlib
import io
import warnings

import pytest
from django.conf import settings
from django.test import override_settings
from PIL import Image, ImageFile, JpegImagePlugin

from tests import images as t
from tryon.exceptions import InvalidImageError
from tryon.images import (
    ACCEPTED_FORMATS,
    IMAGE_TYPES,
    ImageInfo,
    NormalizedImage,
    image_fingerprint,
    image_type_for_format,
    normalize_image,
    probe_image,
    sniff_image_type,
)
from tryon.storage import extension_for

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def tryon_settings(**values: object) -> override_settings:
    return override_settings(TRYON={**settings.TRYON, **values})


def jpeg_segments(content: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments before its image data."""
    markers, position = [], 2
    assert content[:2] == b"\xff\xd8"
    while position < len(content):
        assert content[position] == 0xFF
        marker = content[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        length = int.from_bytes(content[position + 2 : position + 4], "big")
        position += 2 + length
    return markers


def opened(result: NormalizedImage) -> Image.Image:
    img = Image.open(io.BytesIO(result.content))
    img.load()
    return img


# -- metadata --------------------------------------------------------------------------


def test_gps_and_all_other_metadata_are_removed() -> None:
    source = t.gps_exif_jpeg()
    with Image.open(io.BytesIO(source)) as original:  # the input really has it all
        assert original.getexif().get_ifd(0x8825)
        assert {"exif", "icc_profile", "comment", "xmp"} <= set(original.info)

    result = normalize_image(source)

    img = opened(result)
    assert len(img.getexif()) == 0
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(img.info)
    for needle in (
        b"Exif\x00",
        b"GPS",
        b"PhoneMaker",
        b"ICC_PROFILE",
        b"ns.adobe.com",
        b"shot at home",
    ):
        assert needle not in result.content
    # Only JFIF (APP0), tables, frame and scan: no APP1-APP15 and no comment segment.
    assert set(jpeg_segments(result.content)) <= {0xE0, 0xDB, 0xC0, 0xC4, 0xDA}


# -- orientation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "swapped", "red_corner"),
    [
        (1, False, "top_left"),
        (2, False, "top_right"),  # mirrored
        (3, False, "bottom_right"),  # upside down
        (6, True, "top_right"),  # camera held rotated clockwise
        (8, True, "bottom_left"),
    ],
)
@pytest.mark.parametrize("stored_size", [(480, 320), (4800, 3200)])  # small; drafted
def test_exif_orientation_is_applied(
    orientation: int, swapped: bool, red_corner: str, stored_size: tuple[int, int]
) -> None:
    source = t.jpeg_bytes(*stored_size, BLUE, orientation=orientation, corner_color=RED)

    result = normalize_image(source, max_side=480)

    expected = (320, 480) if swapped else (480, 320)
    assert (result.width, result.height) == expected
    img = opened(result)
    assert img.size == expected
    w, h = expected
    corners = {
        "top_left": (5, 5),
        "top_right": (w - 6, 5),
        "bottom_left": (5, h - 6),
        "bottom_right": (w - 6, h - 6),
    }
    for name, xy in corners.items():
        pixel = img.getpixel(xy)
        assert t.is_close(pixel, RED if name == red_corner else BLUE), (name, pixel)


# -- colour modes ----------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb() -> None:
    result = normalize_image(t.cmyk_jpeg())  # pure red in CMYK
    img = opened(result)
    assert (img.format, img.mode) == ("JPEG", "RGB")
    assert t.is_close(img.getpixel((20, 20)), RED, 12)


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    source = t.sixteen_bit_png(level=40000)
    with Image.open(io.BytesIO(source)) as original:
        assert original.mode.startswith("I;16")

    img = opened(normalize_image(source))

    assert img.mode == "RGB"
    # 40000/65535 of full scale is about 156, where clipping would give 255.
    assert t.is_close(img.getpixel((20, 20)), (156, 156, 156), 3)


def test_palette_png_transparency_is_composited_on_white() -> None:
    img = opened(normalize_image(t.palette_png_with_transparency()))
    assert img.mode == "RGB"
    assert t.is_close(img.getpixel((20, 150)), WHITE, 3)  # was transparent (black)
    assert t.is_close(img.getpixel((380, 150)), RED, 3)


def test_rgba_png_transparency_is_composited_on_white() -> None:
    img = opened(normalize_image(t.rgba_png()))
    assert img.mode == "RGB"
    assert t.is_close(img.getpixel((20, 150)), WHITE, 3)  # was transparent black
    assert t.is_close(img.getpixel((380, 150)), BLUE, 3)


def test_greyscale_jpeg_becomes_rgb() -> None:
    source = t.encode(t.solid(400, 300, 90, "L"), "JPEG")
    img = opened(normalize_image(source))
    assert img.mode == "RGB"
    assert t.is_close(img.getpixel((20, 20)), (90, 90, 90), 3)


def test_embedded_colour_profile_is_converted_to_srgb_and_dropped() -> None:
    # Red pixels tagged with a profile whose red primary is sRGB blue.
    source = t.jpeg_bytes(400, 300, RED, icc_profile=t.swapped_rgb_icc())

    img = opened(normalize_image(source))

    assert "icc_profile" not in img.info
    assert t.is_close(img.getpixel((20, 20)), BLUE, 12)


def test_unusable_colour_profile_is_ignored() -> None:
    source = t.jpeg_bytes(400, 300, RED, icc_profile=b"not a profile" * 10)
    img = opened(normalize_image(source))
    assert t.is_close(img.getpixel((20, 20)), RED, 12)


@pytest.mark.parametrize(
    ("source", "original_format"),
    [
        (t.webp_bytes(), "WEBP"),
        (t.gif_bytes(), "GIF"),
        (t.encode(t.solid(400, 300), "BMP"), "BMP"),
        (t.encode(t.solid(400, 300), "TIFF"), "TIFF"),
        (t.png_bytes(), "PNG"),
    ],
)
def test_accepted_formats_become_jpeg(source: bytes, original_format: str) -> None:
    result = normalize_image(source)
    assert result.original_format == original_format
    assert opened(result).format == "JPEG"


def test_phone_mpo_is_accepted_as_its_first_picture() -> None:
    first, second = t.solid(400, 300, RED), t.solid(400, 300, BLUE)
    source = t.encode(first, "MPO", save_all=True, append_images=[second])

    assert probe_image(source) == ImageInfo("MPO", 400, 300, is_animated=False)
    result = normalize_image(source)
    assert result.original_format == "MPO"
    assert t.is_close(opened(result).getpixel((20, 20)), RED, 12)


# -- size ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoder", ["JPEG", "PNG"])
def test_long_side_is_bounded(encoder: str) -> None:
    source = t.encode(t.solid(5000, 3000), encoder)

    result = normalize_image(source, max_side=2048)

    assert (result.width, result.height) == (2048, 1229)
    assert opened(result).size == (2048, 1229)
    assert (result.original_width, result.original_height) == (5000, 3000)


def test_max_side_defaults_to_the_setting() -> None:
    with tryon_settings(MAX_IMAGE_SIDE=500):
        result = normalize_image(t.jpeg_bytes(1000, 800))
    assert (result.width, result.height) == (500, 400)


def test_small_images_are_not_enlarged() -> None:
    result = normalize_image(t.jpeg_bytes(800, 600), max_side=2048)
    assert (result.width, result.height) == (800, 600)


def test_large_jpeg_is_decoded_at_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded_sizes: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode, size):  # type: ignore[no-untyped-def]
        result = original_draft(self, mode, size)
        decoded_sizes.append(self.size)  # what libjpeg will actually decode
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)

    result = normalize_image(t.jpeg_bytes(4096, 3072, corner_color=RED), max_side=1024)

    assert decoded_sizes == [(1024, 768)]  # 1/4 scale instead of 12.6 megapixels
    assert (result.width, result.height) == (1024, 768)
    assert t.is_close(opened(result).getpixel((5, 5)), RED, 12)


def test_draft_is_not_used_when_no_reduction_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda *a: calls.append(a))
    normalize_image(t.jpeg_bytes(800, 600), max_side=2048)
    assert calls == []


# -- refusals --------------------------------------------------------------------------


def _forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(
    "size",
    [
        (8_000, 8_000),  # 64 MP: over our 50 MP limit, under Pillow's
        (10_000, 10_000),  # 100 MP: Pillow warns
        (100_000, 100_000),  # 10 GP: Pillow raises
    ],
)
def test_decompression_bomb_is_refused_before_decoding(
    size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = t.bomb_png(*size)
    assert len(source) < 1000
    _forbid_decoding(monkeypatch)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InvalidImageError, match="too large"):
            normalize_image(source)
        with pytest.raises(InvalidImageError, match="too large"):
            probe_image(source)

    assert caught == []


def test_pixel_limit_follows_the_setting() -> None:
    source = t.jpeg_bytes(1200, 1000)
    with (
        tryon_settings(MAX_IMAGE_PIXELS=1_000_000),
        pytest.raises(InvalidImageError, match="too large"),
    ):
        normalize_image(source)
    assert normalize_image(source).original_width == 1200


@pytest.mark.parametrize("source", [t.truncated_jpeg(), t.truncated_png()], ids=["jpeg", "png"])
def test_truncated_file_is_refused(source: bytes) -> None:
    with pytest.raises(InvalidImageError, match="damaged or incomplete"):
        normalize_image(source)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize(
    "source",
    [
        b"",
        t.TEXT,
        t.SVG,
        t.HTML,
        b"\xff\xd8\xff",  # a JPEG signature and nothing else
        t.encode(t.solid(400, 300), "PPM"),  # an image, but not a format we accept
        t.encode(t.solid(400, 300), "ICO"),
    ],
    ids=["empty", "text", "svg", "html", "jpeg-magic-only", "ppm", "ico"],
)
def test_non_images_are_refused(source: bytes) -> None:
    with pytest.raises(InvalidImageError) as excinfo:
        normalize_image(source)
    assert "not an image" in str(excinfo.value) or "damaged" in str(excinfo.value)
    with pytest.raises(InvalidImageError):
        probe_image(source)


@pytest.mark.parametrize(
    "source", [t.animated_gif(), t.animated_png(), t.animated_webp()], ids=["gif", "apng", "webp"]
)
def test_animated_images_are_refused(source: bytes) -> None:
    assert probe_image(source).is_animated
    with pytest.raises(InvalidImageError, match="Animated images are not supported"):
        normalize_image(source)


def test_too_small_image_is_refused() -> None:
    with pytest.raises(InvalidImageError, match="at least 256×256 pixels"):
        normalize_image(t.jpeg_bytes(800, 200))
    with pytest.raises(InvalidImageError, match="at least 100×100"):
        normalize_image(t.jpeg_bytes(800, 99), min_side=100)
    assert normalize_image(t.jpeg_bytes(800, 100), min_side=100).height == 100


def test_too_many_bytes_are_refused() -> None:
    source = t.jpeg_bytes(800, 600)
    with pytest.raises(InvalidImageError, match="larger than"):
        normalize_image(source, max_bytes=len(source) - 1)
    assert normalize_image(source, max_bytes=len(source)).width == 800
    with (
        tryon_settings(MAX_UPLOAD_BYTES=1024),
        pytest.raises(InvalidImageError, match=r"larger than 1\.0\xa0KB"),
    ):
        normalize_image(source)


def test_file_objects_are_read_from_the_start_and_never_beyond_the_limit() -> None:
    class Upload(io.BytesIO):
        def __init__(self, content: bytes) -> None:
            super().__init__(content)
            self.requested: list[int] = []

        def read(self, size: int | None = -1) -> bytes:
            self.requested.append(-1 if size is None else size)
            return super().read(size)

    upload = Upload(t.jpeg_bytes(800, 600))
    upload.seek(100)  # as if a validator had already read some of it
    assert normalize_image(upload, max_bytes=10**6).width == 800
    assert upload.requested == [10**6 + 1]

    huge = Upload(b"\0" * 5000)
    with pytest.raises(InvalidImageError, match="larger than"):
        normalize_image(huge, max_bytes=1000)


# -- fingerprints and helpers ----------------------------------------------------------


def test_same_photo_gives_the_same_bytes_and_hash() -> None:
    source = t.person_photo()
    first, second = normalize_image(source), normalize_image(source)
    assert first == second
    assert (
        first.sha256
        == hashlib.sha256(first.content).hexdigest()
        == image_fingerprint(first.content)
    )
    other = normalize_image(t.garment_photo())
    assert other.sha256 != first.sha256


def test_probe_reads_the_header() -> None:
    assert probe_image(t.jpeg_bytes(640, 480)) == ImageInfo("JPEG", 640, 480, False)
    assert probe_image(io.BytesIO(t.png_bytes(30, 20))) == ImageInfo("PNG", 30, 20, False)
    assert probe_image(t.animated_gif()).is_animated


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (t.jpeg_bytes(300, 300), "image/jpeg"),
        (t.png_bytes(300, 300), "image/png"),
        (t.webp_bytes(), "image/webp"),
        (t.gif_bytes(), "image/gif"),
        (t.SVG, None),
        (b"", None),
        (b"RIFF\0\0\0\0WAVE", None),
    ],
)
def test_sniff_image_type(source: bytes, expected: str | None) -> None:
    kind = sniff_image_type(source)
    assert (kind[0] if kind else None) == expected


@pytest.mark.parametrize(
    ("image_format", "expected"),
    [
        ("JPEG", ("image/jpeg", "jpg")),
        ("MPO", ("image/jpeg", "jpg")),  # a phone's JPEG with extra pictures
        ("png", ("image/png", "png")),
        ("WEBP", ("image/webp", "webp")),
        ("GIF", ("image/gif", "gif")),
        ("BMP", ("image/bmp", "bmp")),
        ("TIFF", None),
        (None, None),
    ],
)
def test_image_type_for_format(image_format: str | None, expected: tuple[str, str] | None) -> None:
    assert image_type_for_format(image_format) == expected


def test_sniffing_and_format_names_agree() -> None:
    """One table: the type sniffed from a file is the type of the format Pillow reads."""
    for source in (t.jpeg_bytes(300, 300), t.png_bytes(300, 300), t.webp_bytes(), t.gif_bytes()):
        info = probe_image(source)
        assert sniff_image_type(source) == image_type_for_format(info.format)
    assert set(IMAGE_TYPES) <= set(ACCEPTED_FORMATS)


def test_stored_results_are_named_from_the_same_table() -> None:
    assert extension_for("JPEG") == "jpg"
    assert extension_for("MPO") == "jpg"
    assert extension_for("webp") == "webp"
    assert extension_for("TIFF") == extension_for(None) == "bin"
