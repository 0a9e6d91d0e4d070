"""Hostile and awkward inputs for the shopper API, made on the fly.

Each case is what a careless or malicious client might send to ``POST api/tryons/``:
``upload`` builds the ``model_image`` part (bytes, filename, declared content type) and
``fields`` the other form fields. ``expect`` is the documented answer: a 400 naming the
field, or 202 for awkward-but-valid images that must work.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from tests import images

MiB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    content: bytes
    name: str = "photo.jpg"
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class Case:
    id: str
    upload: Callable[[], Upload] | None = None
    fields: dict[str, object] = field(default_factory=dict)
    expect: int = 400
    error_field: str | None = "model_image"
    # Substring (lower case) of the field error a person reads.
    message: str = ""


def _huge_dimension_png() -> bytes:
    # 40000 x 8 pixels: few pixels (no bomb) but a side far past MAX_UPLOAD_SIDE.
    return images.encode(Image.new("RGB", (40_000, 8), (200, 30, 30)), "PNG")


def _svg() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="800" '
        b'height="600"><script>alert(document.cookie)</script><rect width="800" '
        b'height="600" fill="red"/></svg>'
    )


def _html_gif_polyglot() -> bytes:
    # Starts like a GIF, then carries HTML with script: a classic content-sniffing trick.
    return b"GIF89a/*\x00\x00\x00\x00*/=1;<html><script>alert(1)</script></html>" + b"\x00" * 64


def _fifty_megabytes() -> bytes:
    head = images.jpeg_bytes(400, 300)
    return head + b"\x00" * (50 * MiB - len(head))


def _png_with_lying_crc() -> bytes:
    # A PNG whose IHDR claims 30000 x 30000 and whose data is a tiny deflate stream.
    header = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        header
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def _tiny() -> bytes:
    return images.jpeg_bytes(12, 12)


def _text_as_jpeg() -> bytes:
    return b"Just some text pretending to be a photo.\n" * 20


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _jpeg_header_only() -> bytes:
    return images.jpeg_bytes(800, 600)[:200]


# -- bytes after the end of a clean JPEG (issue 13, row 1) -----------------------------------


def _zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(document.cookie)</script>")
    return buffer.getvalue()


# What a shopper might append to a clean photo: a script, a ZIP (a polyglot), a second
# JPEG carrying a GPS position. Each must be gone from what is stored and sent.
TRAILERS: dict[str, Callable[[], bytes]] = {
    "script": lambda: b"<script>alert(document.cookie)</script>",
    "zip": _zip_archive,
    "gps-jpeg": lambda: images.gps_exif_jpeg(64, 48),
}
# Bytes of each trailer that would give it away in a stored or sent file.
TRAILER_MARKS = {"script": b"<script>", "zip": b"PK\x03\x04", "gps-jpeg": b"GPS"}


def clean_jpeg() -> bytes:
    """Pillow's plain JPEG output: the "already normalised" kind of file."""
    return images.encode(images.person_image(600, 900), "JPEG", quality=90)


def clean_jpeg_with_trailer(kind: str) -> bytes:
    return clean_jpeg() + TRAILERS[kind]()


GARMENT = "__garment__"  # replaced by the test's active garment id
PRESET = "__preset__"  # replaced by a preset model id

UPLOAD_CASES: list[Case] = [
    Case(
        "decompression-bomb",
        lambda: Upload(images.bomb_png(), "bomb.png", "image/png"),
        message="too large",
    ),
    Case(
        "png-huge-dimensions",
        lambda: Upload(_huge_dimension_png(), "wide.png", "image/png"),
        message="pixels",
    ),
    Case(
        "png-claims-30000-square",
        lambda: Upload(_png_with_lying_crc(), "big.png", "image/png"),
        message="",
    ),
    Case("truncated-jpeg", lambda: Upload(images.truncated_jpeg()), message=""),
    Case("jpeg-header-only", lambda: Upload(_jpeg_header_only()), message=""),
    Case(
        "animated-gif",
        lambda: Upload(images.animated_gif(), "a.gif", "image/gif"),
        message="animated",
    ),
    Case(
        "animated-png",
        lambda: Upload(images.animated_png(), "a.png", "image/png"),
        message="animated",
    ),
    Case("svg", lambda: Upload(_svg(), "x.svg", "image/svg+xml"), message="not an image"),
    Case(
        "svg-declared-as-jpeg",
        lambda: Upload(_svg(), "x.jpg", "image/jpeg"),
        message="not an image",
    ),
    Case(
        "html-gif-polyglot", lambda: Upload(_html_gif_polyglot(), "x.gif", "image/gif"), message=""
    ),
    Case("pdf", lambda: Upload(_pdf(), "x.pdf", "application/pdf"), message="not an image"),
    Case("zero-bytes", lambda: Upload(b"", "empty.jpg"), message="empty"),
    Case("fifty-megabytes", lambda: Upload(_fifty_megabytes(), "big.jpg"), message="larger than"),
    Case(
        "text-declared-as-jpeg",
        lambda: Upload(_text_as_jpeg(), "photo.jpg", "image/jpeg"),
        message="not an image",
    ),
    Case("too-small", lambda: Upload(_tiny()), message="too small"),
    Case(
        "no-consent",
        lambda: Upload(images.person_photo()),
        fields={"consent": "false"},
        error_field="consent",
    ),
    Case(
        "photo-and-upload",
        lambda: Upload(images.person_photo()),
        fields={"model_photo": PRESET},
        error_field="model_image",
    ),
    # Awkward but valid: these must work.
    Case(
        "png-bytes-declared-as-text",
        lambda: Upload(images.png_bytes(600, 800), "me.txt", "text/plain"),
        expect=202,
        error_field=None,
    ),
    Case(
        "path-traversal-filename",
        lambda: Upload(images.person_photo(), "../../../etc/passwd.jpg"),
        expect=202,
        error_field=None,
    ),
    Case("cmyk-jpeg", lambda: Upload(images.cmyk_jpeg(600, 800)), expect=202, error_field=None),
    Case(
        "sixteen-bit-png",
        lambda: Upload(images.sixteen_bit_png(600, 800), "deep.png", "image/png"),
        expect=202,
        error_field=None,
    ),
    Case(
        "palette-png",
        lambda: Upload(images.palette_png_with_transparency(600, 800), "p.png", "image/png"),
        expect=202,
        error_field=None,
    ),
    Case(
        "gps-exif-jpeg",
        lambda: Upload(images.gps_exif_jpeg(600, 800)),
        expect=202,
        error_field=None,
    ),
]

