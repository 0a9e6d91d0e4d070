"""Decode, validate and normalise uploaded pictures with Pillow.

Everything the app sends to a backend or stores goes through :func:`normalize_image`:
the result is a baseline RGB JPEG with the EXIF orientation applied, the long side
bounded, colours converted to sRGB, and no metadata at all (no EXIF, so no GPS
position, no XMP, no comment, no ICC profile).

Untrusted bytes are handled defensively: the size in bytes, the format and the pixel
count are checked from the header before anything is decoded, Pillow's decompression
bomb warning is turned into our error, and truncated files are refused (the global
``ImageFile.LOAD_TRUNCATED_IMAGES`` is never touched). Every refusal is an
:class:`~tryon.exceptions.InvalidImageError` whose message can be shown to a shopper.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms

from .conf import tryon_settings
from .exceptions import InvalidImageError

__all__ = [
    "ACCEPTED_FORMATS",
    "ImageInfo",
    "NormalizedImage",
    "encode_jpeg",
    "image_fingerprint",
    "normalize_image",
    "probe_image",
    "sniff_image_type",
]

# MPO is what many phones write: a JPEG followed by extra pictures (depth map, preview).
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF")
# The plugins asked to identify a file (Pillow's JPEG plugin is the one that opens MPO);
# limiting them keeps Pillow's less common parsers away from untrusted bytes.
_OPEN_WITH = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
_JPEG_FORMATS = frozenset({"JPEG", "MPO"})
# Formats where several frames mean an animation (a multi-page TIFF or an MPO's extra
# pictures are not one: their first frame is the photo).
_ANIMATABLE_FORMATS = frozenset({"GIF", "PNG", "WEBP"})

# Hostile or broken files make Pillow's plugins raise any of these.
_DECODE_ERRORS = (OSError, ValueError, EOFError, SyntaxError, struct.error, IndexError)

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
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class NormalizedImage:
    """A normalised picture: JPEG ``content`` plus what the original was."""

    content: bytes
    width: int
    height: int
    sha256: str
    original_format: str
    original_width: int
    original_height: int

    content_type = "image/jpeg"


@dataclass(frozen=True)
class ImageInfo:
    """What the header says, before any pixel is decoded (size as stored, unrotated)."""

    format: str
    width: int
    height: int
    is_animated: bool


# -- public helpers --------------------------------------------------------------------


def image_fingerprint(content: bytes) -> str:
    """The SHA-256 hex digest of ``content`` (stable: used for dedup and file names)."""
    return hashlib.sha256(content).hexdigest()


# Magic bytes -> (MIME type, file extension) of the formats a provider or a shopper may send.
_IMAGE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"BM", "image/bmp", "bmp"),
)


def sniff_image_type(content: bytes) -> tuple[str, str] | None:
    """``(MIME type, extension)`` from an image's magic bytes, or None if unrecognised."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    for signature, mime, extension in _IMAGE_SIGNATURES:
        if content.startswith(signature):
            return mime, extension
    return None


def probe_image(source: bytes | IO[bytes], *, max_bytes: int | None = None) -> ImageInfo:
    """Read the header only: the format, stored size and whether it is animated.

    Raises :class:`InvalidImageError` for a file that is too large, not an image in an
    accepted format, or has more pixels than ``TRYON['MAX_IMAGE_PIXELS']``.
    """
    data = _read_limited(source, _setting_or(max_bytes, "MAX_UPLOAD_BYTES"))
    with _open_checked(data) as img:
        return ImageInfo(
            format=_format_of(img),
            width=img.width,
            height=img.height,
            is_animated=_is_animated(img),
        )


