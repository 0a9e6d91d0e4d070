"""The pictures the fake answers with: the model photo with a tinted "garment" area.

The tint comes from the garment photo (its average colour), else from the category or the
prompt, so that different inputs give visibly different results.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw

from .records import RecordedRequest
from .wire import CHANGE_CLOTHES_PATH

_REGIONS = {  # (top, bottom) of the "garment" as fractions of the height
    "upper_body": (0.2, 0.55),
    "lower_body": (0.5, 0.95),
    "dresses": (0.2, 0.9),
}


def result_pictures(
    request: RecordedRequest, images: dict[str, Image.Image | None]
) -> tuple[bytes, bytes]:
    """The result and its mask, as WebP bytes, for a call that passed validation."""
    fields = request.fields
    if request.path == CHANGE_CLOTHES_PATH:
        tint = _average_colour(images.get("garmentImg")) or _colour_for(fields["category"])
        region = fields["category"]
    else:
        tint, region = _colour_for(fields["prompt"]), "upper_body"
    return _render(images.get("modelImg"), tint, region)


def _colour_for(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    return digest[0], digest[1], digest[2]


def _average_colour(image: Image.Image | None) -> tuple[int, int, int] | None:
    if image is None:
        return None
    pixel = image.convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _gradient(size: tuple[int, int] = (384, 512)) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    flipped = ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return Image.merge("RGB", (ramp, flipped, Image.new("L", size, 160)))


def _render(
    model: Image.Image | None, tint: tuple[int, int, int], region: str
) -> tuple[bytes, bytes]:
    """A result (the model with a tinted "garment" area) and its mask, as WebP bytes."""
    base = model.convert("RGB") if model is not None else _gradient()
    base.thumbnail((512, 512))
    width, height = base.size
    top, bottom = _REGIONS.get(region, _REGIONS["upper_body"])
    box = (int(width * 0.2), int(height * top), int(width * 0.8), int(height * bottom))
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle(box, fill=(*tint, 200))
    result = Image.alpha_composite(base.convert("RGBA"), overlay).convert("RGB")
    mask_overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    ImageDraw.Draw(mask_overlay).rectangle(box, fill=(255, 255, 255, 160))
    mask = Image.alpha_composite(base.convert("RGBA"), mask_overlay).convert("RGB")
    return _webp(result), _webp(mask)


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=80, method=0)  # method 0: fastest encoder
    return out.getvalue()
