"""An offline backend: pastes the garment photo onto the person photo with Pillow.

It needs no credentials and makes no network call, so a shop can try the whole flow
(widget, queue, storage, admin) before buying credits, and the example project runs
out of the box. The pictures are honestly labelled ``PREVIEW``: this is a collage,
not an AI result, and ``BackendResult.is_preview`` says so.

How a garment is placed:

1. The garment photo's plain background is estimated from its border pixels; pixels
   far from that colour are the garment. Holes enclosed both across and down (a white
   print on a shirt) are filled; open gaps (between trouser legs, under sleeves) stay.
2. The person's horizontal extent is found the same way on the person photo, within
   the body band of the category; on a busy background the garment is centred.
3. The garment is fitted into the band (``CATEGORY_BANDS``, fractions of the height),
   top-aligned, centred on the person, and composited through a feathered mask.

Everything is deterministic: the same inputs give the same bytes (the dedup by
fingerprint relies on stable results).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import math
import re
import secrets
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from PIL import (
    Image,
    ImageChops,
    ImageDraw,
    ImageFilter,
    ImageFont,
    ImageOps,
    ImageStat,
)

from ..exceptions import ProviderInvalidInputError
from ..images import bounded_size, encode_jpeg, normalize_image
from ..parameters import SEED_MAX
from .base import BackendResult, BaseBackend, GeneratedImage, ImageInput

__all__ = ["CATEGORY_BANDS", "PROMPT_COLORS", "LocalPreviewBackend", "image_bytes", "prompt_color"]

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

# Where each category goes, as (top, bottom) fractions of the person photo's height.
CATEGORY_BANDS: dict[str, tuple[float, float]] = {
    "upper_body": (0.18, 0.55),  # shoulders to hips
    "lower_body": (0.48, 0.95),  # hips to ankles
    "dresses": (0.18, 0.85),  # shoulders to knees
}
# How much wider than the person's extent in that band the garment may be
# (sleeves and skirts stick out a little).
_WIDTH_ALLOWANCE = {"upper_body": 1.15, "lower_body": 1.1, "dresses": 1.4}

# Colour words understood in prompt mode; the first one named in the prompt wins.
PROMPT_COLORS: dict[str, RGB] = {
    "red": (200, 30, 40),
    "blue": (35, 75, 190),
    "green": (40, 140, 60),
    "black": (28, 28, 30),
    "white": (240, 240, 236),
    "yellow": (235, 200, 40),
    "pink": (235, 130, 170),
    "purple": (120, 50, 150),
    "orange": (240, 120, 30),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "brown": (120, 75, 40),
    "beige": (220, 200, 160),
}
_NEUTRAL_TINT: RGB = (110, 118, 130)  # slate, when the prompt names no colour
_PROMPT_BAND = CATEGORY_BANDS["upper_body"]
_COLOR_WORDS = re.compile(r"\b(" + "|".join(PROMPT_COLORS) + r")\b", re.IGNORECASE)

_MASK_COLOR: RGB = (40, 200, 255)
_LABEL = "PREVIEW"
_WORK_SIDE = 384  # long side of the copies the masks are computed on (speed)
_MIN_THRESHOLD = 36  # colour distance from the background that counts as "something"


class LocalPreviewBackend(BaseBackend):
    """Offline collage of the garment onto the person: free, instant, labelled PREVIEW."""

    is_paid = False

    def change_clothes(
        self,
        *,
        model_image: ImageInput,
        garment_image: ImageInput,
        category: str,
        description: str = "",
    ) -> BackendResult:
        """Paste the garment onto the person's body region for ``category``.

        ``description`` is accepted for the interface's sake; a collage has no use for it.
        """
        band = CATEGORY_BANDS.get(category)
        if band is None:
            raise ProviderInvalidInputError(
                f"Unknown category {category!r}: use one of {', '.join(CATEGORY_BANDS)}."
            )
        person = _load(model_image)
        garment = _load(garment_image)
        cutout, cutout_mask = _cut_out(garment)
        columns = _person_columns(_foreground(person), band)
        box = _placement(person.size, cutout.size, band, _WIDTH_ALLOWANCE[category], columns)
        size = (box[2] - box[0], box[3] - box[1])
        paste_mask = cutout_mask.resize(size, Image.Resampling.BILINEAR)
        # A slight feather hides the jagged edge of a mask computed at a small size.
        paste_mask = paste_mask.filter(ImageFilter.GaussianBlur(max(1.0, size[0] / 400)))
        full_mask = Image.new("L", person.size, 0)
        full_mask.paste(paste_mask, box[:2])

        result = person.copy()
        result.paste(cutout.resize(size, Image.Resampling.BICUBIC), box[:2], paste_mask)
        return _result(person, result, full_mask, seed=None)

    def change_clothes_by_prompt(
        self,
        *,
        model_image: ImageInput,
        prompt: str,
        seed: int | None = None,
        randomize_seed: bool | None = None,
        guidance_scale: float | None = None,
        num_inference_steps: int | None = None,
    ) -> BackendResult:
        """Tint the torso with the colour the prompt names (or a neutral slate).

        The pixels depend only on the photo and the prompt. The seed returned is the
        given one, a random one when ``randomize_seed`` is true (as the provider does),
        and otherwise one derived from the prompt, so repeating a request repeats it.
        ``guidance_scale`` and ``num_inference_steps`` are checked, then ignored.
        """
        if not prompt or not prompt.strip():
            raise ProviderInvalidInputError("A prompt is required.")
        _check_prompt_parameters(seed, guidance_scale, num_inference_steps)
        person = _load(model_image)
        region = _torso_region(person)
        tinted = _tint(person, prompt_color(prompt))
        result = Image.composite(tinted, person, region)
        return _result(person, result, region, seed=_seed_for(prompt, seed, randomize_seed))


# -- inputs ----------------------------------------------------------------------------

_DATA_URI = re.compile(r"^data:(?P<params>[^,]*),(?P<payload>.*)$", re.DOTALL | re.IGNORECASE)


def image_bytes(value: ImageInput) -> bytes:
    """The file bytes of an image input: bytes as they are, or a decoded ``data:`` URI."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        # Offline by design: this backend never touches the network.
        raise ProviderInvalidInputError("The offline preview backend needs image files, not URLs.")
    match = _DATA_URI.match(text)
    if match is None:
        raise ProviderInvalidInputError(
            "The offline preview backend needs image files or data: URIs."
        )
    payload = match["payload"]
    if match["params"].lower().endswith(";base64"):
        try:
            return base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderInvalidInputError("The image data: URI is not valid base64.") from exc
    return unquote_to_bytes(payload)


