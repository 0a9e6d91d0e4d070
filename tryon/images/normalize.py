"""The whole pipeline: validate an upload and re-encode it as a clean, bounded JPEG."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from ..exceptions import InvalidImageError
from .budget import check_decode_cost
from .decode import bounded_size, decode_bounded, draft_for
from .decoders import run_decoding
from .encode import encode_jpeg
from .jpeg import clean_jpeg_size
from .probe import format_of, is_animated, open_checked, read_limited, setting_or

__all__ = ["NormalizedImage", "image_fingerprint", "normalize_image"]


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


def image_fingerprint(content: bytes) -> str:
    """The SHA-256 hex digest of ``content`` (stable: used for dedup and file names)."""
    return hashlib.sha256(content).hexdigest()


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
    max_side = setting_or(max_side, "MAX_IMAGE_SIDE")
    min_side = setting_or(min_side, "MIN_IMAGE_SIDE")
    data = read_limited(source, setting_or(max_bytes, "MAX_UPLOAD_BYTES"))
    # Decoded in one of the process's few decode threads (``decoders``).
    return run_decoding(_normalize, data, max_side, min_side)


def _normalize(data: bytes, max_side: int, min_side: int) -> NormalizedImage:
    already = _already_normalized(data, max_side=max_side, min_side=min_side)
    if already is not None:
        return already
    with open_checked(data) as img:
        original_format = format_of(img)
        original_size = img.size
        if min(original_size) < min_side:
            raise InvalidImageError(
                _("The image is too small: it must be at least %(side)s×%(side)s pixels.")
                % {"side": min_side}
            )
        if is_animated(img):
            raise InvalidImageError(_("Animated images are not supported."))
        target = bounded_size(original_size, max_side)
        box = draft_for(img, target)
        check_decode_cost(img, original_size, target, data)  # before a pixel is decoded
        picture = decode_bounded(img, target, box)
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


def _already_normalized(data: bytes, *, max_side: int, min_side: int) -> NormalizedImage | None:
    """``data`` itself, when it is already what normalisation would make of it.

    Re-encoding a clean JPEG would only cost time and quality. "Clean" is checked on
    every byte up to the end of the file (``jpeg.clean_jpeg_size``): anything after the
    end of the image, or any metadata, and the picture is re-encoded instead. It is
    still decoded in full, so a truncated or corrupt file is refused as usual.
    """
    size = clean_jpeg_size(data)
    if size is None or max(size) > max_side or min(size) < min_side:
        return None
    with open_checked(data) as img:
        if format_of(img) != "JPEG" or img.mode != "RGB" or img.size != size:
            return None
        check_decode_cost(img, size, size, data)
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
