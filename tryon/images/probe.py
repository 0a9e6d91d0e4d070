"""Reading untrusted bytes safely, and what their header says.

Everything is checked before a pixel is decoded: the size in bytes, the format (only
the plugins in ``OPEN_WITH`` are asked) and the pixel count. Pillow's decompression
bomb warning becomes our error, and any decoding error inside :func:`open_checked`
becomes an :class:`InvalidImageError` a shopper can read.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from ..conf import tryon_settings
from ..exceptions import InvalidImageError
from .formats import ANIMATABLE_FORMATS, OPEN_WITH

__all__ = [
    "DECODE_ERRORS",
    "ImageInfo",
    "format_of",
    "is_animated",
    "open_checked",
    "probe_image",
    "read_limited",
    "setting_or",
]

# Hostile or broken files make Pillow's plugins raise any of these.
DECODE_ERRORS = (OSError, ValueError, EOFError, SyntaxError, struct.error, IndexError)


@dataclass(frozen=True)
class ImageInfo:
    """What the header says, before any pixel is decoded (size as stored, unrotated)."""

    format: str
    width: int
    height: int
    is_animated: bool


def probe_image(source: bytes | IO[bytes], *, max_bytes: int | None = None) -> ImageInfo:
    """Read the header only: the format, stored size and whether it is animated.

    Raises :class:`InvalidImageError` for a file that is too large, not an image in an
    accepted format, or has more pixels than ``TRYON['MAX_IMAGE_PIXELS']``.
    """
    data = read_limited(source, setting_or(max_bytes, "MAX_UPLOAD_BYTES"))
    with open_checked(data) as img:
        return ImageInfo(
            format=format_of(img),
            width=img.width,
            height=img.height,
            is_animated=is_animated(img),
        )


def setting_or(value: int | None, key: str) -> int:
    """``value``, or the ``TRYON`` setting ``key`` when it is None."""
    return int(getattr(tryon_settings, key)) if value is None else value


def read_limited(source: bytes | IO[bytes], max_bytes: int) -> bytes:
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
def open_checked(data: bytes) -> Iterator[Image.Image]:
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
            with Image.open(io.BytesIO(data), formats=OPEN_WITH) as img:
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
        except DECODE_ERRORS as exc:
            # Truncated or corrupt pixel data, a broken header, an oversized chunk...
            raise InvalidImageError(
                _("The image file is damaged or incomplete and cannot be read.")
            ) from exc


def format_of(img: Image.Image) -> str:
    return img.format or "UNKNOWN"


def is_animated(img: Image.Image) -> bool:
    if format_of(img) not in ANIMATABLE_FORMATS:
        return False
    return bool(getattr(img, "is_animated", False))
