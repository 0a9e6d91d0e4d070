"""How much memory decoding a picture takes: refused before decoding when too much.

A small file can decode to a huge picture: a 95 kB PNG of 7000×7000 16-bit pixels
takes about 100 MB as decoded, and several times that through naive conversions. So
before a pixel is decoded, :func:`check_decode_cost` estimates the peak memory of the
whole pipeline from the header (bytes per pixel × pixels as they will be decoded, the
codec's own buffers, conversions and the resize) and refuses a picture over
``TRYON['MAX_DECODE_BYTES']``. JPEGs are decoded at a reduced scale (``draft``), so
only their scaled size counts, except for the coefficient buffers libjpeg keeps at
full size for progressive files. PNG, WebP and the others cannot be decoded reduced:
their full size counts.

How many decodes run at once is ``decoders``' concern.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from PIL import Image

from ..conf import tryon_settings
from ..exceptions import InvalidImageError
from .formats import JPEG_FORMATS
from .jpeg import buffers_whole_image
from .probe import format_of

__all__ = [
    "CONVERTED_BEFORE_RESIZE",
    "bytes_per_pixel",
    "check_decode_cost",
    "decode_cost",
]

# Pillow keeps one byte per pixel for these modes, two for 16-bit greyscale, and four
# for every other mode (RGB included: it is stored as RGBX).
_ONE_BYTE_MODES = frozenset({"1", "L", "P"})
_TWO_BYTE_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
# Modes converted at full size before the resize (``decode._resizable``: a palette
# cannot be resampled; Pillow's resize premultiplies alpha into a full-size copy), with
# the bytes per pixel that adds. A palette with transparency becomes RGBA, then RGBa.
CONVERTED_BEFORE_RESIZE: dict[str, int] = {
    "P": 4,
    "PA": 8,
    "1": 1,
    "RGBA": 4,
    "LA": 4,
    "La": 4,
    "RGBa": 4,
    "YCbCr": 4,
    "LAB": 4,
    "HSV": 4,
}
# Bytes per pixel a format's decoder holds beside the picture (libwebp's canvases and
# output buffer; a TIFF strip may be the whole picture). Measured with bench/images.py.
_DECODER_BYTES = {"WEBP": 8, "TIFF": 4}
# Target-size pictures alive at once after the resize (resized, colour-converted,
# flattened, rotated: four bytes per pixel each), with a margin.
_SMALL_COPIES = 3
# libjpeg keeps each DCT coefficient as two bytes, 64 per 8×8 block.
_COEFFICIENT_BYTES = 2


def bytes_per_pixel(mode: str) -> int:
    """Bytes Pillow allocates per pixel of an image in ``mode``."""
    if mode in _ONE_BYTE_MODES:
        return 1
    if mode in _TWO_BYTE_MODES:
        return 2
    return 4


def decode_cost(
    img: Image.Image, full_size: tuple[int, int], target: tuple[int, int], data: bytes
) -> int:
    """Estimated peak bytes to decode ``img`` and bring it to ``target``.

    ``img.size`` is the size it will be decoded at (after any JPEG draft), ``full_size``
    the size its header gives, ``data`` its bytes.
    """
    width, height = img.size
    pixels = width * height
    cost = pixels * bytes_per_pixel(img.mode)
    cost += pixels * _converted_bytes(img)
    cost += pixels * _DECODER_BYTES.get(format_of(img), 0)
    if format_of(img) in JPEG_FORMATS and buffers_whole_image(data):
        cost += _coefficient_bytes(img, full_size)
    if img.size != target:
        cost += target[0] * height * 4  # the resize's first (horizontal) pass
    cost += target[0] * target[1] * 4 * _SMALL_COPIES
    return cost


def _converted_bytes(img: Image.Image) -> int:
    if img.mode == "P" and "transparency" in img.info:
        return CONVERTED_BEFORE_RESIZE["PA"]
    return CONVERTED_BEFORE_RESIZE.get(img.mode, 0)


def _coefficient_bytes(img: Image.Image, full_size: tuple[int, int]) -> int:
    """The full-size coefficient buffers of a progressive or multi-scan JPEG."""
    # Pillow's JPEG plugin lists (id, horizontal, vertical, table) sampling per component.
    layers = getattr(img, "layer", None) or [(0, 1, 1, 0)] * 3
    h_max = max(layer[1] for layer in layers) or 1
    v_max = max(layer[2] for layer in layers) or 1
    width, height = full_size
    blocks = sum(
        math.ceil(width * layer[1] / h_max / 8) * math.ceil(height * layer[2] / v_max / 8)
        for layer in layers
    )
    return blocks * 64 * _COEFFICIENT_BYTES


def check_decode_cost(
    img: Image.Image, full_size: tuple[int, int], target: tuple[int, int], data: bytes
) -> None:
    """Refuse ``img`` when decoding it would take more than ``MAX_DECODE_BYTES``."""
    limit = tryon_settings.MAX_DECODE_BYTES
    if limit is not None and decode_cost(img, full_size, target, data) > int(limit):
        raise InvalidImageError(_("The image is too large to process."))
