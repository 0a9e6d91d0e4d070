"""Where a garment goes by category, as fractions of the photo's height.

The fallback when the person cannot be measured (``body``), and the region prompt
mode recolours.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .cutout import Box, Foreground, foreground

__all__ = [
    "CATEGORY_BANDS",
    "WIDTH_ALLOWANCE",
    "person_columns",
    "placement",
    "torso_region",
]

# Where each category goes, as (top, bottom) fractions of the person photo's height.
CATEGORY_BANDS: dict[str, tuple[float, float]] = {
    "upper_body": (0.18, 0.55),  # shoulders to hips
    "lower_body": (0.48, 0.95),  # hips to ankles
    "dresses": (0.18, 0.85),  # shoulders to knees
}
# How much wider than the person's extent in that band the garment may be
# (sleeves and skirts stick out a little).
WIDTH_ALLOWANCE = {"upper_body": 1.15, "lower_body": 1.1, "dresses": 1.4}
# What prompt mode recolours: the band of a top.
_TORSO_BAND = CATEGORY_BANDS["upper_body"]


def person_columns(found: Foreground, band: tuple[float, float]) -> tuple[int, int] | None:
    """The person's left and right edge (full-size pixels) within ``band``, if found."""
    if not found.reliable:
        return None
    mask = found.mask
    top, bottom = round(band[0] * mask.height), round(band[1] * mask.height)
    # Averaging each column of the band into one row gives its foreground coverage.
    profile = mask.crop((0, top, mask.width, bottom)).resize((mask.width, 1), Image.Resampling.BOX)
    covered = [x for x, value in enumerate(profile.tobytes()) if value >= 64]  # >= 25%
    if not covered:
        return None
    left, right = covered[0], covered[-1] + 1
    if not 0.08 <= (right - left) / mask.width <= 0.95:
        return None
    return round(left * found.scale[0]), round(right * found.scale[0])


def placement(
    canvas: tuple[int, int],
    garment: tuple[int, int],
    band: tuple[float, float],
    allowance: float,
    columns: tuple[int, int] | None,
) -> Box:
    """Where the garment goes: fitted into the band, top-aligned, centred on the person."""
    width, height = canvas
    left, right = columns or (round(width * 0.25), round(width * 0.75))
    band_top = round(band[0] * height)
    band_height = round((band[1] - band[0]) * height)
    scale = min(band_height / garment[1], (right - left) * allowance / garment[0])
    size = (max(1, round(garment[0] * scale)), max(1, round(garment[1] * scale)))
    x = (left + right) // 2 - size[0] // 2
    x = min(max(x, 0), max(0, width - size[0]))
    return x, band_top, x + size[0], band_top + size[1]


def torso_region(person: Image.Image) -> Image.Image:
    """A feathered L mask of the person's torso (within their silhouette when found)."""
    width, height = person.size
    top, bottom = round(_TORSO_BAND[0] * height), round(_TORSO_BAND[1] * height)
    found = foreground(person, open_bottom=True)
    columns = person_columns(found, _TORSO_BAND)
    if columns is None:
        left, right = round(width * 0.3), round(width * 0.7)
    else:
        # The extent includes hanging arms: keep its middle three quarters.
        centre, half = (columns[0] + columns[1]) / 2, (columns[1] - columns[0]) * 0.375
        left, right = round(centre - half), round(centre + half)
    region = Image.new("L", person.size, 0)
    ImageDraw.Draw(region).rectangle((left, top, right, bottom), fill=255)
    if found.reliable:
        silhouette = found.mask.resize(person.size, Image.Resampling.BILINEAR)
        region = ImageChops.darker(region, silhouette)
    return region.filter(ImageFilter.GaussianBlur(max(1.0, width / 400)))
