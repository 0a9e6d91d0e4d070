"""The worst uploads each format allows: the largest picture the limits still accept.

Limits: ``MAX_UPLOAD_BYTES``, ``MAX_UPLOAD_SIDE``, ``MAX_IMAGE_PIXELS`` and, for the
memory, ``MAX_DECODE_BYTES`` (the estimate of ``tryon.images.budget.decode_cost``). The
size is searched on the estimate (a tiny real file of the format, told it is larger:
no pixels are made), then the real file is made once, in a portrait 3:4 shape.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class Kind:
    label: str
    format: str
    mode: str
    params: dict[str, Any]
    fill: Any


# The most memory each format can take per pixel: full-resolution progressive JPEG
# coefficients, 16-bit and alpha PNGs, a palette with transparency, WebP's buffers.
KINDS = [
    Kind("JPEG baseline", "JPEG", "RGB", {"quality": 90}, (150, 110, 90)),
    Kind(
        "JPEG progressive 4:4:4",
        "JPEG",
        "RGB",
        {"quality": 90, "progressive": True, "subsampling": 0},
        (150, 110, 90),
    ),
    Kind("PNG RGB", "PNG", "RGB", {}, (150, 110, 90)),
    Kind("PNG RGBA", "PNG", "RGBA", {}, (150, 110, 90, 128)),
    Kind("PNG 16-bit grey", "PNG", "I;16", {}, 40000),
    Kind("PNG palette + alpha", "PNG", "P", {"transparency": 0}, 3),
    Kind("WebP", "WEBP", "RGB", {"lossless": True}, (150, 110, 90)),
    Kind("GIF", "GIF", "P", {}, 3),
    Kind("BMP", "BMP", "RGB", {}, (150, 110, 90)),
    Kind("TIFF (deflate)", "TIFF", "RGB", {"compression": "tiff_deflate"}, (150, 110, 90)),
]


def encode(kind: Kind, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new(kind.mode, size, kind.fill).save(buffer, kind.format, **kind.params)
    return buffer.getvalue()


def estimated_cost(kind: Kind, size: tuple[int, int]) -> int:
    """``decode_cost`` of a ``size`` picture of ``kind``, from a tiny real file's header."""
    from tryon.conf import tryon_settings
    from tryon.images.budget import decode_cost
    from tryon.images.decode import bounded_size, draft_for
    from tryon.images.probe import open_checked

    tiny = encode(kind, (64, 64))
    with open_checked(tiny) as img:
        img._size = size  # the header's size, as a large file's would say
        target = bounded_size(size, int(tryon_settings.MAX_IMAGE_SIDE))
        draft_for(img, target)
        return decode_cost(img, size, target, tiny)


def _largest(accepted: Callable[[int], bool], high: int) -> int:
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        if accepted(middle):
            low = middle
        else:
            high = middle - 1
    return low


def worst_accepted(kind: Kind) -> tuple[tuple[int, int], bytes]:
    """The largest 3:4 picture of ``kind`` an upload may be, and its bytes."""
    from tryon.conf import tryon_settings

    budget = tryon_settings.MAX_DECODE_BYTES
    pixels = int(tryon_settings.MAX_IMAGE_PIXELS)
    side = int(tryon_settings.MAX_UPLOAD_SIDE)
    max_bytes = int(tryon_settings.MAX_UPLOAD_BYTES)

    def within_limits(unit: int) -> bool:
        size = (3 * unit, 4 * unit)
        if size[0] * size[1] > pixels or max(size) > side:
            return False
        return budget is None or estimated_cost(kind, size) <= int(budget)

    unit = _largest(within_limits, side // 4)
    while True:  # BMP (uncompressed) is bounded by the bytes instead
        data = encode(kind, (3 * unit, 4 * unit))
        if len(data) <= max_bytes:
            return (3 * unit, 4 * unit), data
        unit = int(unit * 0.95)