def normalize_image(
    source: bytes | IO[bytes],
    *,
    max_side: int | None = None,
    min_side: int | None = None,
    max_bytes: int | None = None,
) -> NormalizedImage:
    """Validate an uploaded picture and re-encode it as a clean, bounded RGB JPEG.

    ``max_side``, ``min_side`` and ``max_bytes`` default to the ``TRYON`` settings
    ``MAX_IMAGE_SIDE``, ``MIN_IMAGE_SIDE`` and ``MAX_UPLOAD_BYTES``.
    """
    max_side = _setting_or(max_side, "MAX_IMAGE_SIDE")
    min_side = _setting_or(min_side, "MIN_IMAGE_SIDE")
    data = _read_limited(source, _setting_or(max_bytes, "MAX_UPLOAD_BYTES"))
    already = _already_normalized(data, max_side=max_side, min_side=min_side)
    if already is not None:
        return already
    with _open_checked(data) as img:
        original_format = _format_of(img)
        original_size = img.size
        if min(original_size) < min_side:
            raise InvalidImageError(
                _("The image is too small: it must be at least %(side)s×%(side)s pixels.")
                % {"side": min_side}
            )
        if _is_animated(img):
            raise InvalidImageError(_("Animated images are not supported."))
        picture = _decode_bounded(img, bounded_size(original_size, max_side))
        # Encode before the file closes: ``picture`` may still share its pixels.
        content = encode_jpeg(picture)
    return NormalizedImage(
        content=content,
        width=picture.width,
        height=picture.height,
        sha256=image_fingerprint(content),
        original_format=original_format,
        original_width=original_size[0],
        original_height=original_size[1],
    )


# JPEG markers a normalised file may hold: JFIF header, tables, frame, scan.
_CLEAN_JPEG_MARKERS = {0xE0, 0xDB, 0xC4, 0xDD, 0xC0, 0xC2, 0xDA}


def _clean_jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a baseline or progressive 3-component JPEG with no metadata.

    Walks the segment headers up to the scan: any EXIF/XMP (APP1), ICC profile (APP2),
    Adobe (APP14), comment or other segment means the file is not clean: None.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    position, size = 2, None
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker not in _CLEAN_JPEG_MARKERS or length < 2:
            return None
        if marker in (0xC0, 0xC2):
            segment = data[position + 4 : position + 2 + length]
            if len(segment) < 6 or segment[5] != 3:  # 3 components: YCbCr, i.e. RGB
                return None
            size = (int.from_bytes(segment[3:5], "big"), int.from_bytes(segment[1:3], "big"))
        if marker == 0xDA:
            return size
        position += 2 + length
    return None


def _already_normalized(data: bytes, *, max_side: int, min_side: int) -> NormalizedImage | None:
    """``data`` itself, when it is already what normalisation would make of it.

    Re-encoding a clean JPEG would only cost time and quality; it is still decoded in
    full, so a truncated or corrupt file is refused as usual.
    """
    size = _clean_jpeg_size(data)
    if size is None or max(size) > max_side or min(size) < min_side:
        return None
    with _open_checked(data) as img:
        if img.mode != "RGB" or img.size != size:
            return None
        img.load()
    return NormalizedImage(
        content=data,
        width=size[0],
        height=size[1],
        sha256=image_fingerprint(data),
        original_format="JPEG",
        original_width=size[0],
        original_height=size[1],
    )


def bounded_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its long side is at most ``max_side``."""
    width, height = size
    scale = max_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_jpeg(picture: Image.Image, *, quality: int | None = None) -> bytes:
    """``picture`` (RGB or L) as baseline JPEG bytes with no metadata at all."""
    if picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    buffer = io.BytesIO()
    picture.save(
        buffer,
        "JPEG",
        quality=quality or tryon_settings.JPEG_QUALITY,
        # Refuse every metadata block explicitly: when an option is missing, Pillow
        # falls back to the picture's own ``info`` for some (a JPEG comment; XMP in
        # some versions), which would carry the original's metadata through.
        exif=b"",
        icc_profile=None,
        comment=b"",
        xmp=b"",
    )
    return buffer.getvalue()


# -- reading and identifying -----------------------------------------------------------


def _setting_or(value: int | None, key: str) -> int:
    return int(getattr(tryon_settings, key)) if value is None else value


def _read_limited(source: bytes | IO[bytes], max_bytes: int) -> bytes:
    """The bytes of ``source``, refusing more than ``max_bytes`` without reading them all."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        if hasattr(source, "seek"):
            # Upload validation may already have read the file: start from the beginning.
            source.seek(0)
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidImageError(
            _("The file is larger than %(size)s.") % {"size": filesizeformat(max_bytes)}
        )
    return data


def _not_an_image() -> InvalidImageError:
    return InvalidImageError(
        _("The file is not an image we can read. Please use a JPEG, PNG or WebP photo.")
    )


