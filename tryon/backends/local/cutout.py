"""What stands out from a photo's plain background: the garment, or the person.

The background is the border colour, flood-filled from the edge (``flood``), so what
the subject encloses stays whatever its colour. A person's silhouette is computed on
a small copy (``_WORK_SIDE``) for speed, its colour distance shrunk keeping the largest
value so thin outlines still part a light top from a light backdrop; a garment's, whose
edge shows in the result, at full size up to ``_CUTOUT_SIDE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from ...images import bounded_size
from .flood import border_connected

__all__ = [
    "RGB",
    "Box",
    "Foreground",
    "cut_out",
    "dilate",
    "distance_from",
    "erode",
    "foreground",
]

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

_WORK_SIDE = 384  # long side of the copy a person's silhouette is computed on (speed)
_CUTOUT_SIDE = 1024  # the same for garments, whose edge shows: full size, up to this
_MIN_THRESHOLD = 36  # colour distance from the background that counts as "something"


@dataclass(frozen=True)
class Foreground:
    """A 0/255 mask at a reduced size; ``scale`` is photo size / mask size (x, y)."""

    mask: Image.Image
    scale: tuple[float, float]
    reliable: bool  # False when the border is not a plain background
    background: RGB  # the border colour
    tolerance: int  # how far from it a pixel still counts as background


def foreground(
    img: Image.Image, work_side: int = _WORK_SIDE, *, open_bottom: bool = False
) -> Foreground:
    """What is not the photo's background, as a mask on a small copy.

    ``open_bottom``: the subject may run off the bottom edge (a person photographed
    from the waist up), so the backdrop is judged, and filled from, the other sides.

    The background is what looks like the border colour *and* joins the border: a
    flood fill from the edge. Light areas enclosed by the subject (white fabric inside
    a shirt's outline, a print) stay, gaps open to the edge (between legs) do not.
    """
    background, spread = _border_color(img, open_bottom)
    tolerance = max(_MIN_THRESHOLD, round(3 * spread))
    # The distance is taken at full size and shrunk keeping each cell's largest value:
    # a thin outline is often all that parts a light top from a light backdrop.
    small_size = bounded_size(img.size, work_side)
    distance = distance_from(img, background)
    if small_size != img.size:
        distance = _max_pooled(distance, small_size)
    like_background = distance.point(lambda v: 255 if v <= tolerance else 0)
    mask = ImageChops.invert(border_connected(like_background, from_bottom=not open_bottom))
    # Opening (erode, then dilate) drops JPEG specks and thin shadows.
    mask = dilate(erode(mask))
    coverage = ImageStat.Stat(mask).mean[0] / 255
    # A busy border (no plain background) or a mask that is nearly all or nothing
    # means the estimate cannot be trusted.
    reliable = spread < 24 and 0.01 < coverage < 0.9
    scale = (img.width / small_size[0], img.height / small_size[1])
    return Foreground(
        mask=mask, scale=scale, reliable=reliable, background=background, tolerance=tolerance
    )


def cut_out(garment: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The garment cropped to its silhouette, and its 0/255 mask at the same size."""
    found = foreground(garment, _CUTOUT_SIDE)
    bbox = found.mask.getbbox() if found.reliable else None
    if bbox is None:
        # No plain background to remove: use the whole photo, fully opaque.
        return garment, Image.new("L", garment.size, 255)
    # A light blur cut again at half rounds off the stair-steps of the edge; eroding
    # by a pixel drops the fringe where the garment's edge blends into the background
    # colour (a pale halo once pasted on the person).
    small_mask = found.mask.filter(ImageFilter.GaussianBlur(max(1, found.mask.height / 400)))
    small_mask = erode(small_mask.point(lambda v: 255 if v >= 128 else 0))
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


def erode(mask: Image.Image) -> Image.Image:
    """A 0/255 mask shrunk by a pixel (a 3 x 3 minimum, done with a fast box blur)."""
    return mask.filter(ImageFilter.BoxBlur(1)).point(lambda v: 255 if v == 255 else 0)


def dilate(mask: Image.Image) -> Image.Image:
    """A 0/255 mask grown by a pixel (a 3 x 3 maximum, done with a fast box blur)."""
    return mask.filter(ImageFilter.BoxBlur(1)).point(lambda v: 255 if v > 0 else 0)


def _border_color(img: Image.Image, open_bottom: bool) -> tuple[RGB, float]:
    """The median colour of a thin frame around ``img`` and its largest std deviation."""
    frame = Image.new("L", img.size, 0)
    width = max(2, min(img.size) // 50)
    pen = ImageDraw.Draw(frame)
    pen.rectangle((0, 0, img.width - 1, img.height - 1), outline=255, width=width)
    if open_bottom and img.height > 3 * width:
        pen.rectangle((0, img.height - width, img.width - 1, img.height - 1), fill=0)
    stat = ImageStat.Stat(img, frame)
    median = tuple(int(v) for v in stat.median[:3])
    return (median[0], median[1], median[2]), max(stat.stddev[:3])


def distance_from(img: Image.Image, color: RGB) -> Image.Image:
    """The largest per-channel difference from ``color``, as an L image."""
    red, green, blue = ImageChops.difference(img, Image.new("RGB", img.size, color)).split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue)


def _max_pooled(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` shrunk to ``size``, each pixel the largest of the pixels it covers.

    One nearest-neighbour sample per source pixel of a cell, then the lighter of all:
    a cell-sized grid of cheap affine samples, never a full-size copy.
    """
    step_x, step_y = img.width / size[0], img.height / size[1]
    count_x, count_y = math.ceil(step_x - 1e-6), math.ceil(step_y - 1e-6)
    pooled: Image.Image | None = None
    for i in range(count_x):
        for j in range(count_y):
            # Output pixel centre (u + 0.5) samples source x = step * u + offset + ...
            offset_x = (i + 0.5) * step_x / count_x - 0.5 * step_x
            offset_y = (j + 0.5) * step_y / count_y - 0.5 * step_y
            sample = img.transform(
                size,
                Image.Transform.AFFINE,
                (step_x, 0, offset_x, 0, step_y, offset_y),
                resample=Image.Resampling.NEAREST,
            )
            pooled = sample if pooled is None else ImageChops.lighter(pooled, sample)
    assert pooled is not None
    return pooled


def _scaled_box(box: Box, scale: tuple[float, float], limit: tuple[int, int]) -> Box:
    """``box`` on the small mask, as whole pixels of the photo (rounded outwards)."""
    left, top, right, bottom = box
    return (
        max(0, math.floor(left * scale[0])),
        max(0, math.floor(top * scale[1])),
        min(limit[0], math.ceil(right * scale[0])),
        min(limit[1], math.ceil(bottom * scale[1])),
    )
