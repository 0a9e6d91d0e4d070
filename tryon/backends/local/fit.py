"""Where a cut-out garment goes on a measured body, and at what size.

- Tops: as wide as the person across the arms (sleeves reach the arms), the garment's
  shoulders on the person's, no lower than the knees; whatever is higher (collar,
  hood) stops below the chin.
- Bottoms: the waistband on the waist, wide enough for the hips and for the legs at
  the knees, no lower than the feet.
- Dresses: from the base of the neck, the bodice as wide as the torso, at most to just
  above the feet; also stopped below the chin.

Widths and heights are scaled together, or within ``_MAX_STRETCH`` of each other
when a garment photo's proportions cannot fit both (a long drawn dress).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .body import Body
from .flood import row_runs

__all__ = ["Fit", "GarmentShape", "fit_garment", "garment_shape"]

_SHAPE_SIDE = 256  # garment masks are measured on a copy this tall
_SHOULDER_WIDTH = 0.6  # a top's shoulders: its first row this share of its full width
_SHOULDER_LIFT = 0.15  # tops sit this share of chin -> shoulders higher
_COLLAR_LINE = 0.35  # nothing above this share of the way from the chin to the shoulders
_MAX_STRETCH = 1.35  # largest ratio between the horizontal and the vertical scale
_SLEEVE_ALLOWANCE = 1.06  # a top, sleeve to sleeve, against the person's span
_HIP_ALLOWANCE = 1.06  # a waistband against the hips
_LEG_ALLOWANCE = 1.08  # trousers at mid-height against the legs at the knees
_BODICE_ALLOWANCE = 1.08  # a dress a quarter down against the chest
_DRESS_LENGTH = 0.85  # at most this share of the way from the neck to the feet


@dataclass(frozen=True)
class GarmentShape:
    """A cut-out garment's outline, as fractions of its height (rows) and width."""

    shoulders: float  # first row at _SHOULDER_WIDTH of the full width
    widths: tuple[float, ...]  # each row's extent, top to bottom, as a share of the width

    def width_at(self, fraction: float) -> float:
        return self.widths[min(len(self.widths) - 1, max(0, round(fraction * len(self.widths))))]


@dataclass(frozen=True)
class Fit:
    """The garment's box on the person photo, and the row above which it is hidden."""

    box: tuple[int, int, int, int]  # left, top, right, bottom (may reach past the photo)
    clip_above: int | None


def garment_shape(mask: Image.Image) -> GarmentShape:
    """The outline of a cut-out garment mask (0/255, cropped to the garment)."""
    height = min(mask.height, _SHAPE_SIDE)
    small = mask.resize((mask.width, height), Image.Resampling.BOX)
    small = small.point(lambda value: 255 if value >= 128 else 0)
    widths = tuple(
        (runs[-1][1] - runs[0][0]) / mask.width if runs else 0.0 for runs in row_runs(small)
    )
    widest = max(widths, default=0.0)
    shoulders = next((y for y, w in enumerate(widths) if w >= _SHOULDER_WIDTH * widest), 0)
    return GarmentShape(shoulders=shoulders / height, widths=widths)


def fit_garment(body: Body, shape: GarmentShape, size: tuple[int, int], category: str) -> Fit:
    """The box for a garment of pixel ``size`` and ``shape`` on ``body``."""
    width, height = size
    if category == "upper_body":
        span = body.span[1] - body.span[0]
        # A little above the shoulder line: the model's own top should not peek out.
        shoulders = body.shoulders - _SHOULDER_LIFT * (body.shoulders - body.chin)
        below_shoulders = max(0.05, 1 - shape.shoulders) * height
        longest = (body.knees - shoulders) / below_shoulders
        scales = _limited(span * _SLEEVE_ALLOWANCE / width, longest)
        top = shoulders - shape.shoulders * height * scales[1]
        return _fit(body.centre, top, size, scales, _collar_line(body))
    if category == "lower_body":
        hips, legs = body.hips[1] - body.hips[0], body.legs[1] - body.legs[0]
        wanted = legs * _LEG_ALLOWANCE / (max(shape.width_at(0.5), 0.05) * width)
        if hips <= 1.4 * legs:  # arms hanging against the hips would widen them
            wanted = max(wanted, hips * _HIP_ALLOWANCE / (max(shape.width_at(0.02), 0.05) * width))
        scales = _limited(wanted, (body.feet - body.waist) / height)
        return _fit((body.legs[0] + body.legs[1]) / 2, body.waist, size, scales, None)
    # Dresses hang from the base of the neck.
    top = body.shoulders - 0.3 * (body.shoulders - body.chin)
    torso = body.torso[1] - body.torso[0]
    wanted = torso * _BODICE_ALLOWANCE / (max(shape.width_at(0.25), 0.05) * width)
    scales = _limited(wanted, _DRESS_LENGTH * (body.feet - top) / height)
    return _fit(body.centre, top, size, scales, _collar_line(body))


def _collar_line(body: Body) -> int:
    """The highest row a garment may reach: a little below the chin, as seen.

    The chin tip hides inside the neck's outline, so the chin found is a little high.
    """
    return round(body.chin + _COLLAR_LINE * (body.shoulders - body.chin))


def _limited(wanted: float, longest: float) -> tuple[float, float]:
    """Horizontal and vertical scale: ``wanted`` both ways, shortened to ``longest``."""
    vertical = min(wanted, longest)
    horizontal = min(wanted, vertical * _MAX_STRETCH)
    return horizontal, vertical


def _fit(
    centre: float,
    top: float,
    size: tuple[int, int],
    scales: tuple[float, float],
    clip_above: int | None,
) -> Fit:
    width = max(1, round(size[0] * scales[0]))
    height = max(1, round(size[1] * scales[1]))
    left, upper = round(centre - width / 2), round(top)
    return Fit(box=(left, upper, left + width, upper + height), clip_above=clip_above)