def _too_many_pixels(width: int, height: int) -> InvalidImageError:
    return InvalidImageError(
        _("The image is too large (%(width)s×%(height)s pixels).")
        % {"width": width, "height": height}
    )


@contextmanager
def _open_checked(data: bytes) -> Iterator[Image.Image]:
    """Identify ``data`` without decoding it, checking format and pixel count.

    Any decoding error inside the ``with`` block also becomes ``InvalidImageError``.
    """
    if not data:
        raise _not_an_image()
    # Pillow warns (and past twice its limit, raises) from ``Image.open`` when the
    # header claims too many pixels; make the warning an exception so it cannot leak.
    # (``catch_warnings`` is process-wide before Python 3.14; the filter it installs
    # only concerns this one warning category.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=_OPEN_WITH) as img:
                width, height = img.size
                if width < 1 or height < 1:
                    raise _not_an_image()
                if width * height > tryon_settings.MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(width, height)
                yield img
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidImageError(_("The image is too large to process.")) from exc
        except Image.UnidentifiedImageError as exc:
            raise _not_an_image() from exc
        except InvalidImageError:
            raise
        except _DECODE_ERRORS as exc:
            # Truncated or corrupt pixel data, a broken header, an oversized chunk...
            raise InvalidImageError(
                _("The image file is damaged or incomplete and cannot be read.")
            ) from exc


def _format_of(img: Image.Image) -> str:
    return img.format or "UNKNOWN"


def _is_animated(img: Image.Image) -> bool:
    if _format_of(img) not in _ANIMATABLE_FORMATS:
        return False
    return bool(getattr(img, "is_animated", False))


# -- decoding --------------------------------------------------------------------------


def _decode_bounded(img: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Decode ``img`` to an upright RGB picture; ``target`` is its size before rotation."""
    box = None
    if _format_of(img) in _JPEG_FORMATS and target != img.size:
        # The key speed-up: libjpeg decodes at 1/2, 1/4 or 1/8 scale, as long as the
        # result stays at least as large as the target. ``box`` maps the (rounded-up)
        # reduced image back onto the original area exactly.
        full_size = img.size
        drafted = img.draft("RGB", target)
        if drafted is not None and img.size != full_size:
            box = drafted[1]
    img.load()
    icc_profile = img.info.get("icc_profile")
    orientation = _orientation(img)  # draft keeps the EXIF block: safe to read now

    picture = _resizable(img)
    if picture.size != target:
        picture = picture.resize(
            target, _resample_for(drafted=box is not None), box=box, reducing_gap=2.0
        )
    picture = _to_srgb(picture, icc_profile)
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
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _resizable(img: Image.Image) -> Image.Image:
    """``img`` in one of the modes that resize well: RGB, RGBA, L, LA or CMYK."""
    mode = img.mode
    if mode in _RESIZABLE_MODES:
        return img
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in img.info
        return img.convert("RGBA" if has_alpha else "RGB")
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        return _to_eight_bit(img)
    if mode == "1":
        return img.convert("L")
    if mode in ("La", "RGBa"):
        return img.convert(mode.upper())
    return img.convert("RGB")  # YCbCr, LAB, HSV, F...


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


# -- colour management -----------------------------------------------------------------


def _to_srgb(picture: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert RGB or CMYK pixels from their embedded profile to sRGB.

    The profile itself is never written out, so pixels in another space (a phone's
    Display P3, a print CMYK profile) would look wrong without this. Profiles we cannot
    use, and profiles on other modes, are dropped: the pixels are then taken as sRGB.
    """
    if not icc_profile or picture.mode not in ("RGB", "CMYK"):
        return picture
    transform = _transform_to_srgb(bytes(icc_profile), picture.mode)
    if transform is None:
        return picture
    try:
        return ImageCms.applyTransform(picture, transform) or picture
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture


@functools.lru_cache(maxsize=16)
def _transform_to_srgb(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from ``icc_profile`` to sRGB, or ``None`` if not needed/usable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        description = ImageCms.getProfileDescription(source) or ""
        if mode == "RGB" and description.strip().lower().startswith("srgb"):
            return None  # already sRGB: converting would only cost time
        return ImageCms.buildTransform(source, _srgb_profile(), mode, "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
