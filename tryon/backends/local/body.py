"""Landmarks of a standing person, read from their silhouette against a plain backdrop.

The silhouette is ``cutout.foreground`` of the model photo. Read row by row:

- the head is the top of the silhouette, much narrower than the body below it (or it
  is no person); the shoulders are the first row at least half as wide again as it;
  the chin is where the face has narrowed to the neck's width (or, when hair hides
  the neck, 70% of the way from the top of the head to the shoulders);
- the feet are the bottom, above a floor shadow wider than the legs; for a figure
  cut off by the bottom edge, below the photo, guessed from the head's height;
- the crotch is the top of the gap between the legs, looked for at full size in the
  middle of the legs; the waistband sits a quarter of the way from there up to the
  shoulders (without a gap, at fixed proportions of shoulders to feet);
- widths: ``span`` (arms included) over the torso, ``torso`` at the chest and
  ``hips`` at the waist (the run holding the middle), ``legs`` at the knees;
- the arms, where they hang clear of the body (runs wholly beside the hips).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .cutout import Foreground, distance_from
from .flood import Run, row_runs

__all__ = ["Body", "measure_body"]

Columns = tuple[int, int]  # left, right (exclusive), full-size pixels

_SHOULDER_WIDENING = 1.5  # shoulders: the first row this much wider than the head
_HEAD_AT_MOST = 0.55  # of the widest row below it: a round blob is no person
_NECK_NARROWING = 0.8  # a neck narrower than this share of the head is looked for
_CHIN_WITHOUT_NECK = 0.7  # top of head -> shoulders, where the chin is when hair hides it
_CROTCH_BETWEEN = (0.3, 0.75)  # shoulders -> feet, where a crotch can be
_WAIST_FROM_CROTCH = 0.25  # crotch -> shoulders, where the waistband sits
_WAIST_WITHOUT_CROTCH = 0.37  # shoulders -> feet, the same without a gap between the legs
_SHADOW_WIDENING = 1.3  # a floor shadow: rows this much wider than the legs
# Shoulders -> feet, in heights of top of head -> shoulders, for a figure cut off at the
# bottom: the demo figures are 3.3, adults about 4.5 (the short guess keeps tops short).
_FEET_IN_HEADS = 3.3


@dataclass(frozen=True)
class Body:
    """Rows (y) and column spans (x) of a standing person, in full-size pixels."""

    top: int
    chin: int
    shoulders: int
    waist: int
    knees: int
    feet: int
    span: Columns
    torso: Columns
    hips: Columns
    legs: Columns
    arms: Image.Image  # L mask, full size: arms hanging clear of the body (may be empty)

    @property
    def centre(self) -> float:
        return (self.span[0] + self.span[1]) / 2


def measure_body(person: Image.Image, found: Foreground) -> Body | None:
    """The landmarks of the person in ``person``, or None when no standing figure is seen."""
    if not found.reliable:
        return None
    rows = row_runs(found.mask)
    occupied = [y for y, runs in enumerate(rows) if runs]
    if not occupied:
        return None
    top, bottom = occupied[0], occupied[-1]
    height = bottom - top
    if height < 0.4 * found.mask.height:
        return None

    def width(y: int) -> int:
        runs = rows[y]
        return runs[-1][1] - runs[0][0] if runs else 0

    head_rows = range(top, top + max(2, round(0.15 * height)))
    head = max(width(y) for y in head_rows)
    widest = next(y for y in head_rows if width(y) == head)
    shoulders = next((y for y in range(widest, bottom) if width(y) >= _SHOULDER_WIDENING * head), 0)
    if not top < shoulders < top + 0.5 * height:
        return None
    if head > _HEAD_AT_MOST * max(width(y) for y in range(shoulders, bottom + 1)):
        return None
    neck = min(width(y) for y in range(widest, shoulders))
    if neck < _NECK_NARROWING * head:
        chin = next(y for y in range(widest, shoulders) if width(y) <= 1.1 * neck)
    else:
        chin = top + round(_CHIN_WITHOUT_NECK * (shoulders - top))
    feet = _feet(rows, top + round(0.67 * height), bottom)
    if bottom >= len(rows) - 2:  # cut off by the bottom edge: the feet are further down
        feet = max(feet, shoulders + round(_FEET_IN_HEADS * (shoulders - top)))

    def row(y: int) -> list[Run]:
        return rows[min(y, bottom)]

    scale_x, scale_y = found.scale
    shins = row(max(shoulders, feet - round(0.15 * (feet - shoulders))))
    legs_centre = (shins[0][0] + shins[-1][1]) / 2 if shins else None
    crotch = _crotch(person, found, legs_centre, (shoulders, feet)) if legs_centre else None
    crotch_row = crotch / scale_y if crotch is not None else 0.0
    # A light top on a light backdrop can pass for a gap: the crotch is where legs start.
    low, high = _CROTCH_BETWEEN
    if low <= (crotch_row - shoulders) / max(1, feet - shoulders) <= high:
        waist_row = round(crotch_row - _WAIST_FROM_CROTCH * (crotch_row - shoulders))
    else:
        waist_row = shoulders + round(_WAIST_WITHOUT_CROTCH * (feet - shoulders))
    if not shoulders < waist_row < feet:
        return None
    knee_row = (waist_row + feet) // 2
    span = _widest(rows[shoulders:waist_row])
    if span is None:
        return None
    centre = (span[0] + span[1]) / 2
    chest_row = shoulders + round(0.35 * (waist_row - shoulders))
    torso = _run_at(row(chest_row), centre) or span
    hips = _run_at(row(waist_row), centre) or torso
    legs = _overlapping(row(knee_row), hips) or hips

    hanging = _arms(rows, found.mask.size, hips, (shoulders, min(feet, bottom + 1)))

    def x(columns: Columns) -> Columns:
        return round(columns[0] * scale_x), round(columns[1] * scale_x)

    def y(row: int) -> int:
        return round(row * scale_y)

    return Body(
        top=y(top),
        chin=y(chin),
        shoulders=y(shoulders),
        waist=y(waist_row),
        knees=y(knee_row),
        feet=y(feet + 1),
        span=x(span),
        torso=x(torso),
        hips=x(hips),
        legs=x(legs),
        arms=hanging.resize(person.size, Image.Resampling.BILINEAR),
    )


def _feet(rows: list[list[Run]], start: int, bottom: int) -> int:
    """The last row of the legs: above a floor shadow that is much wider than them."""
    widths = sorted(runs[-1][1] - runs[0][0] for runs in rows[start : bottom + 1] if runs)
    if not widths:
        return bottom
    limit = _SHADOW_WIDENING * widths[len(widths) // 2]
    for y in range(start, bottom + 1):
        runs = rows[y]
        if runs and runs[-1][1] - runs[0][0] > limit:
            return max(start, y - 1)
    return bottom


def _crotch(
    person: Image.Image, found: Foreground, centre: float, rows: tuple[int, int]
) -> int | None:
    """The full-size row where the gap between the legs closes, if there is one.

    Looked for at full size in a thin column: at the small size the narrow top of the
    gap is lost.
    """
    scale_x, scale_y = found.scale
    x = round(centre * scale_x)
    top, bottom = round(rows[0] * scale_y), min(person.height, round((rows[1] + 1) * scale_y))
    strip = person.crop((max(0, x - 1), top, min(person.width, x + 2), bottom))
    # A row is in the gap when one of the three middle pixels looks like the backdrop.
    background = distance_from(strip, found.background).point(
        lambda value: 255 if value <= found.tolerance else 0
    )
    gap = [255 in row for row in _rows(background)]
    y = len(gap) - 1
    # Shoes or a shadow may meet below the gap: step over them (a little way only).
    while y > 0 and not gap[y] and len(gap) - 1 - y < 0.08 * len(gap):
        y -= 1
    gap_bottom = y
    while y > 0 and gap[y]:
        y -= 1
    if gap_bottom - y < 0.1 * len(gap):
        return None
    return top + y + 1


def _arms(
    rows: list[list[Run]], size: tuple[int, int], hips: Columns, between: tuple[int, int]
) -> Image.Image:
    """The runs wholly beside the hips (arms and hands hanging clear), as a mask."""
    mask = bytearray(size[0] * size[1])
    for y in range(*between):
        for start, end in rows[y]:
            if end <= hips[0] or start >= hips[1]:
                mask[y * size[0] + start : y * size[0] + end] = b"\xff" * (end - start)
    return Image.frombytes("L", size, bytes(mask))


def _rows(mask: Image.Image) -> list[bytes]:
    data, width = mask.tobytes(), mask.width
    return [data[start : start + width] for start in range(0, len(data), width)]


def _widest(rows: list[list[Run]]) -> Columns | None:
    """The leftmost and rightmost column over ``rows``."""
    spans = [(runs[0][0], runs[-1][1]) for runs in rows if runs]
    if not spans:
        return None
    return min(left for left, _ in spans), max(right for _, right in spans)


def _run_at(runs: list[Run], x: float) -> Columns | None:
    """The run holding column ``x`` (or the nearest one)."""
    if not runs:
        return None
    return min(runs, key=lambda run: max(0.0, run[0] - x, x - run[1] + 1))


def _overlapping(runs: list[Run], columns: Columns) -> Columns | None:
    """The extent of the runs that overlap ``columns``."""
    inside = [run for run in runs if run[0] < columns[1] and columns[0] < run[1]]
    if not inside:
        return None
    return inside[0][0], inside[-1][1]
