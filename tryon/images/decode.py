"""Decoding an opened picture to a bounded, upright, RGB image.

The costly part of normalising a phone photo is decoding 24 megapixels only to
shrink them: JPEGs are decoded at a reduced scale by libjpeg (``draft``), and the
EXIF orientation is applied after the resize, on fewer pixels.
"""

from __future__ import annotations

from PIL import ExifTags, Image

from .colorspace import to_srgb
from .formats import JPEG_FORMATS
from .probe import DECODE_ERRORS, format_of

__all__ = ["bounded_size", "decode_bounded", "draft_for"]

_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Modes Pillow resizes well and we can flatten to RGB afterwards.
_RESIZABLE_MODES = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
# Modes resized as they are and brought to 8 bits afterwards.
_WIDE_MODES = _SIXTEEN_BIT_MODES | {"I", "F"}
_WHITE = (255, 255, 255)


def bounded_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its long side is at most ``max_side``."""
    width, height = size
    scale = max_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def draft_for(
    img: Image.Image, target: tuple[int, int]
) -> tuple[float, float, float, float] | None:
    """Ask libjpeg to decode ``img`` at a reduced scale; the box to resize from, if so.

    The key speed-up (and memory saving): libjpeg decodes at 1/2, 1/4 or 1/8 scale, as
    long as the result stays at least as large as the target. The box maps the
    (rounded-up) reduced image back onto the original area exactly. Reads no pixels:
    ``img.size`` is then the size the picture will be decoded at.
    """
    if format_of(img) not in JPEG_FORMATS or target == img.size:
        return None
    full_size = img.size
    drafted = img.draft("RGB", target)
    if drafted is None or img.size == full_size:
        return None
    return drafted[1]


def decode_bounded(
    img: Image.Image, target: tuple[int, int], box: tuple[float, float, float, float] | None = None
) -> Image.Image:
    """Decode ``img`` to an upright RGB picture; ``target`` is its size before rotation.

    ``box`` is what :func:`draft_for` returned. Conversions that need not happen at
    full size (16-bit and float pixels to 8 bits, colour profiles, transparency,
    rotation) happen after the resize, on fewer pixels.
    """
    img.load()
    icc_profile = img.info.get("icc_profile")
    orientation = _orientation(img)  # draft keeps the EXIF block: safe to read now

    picture = _resizable(img)
    if picture.size != target:
        picture = picture.resize(
            target, _resample_for(drafted=box is not None), box=box, reducing_gap=2.0
        )
    picture = _eight_bit(picture)
    picture = to_srgb(picture, icc_profile)
    picture = _flatten(picture)
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    if method is not None:
        # Transposing after the resize moves 4-16x fewer pixels than exif_transpose first.
        picture = picture.transpose(method)
    return picture


def _resample_for(*, drafted: bool) -> Image.Resampling:
    """The resize filter: BICUBIC (as Image.thumbnail), BILINEAR after a JPEG draft.

    After a draft less than a factor 2 remains, where Pillow's (antialiased) BILINEAR
    is close to BICUBIC and about 40% faster: this is the hot path for phone photos.
    """
    return Image.Resampling.BILINEAR if drafted else Image.Resampling.BICUBIC


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation (1 when absent or unreadable: bad EXIF is not a bad photo)."""
    try:
        value = img.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _resizable(img: Image.Image) -> Image.Image:
    """``img`` in a mode Pillow resamples well (16-bit, integer and float ones included).

    Only what cannot wait is converted at full size: a palette, 1-bit pixels, and the
    rare colour spaces (YCbCr, LAB, HSV) that resampling would distort.
    """
    mode = img.mode
    if mode in _RESIZABLE_MODES or mode in _WIDE_MODES:
        return img
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in img.info
        return img.convert("RGBA" if has_alpha else "RGB")
    if mode == "1":
        return img.convert("L")
    if mode in ("La", "RGBa"):
        return img.convert(mode.upper())
    return img.convert("RGB")  # YCbCr, LAB, HSV...


def _eight_bit(picture: Image.Image) -> Image.Image:
    """16-bit, integer and float pictures as 8-bit (after the resize: fewer pixels)."""
    if picture.mode in _SIXTEEN_BIT_MODES or picture.mode == "I":
        return _to_eight_bit(picture)
    if picture.mode == "F":
        return picture.convert("RGB")
    return picture


def _to_eight_bit(img: Image.Image) -> Image.Image:
    """A 16-bit greyscale picture as 8-bit L (a plain convert would clip, not scale)."""
    wide = img.convert("I")
    if img.mode == "I":
        # 32-bit integer pictures are usually 16-bit data: scale only if it needs it.
        high = wide.getextrema()[1]
        if isinstance(high, (int, float)) and high <= 255:
            return wide.convert("L")
    return wide.point(lambda value: value * (1 / 256)).convert("L")


def _flatten(picture: Image.Image) -> Image.Image:
    """RGB, with any transparency composited on white (what a shop page shows)."""
    if picture.mode in ("RGBA", "LA"):
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if picture.mode != "RGB":
        return picture.convert("RGB")
    return picture
