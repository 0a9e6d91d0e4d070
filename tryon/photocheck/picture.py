"""The small grey picture every check looks at, decoded cheaply from the upload.

The checks read a normalised JPEG (long side at most ``MAX_IMAGE_SIDE``). Decoding it
in full only to shrink it would cost as much as the checks themselves, so libjpeg is
asked for a reduced-scale decode (``Image.draft``, 1/2 to 1/8 in its DCT), in grey, and
the rest of the way is a box filter. Every threshold in this package is calibrated at
this analysis size, which makes them independent of the upload's resolution.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

__all__ = ["ANALYSIS_SIDE", "AnalysisPicture", "analysis_picture", "percentile"]

#: Long side, in pixels, of the grey picture the checks analyse.
ANALYSIS_SIDE = 512


@dataclass(frozen=True)
class AnalysisPicture:
    """``grey``: the picture in luminance, long side at most ``ANALYSIS_SIDE``;
    ``width`` and ``height``: the size of the photo itself."""

    grey: Image.Image
    width: int
    height: int

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def analysis_picture(content: bytes, side: int = ANALYSIS_SIDE) -> AnalysisPicture:
    """Decode ``content`` to a grey picture whose long side is at most ``side``."""
    with Image.open(io.BytesIO(content)) as img:
        size = img.size
        img.draft("L", (side, side))  # JPEG only: decodes at the smallest scale >= side
        grey = img.convert("L")
    if max(grey.size) > side:
        grey.thumbnail((side, side), Image.Resampling.BOX)
    return AnalysisPicture(grey=grey, width=size[0], height=size[1])


def percentile(histogram: Sequence[int], fraction: float) -> int:
    """The smallest value at or below which ``fraction`` of a histogram's counts lie."""
    total = sum(histogram)
    if total == 0:
        return 0
    wanted = fraction * total
    running = 0
    for value, count in enumerate(histogram):
        running += count
        if running >= wanted:
            return value
    return len(histogram) - 1
