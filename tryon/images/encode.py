"""Writing a metadata-free JPEG, and recognising a file that already is one."""

from __future__ import annotations

import io

from PIL import Image

from ..conf import tryon_settings

__all__ = ["clean_jpeg_size", "encode_jpeg"]

# JPEG markers a normalised file may hold: JFIF header, tables, frame, scan.
_CLEAN_JPEG_MARKERS = {0xE0, 0xDB, 0xC4, 0xDD, 0xC0, 0xC2, 0xDA}


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


def clean_jpeg_size(data: bytes) -> tuple[int, int] | None:
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
