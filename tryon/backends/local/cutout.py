"""What stands out from a photo's plain background: the garment, or the person.

Masks are computed on a small copy (``_WORK_SIDE``) for speed, then scaled back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from ...images import bounded_size

__all__ = ["RGB", "Box", "Foreground", "cut_out", "foreground"]

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

_WORK_SIDE = 384  # long side of the copies the masks are computed on (speed)
_MIN_THRESHOLD = 36  # colour distance from the background that counts as "something"


@dataclass(frozen=True)
class Foreground:
    """A 0/255 mask at a reduced size; ``scale`` is photo size / mask size (x, y)."""

    mask: Image.Image
    scale: tuple[float, float]
    reliable: bool  # False when the border is not a plain background


def foreground(img: Image.Image) -> Foreground:
    """What stands out from the photo's border colour, on a small copy."""
    small = img.resize(bounded_size(img.size, _WORK_SIDE), Image.Resampling.BILINEAR)
    background, spread = _border_color(small)
    distance = _distance(small, background)
    threshold = max(_MIN_THRESHOLD, round(3 * spread))
    mask = distance.point(lambda value: 255 if value > threshold else 0)
    # Opening (erode, then dilate) drops JPEG specks and thin shadows.
    mask = mask.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))
    mask = _fill_holes(mask)
    coverage = ImageStat.Stat(mask).mean[0] / 255
    # A busy border (no plain background) or a mask that is nearly all or nothing
    # means the estimate cannot be trusted.
    reliable = spread < 24 and 0.01 < coverage < 0.9
    scale = (img.width / small.width, img.height / small.height)
    return Foreground(mask=mask, scale=scale, reliable=reliable)


def cut_out(garment: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The garment cropped to its silhouette, and its 0/255 mask at the same size."""
    found = foreground(garment)
    bbox = found.mask.getbbox() if found.reliable else None
    if bbox is None:
        # No plain background to remove: use the whole photo, fully opaque.
        return garment, Image.new("L", garment.size, 255)
    # Eroding by a pixel drops the fringe where the garment's edge blends into the
    # background colour (a pale halo once pasted on the person).
    small_mask = found.mask.filter(ImageFilter.MinFilter(3))
    bbox = small_mask.getbbox() or bbox
    scale_x, scale_y = found.scale
    full_box = _scaled_box(bbox, found.scale, garment.size)
    size = (full_box[2] - full_box[0], full_box[3] - full_box[1])
    # ``box`` maps exactly the same area of the small mask onto the full-size crop.
    mask_box = (
        full_box[0] / scale_x,
        full_box[1] / scale_y,
        min(small_mask.width, full_box[2] / scale_x),
        min(small_mask.height, full_box[3] / scale_y),
    )
    mask = small_mask.resize(size, Image.Resampling.BILINEAR, box=mask_box)
    mask = mask.point(lambda value: 255 if value >= 128 else 0)
    return garment.crop(full_box), mask


def _border_color(img: Image.Image) -> tuple[RGB, float]:
    """The median colour of a thin frame around ``img`` and its largest std deviation."""
    frame = Image.new("L", img.size, 0)
    width = max(2, min(img.size) // 50)
    ImageDraw.Draw(frame).rectangle((0, 0, img.width - 1, img.height - 1), outline=255, width=width)
    stat = ImageStat.Stat(img, frame)
    median = tuple(int(v) for v in stat.median[:3])
    return (median[0], median[1], median[2]), max(stat.stddev[:3])


def _distance(img: Image.Image, color: RGB) -> Image.Image:
    """The largest per-channel difference from ``color``, as an L image."""
    red, green, blue = ImageChops.difference(img, Image.new("RGB", img.size, color)).split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue)


def _fill_holes(mask: Image.Image) -> Image.Image:
    """Fill background enclosed both across and down: prints on a shirt, not leg gaps."""
    across = _span_fill(mask)
    down = _span_fill(mask.transpose(Image.Transpose.TRANSPOSE)).transpose(
        Image.Transpose.TRANSPOSE
    )
    return ImageChops.lighter(mask, ImageChops.darker(across, down))


def _span_fill(mask: Image.Image) -> Image.Image:
    """255 from the first to the last foreground pixel of each row."""
    width = mask.width
    data = mask.tobytes()
    filled = bytearray(len(data))
    for start in range(0, len(data), width):
        row = data[start : start + width]
        first = row.find(255)
        if first >= 0:
            last = row.rfind(255)
            filled[start + first : start + last + 1] = b"\xff" * (last - first + 1)
    return Image.frombytes("L", mask.size, bytes(filled))


def _scaled_box(box: Box, scale: tuple[float, float], limit: tuple[int, int]) -> Box:
    """``box`` on the small mask, as whole pixels of the photo (rounded outwards)."""
    left, top, right, bottom = box
    return (
        max(0, math.floor(left * scale[0])),
        max(0, math.floor(top * scale[1])),
        min(limit[0], math.ceil(right * scale[0])),
        min(limit[1], math.ceil(bottom * scale[1])),
    )