# Requests that are not about the file: (id, JSON body, field the 400 names).
FIELD_CASES: list[tuple[str, dict[str, object], str]] = [
    ("missing-garment", {"garment": 999_999, "model_photo": PRESET}, "garment"),
    (
        "garment-not-a-number",
        {"garment": "1; DROP TABLE tryon_tryon", "model_photo": PRESET},
        "garment",
    ),
    (
        "model-photo-not-a-uuid",
        {"garment": GARMENT, "model_photo": "../../etc/passwd"},
        "model_photo",
    ),
    (
        "model-photo-unknown-uuid",
        {"garment": GARMENT, "model_photo": "00000000-0000-0000-0000-000000000000"},
        "model_photo",
    ),
    ("neither-photo-nor-upload", {"garment": GARMENT}, "model_photo"),
    (
        "ssrf-loopback-url",
        {"garment": GARMENT, "model_image": "http://127.0.0.1:6379/", "consent": True},
        "model_image",
    ),
    (
        "ssrf-private-range-url",
        {"garment": GARMENT, "model_image": "http://10.0.0.5/me.jpg", "consent": True},
        "model_image",
    ),
    (
        "ssrf-metadata-url",
        {
            "garment": GARMENT,
            "model_image": "http://169.254.169.254/latest/meta-data/",
            "consent": True,
        },
        "model_image",
    ),
    (
        "ssrf-file-url",
        {"garment": GARMENT, "model_image": "file:///etc/passwd", "consent": True},
        "model_image",
    ),
    (
        "data-uri-instead-of-file",
        {"garment": GARMENT, "model_image": "data:image/jpeg;base64,/9j/4AAQ", "consent": True},
        "model_image",
    ),
]

# Prompt-mode cases, sent by staff (prompt mode is staff-only by default).
PROMPT_CASES: list[tuple[str, dict[str, object], str]] = [
    ("prompt-too-long", {"prompt": "Help the model change into a red shirt. " * 200}, "prompt"),
    ("seed-negative", {"prompt": "Red shirt", "seed": -1}, "seed"),
    ("seed-too-big", {"prompt": "Red shirt", "seed": 2_147_483_648}, "seed"),
    ("seed-not-a-number", {"prompt": "Red shirt", "seed": "lots"}, "seed"),
    ("guidance-zero", {"prompt": "Red shirt", "guidance_scale": 0}, "guidance_scale"),
    ("guidance-too-big", {"prompt": "Red shirt", "guidance_scale": 100.5}, "guidance_scale"),
    ("guidance-nan", {"prompt": "Red shirt", "guidance_scale": "NaN"}, "guidance_scale"),
    ("guidance-infinite", {"prompt": "Red shirt", "guidance_scale": "1e999"}, "guidance_scale"),
    ("steps-zero", {"prompt": "Red shirt", "num_inference_steps": 0}, "num_inference_steps"),
    ("steps-too-many", {"prompt": "Red shirt", "num_inference_steps": 51}, "num_inference_steps"),
    ("prompt-and-garment", {"prompt": "Red shirt", "garment": GARMENT}, "prompt"),
]

# Prompts that are unusual but valid: they must reach the provider unchanged.
VALID_PROMPTS = [
    "Help the model change into a café-au-lait blouse with naïve embroidery — size M.",
    "换上一件红色的衬衫 👕",
]


def png_to_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def attack_png(side: int = 7000) -> bytes:
    """The issue's memory attack: a ~100 kB 16-bit greyscale PNG of ``side`` x ``side``."""
    return images.encode(Image.new("I;16", (side, side), 40000), "PNG", optimize=True)
