"""What the offline backend returns: the picture badged PREVIEW, and a mask overlay."""

from __future__ import annotations

import functools

from PIL import Image, ImageDraw, ImageFont

from ...images import encode_jpeg
from ..base import BackendResult, GeneratedImage
from .cutout import RGB

__all__ = ["preview_result"]

_MASK_COLOR: RGB = (40, 200, 255)
_LABEL = "PREVIEW"


def preview_result(
    person: Image.Image, result: Image.Image, mask: Image.Image, *, seed: int | None
) -> BackendResult:
    """The labelled ``result`` and the replaced region drawn over ``person``."""
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