def _load(value: ImageInput) -> Image.Image:
    """Normalise (validating: bombs, non-images...) and decode to RGB."""
    normalized = normalize_image(image_bytes(value))
    with Image.open(io.BytesIO(normalized.content)) as img:
        return img.convert("RGB")


# -- masks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Foreground:
    """A 0/255 mask at a reduced size; ``scale`` is photo size / mask size (x, y)."""

    mask: Image.Image
    scale: tuple[float, float]
    reliable: bool  # False when the border is not a plain background


def _foreground(img: Image.Image) -> _Foreground:
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
    return _Foreground(mask=mask, scale=scale, reliable=reliable)


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


def _cut_out(garment: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The garment cropped to its silhouette, and its 0/255 mask at the same size."""
    found = _foreground(garment)
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


def _scaled_box(box: Box, scale: tuple[float, float], limit: tuple[int, int]) -> Box:
    """``box`` on the small mask, as whole pixels of the photo (rounded outwards)."""
    left, top, right, bottom = box
    return (
        max(0, math.floor(left * scale[0])),
        max(0, math.floor(top * scale[1])),
        min(limit[0], math.ceil(right * scale[0])),
        min(limit[1], math.ceil(bottom * scale[1])),
    )


# -- placement -------------------------------------------------------------------------


def _person_columns(found: _Foreground, band: tuple[float, float]) -> tuple[int, int] | None:
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


def _placement(
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


def _torso_region(person: Image.Image) -> Image.Image:
    """A feathered L mask of the person's torso (within their silhouette when found)."""
    width, height = person.size
    top, bottom = round(_PROMPT_BAND[0] * height), round(_PROMPT_BAND[1] * height)
    found = _foreground(person)
    columns = _person_columns(found, _PROMPT_BAND)
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


# -- prompt mode -----------------------------------------------------------------------


def prompt_color(prompt: str) -> RGB:
    """The colour first named in ``prompt`` (``PROMPT_COLORS``), else a neutral slate."""
    match = _COLOR_WORDS.search(prompt)
    return PROMPT_COLORS[match[1].lower()] if match else _NEUTRAL_TINT


def _tint(img: Image.Image, color: RGB) -> Image.Image:
    """``img`` recoloured in shades of ``color``, keeping its light and shade."""
    dark = tuple(round(c * 0.35) for c in color)
    light = tuple(round(c + (255 - c) * 0.55) for c in color)
    return ImageOps.colorize(ImageOps.grayscale(img), black=dark, white=light, mid=color)


def _seed_for(prompt: str, seed: int | None, randomize_seed: bool | None) -> int:
    if randomize_seed:
        return secrets.randbelow(SEED_MAX + 1)
    if seed is not None:
        return seed
    digest = hashlib.sha256(prompt.strip().encode()).digest()
    return int.from_bytes(digest[:4], "big") & SEED_MAX


def _check_prompt_parameters(
    seed: int | None, guidance_scale: float | None, num_inference_steps: int | None
) -> None:
    """The provider's documented ranges, so a preview fails where a real call would."""
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise ProviderInvalidInputError(f"seed must be between 0 and {SEED_MAX}.")
    if guidance_scale is not None and not 1 <= guidance_scale <= 100:
        raise ProviderInvalidInputError("guidance_scale must be between 1 and 100.")
    if num_inference_steps is not None and not 1 <= num_inference_steps <= 50:
        raise ProviderInvalidInputError("num_inference_steps must be between 1 and 50.")


# -- output ----------------------------------------------------------------------------


def _result(
    person: Image.Image, result: Image.Image, mask: Image.Image, *, seed: int | None
) -> BackendResult:
    return BackendResult(
        image=GeneratedImage(content=encode_jpeg(_labelled(result))),
        mask=GeneratedImage(content=encode_jpeg(_mask_overlay(person, mask))),
        seed=seed,
        is_preview=True,
        provider_calls=0,
    )


def _mask_overlay(person: Image.Image, mask: Image.Image) -> Image.Image:
    """The person photo with the replaced region drawn over it, translucent."""
    overlay = Image.blend(person, Image.new("RGB", person.size, _MASK_COLOR), 0.55)
    return Image.composite(overlay, person, mask)


def _labelled(img: Image.Image) -> Image.Image:
    """``img`` with a small, discreet PREVIEW badge in the bottom-right corner."""
    width, height = img.size
    font = _font(max(10, round(min(width, height) * 0.028)))
    left, top, right, bottom = font.getbbox(_LABEL)
    pad, margin = max(3, (bottom - top) // 3), max(4, min(width, height) // 60)
    x = width - margin - (right - left) - 2 * pad
    y = height - margin - (bottom - top) - 2 * pad
    badge = (x, y, width - margin, height - margin)

    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    overlay_draw = ImageDraw.Draw(overlay)
    overlay_draw.rounded_rectangle(badge, radius=pad, fill=(0, 0, 0, 120))
    overlay_draw.text((x + pad - left, y + pad - top), _LABEL, font=font, fill=(255, 255, 255, 230))
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError):  # Pillow built without FreeType: the bitmap font
        return ImageFont.load_default()
