"""The collage itself: the cut-out garment laid over the person, fitted to their body.

When the person cannot be measured (a busy background, a close-up), the garment goes
into the category's band of the photo instead (``placement``), as wide as the person's
extent there, or centred.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .body import measure_body
from .cutout import cut_out, foreground
from .fit import Fit, fit_garment, garment_shape
from .placement import CATEGORY_BANDS, WIDTH_ALLOWANCE, person_columns, placement

__all__ = ["dress"]


def dress(
    person: Image.Image, garment: Image.Image, category: str
) -> tuple[Image.Image, Image.Image]:
    """The person wearing the garment, and the L mask of where the garment went."""
    cutout, cutout_mask = cut_out(garment)
    found = foreground(person, open_bottom=True)
    body = measure_body(person, found)
    if body is not None:
        fit = fit_garment(body, garment_shape(cutout_mask), cutout.size, category)
    else:
        band = CATEGORY_BANDS[category]
        columns = person_columns(found, band)
        box = placement(person.size, cutout.size, band, WIDTH_ALLOWANCE[category], columns)
        fit = Fit(box=box, clip_above=None)
    left, top, right, bottom = fit.box
    size = (right - left, bottom - top)
    paste_mask = cutout_mask.resize(size, Image.Resampling.BILINEAR)
    if fit.clip_above is not None and fit.clip_above > top:
        # Nothing of the garment over the face: a hood or a collar stops below the chin.
        ImageDraw.Draw(paste_mask).rectangle((0, 0, size[0], fit.clip_above - top - 1), fill=0)
    # A slight feather hides the jagged edge of a mask computed at a small size.
    paste_mask = paste_mask.filter(ImageFilter.GaussianBlur(max(1.0, size[0] / 400)))
    full_mask = Image.new("L", person.size, 0)
    full_mask.paste(paste_mask, (left, top))
    if body is not None and category != "upper_body":
        # Hands hang in front of a skirt or a dress.
        full_mask = ImageChops.subtract(full_mask, body.arms)
    layer = Image.new("RGB", person.size)
    layer.paste(cutout.resize(size, Image.Resampling.BICUBIC), (left, top))
    return Image.composite(layer, person, full_mask), full_mask
