"""Writing a metadata-free JPEG."""

from __future__ import annotations

import io

from PIL import Image

from ..conf import tryon_settings

__all__ = ["encode_jpeg"]


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
