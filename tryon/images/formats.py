"""Which image formats we read, and what type a file is from its first bytes.

One table, :data:`IMAGE_TYPES`, gives the MIME type and file extension of each web
format: the client labels the bytes it uploads with it, and storage names results by it.
"""

from __future__ import annotations

__all__ = [
    "ACCEPTED_FORMATS",
    "ANIMATABLE_FORMATS",
    "IMAGE_TYPES",
    "JPEG_FORMATS",
    "OPEN_WITH",
    "image_type_for_format",
    "sniff_image_type",
]

# MPO is what many phones write: a JPEG followed by extra pictures (depth map, preview).
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF")
# The plugins asked to identify a file (Pillow's JPEG plugin is the one that opens MPO);
# limiting them keeps Pillow's less common parsers away from untrusted bytes.
OPEN_WITH = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
# Formats where several frames mean an animation (a multi-page TIFF or an MPO's extra
# pictures are not one: their first frame is the photo).
ANIMATABLE_FORMATS = frozenset({"GIF", "PNG", "WEBP"})

# Pillow format -> (MIME type, file extension) of the formats a provider or a shopper
# may send. TIFF is read but has no entry: browsers do not show it, so it is never
# sent or stored as it is.
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # a JPEG file: viewers show its first picture
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
    "BMP": ("image/bmp", "bmp"),
}

# Magic bytes -> Pillow format (WebP, a RIFF container, is checked on its own).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)


def sniff_image_type(content: bytes) -> tuple[str, str] | None:
    """``(MIME type, extension)`` from an image's magic bytes, or None if unrecognised."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return IMAGE_TYPES["WEBP"]
    for signature, image_format in _SIGNATURES:
        if content.startswith(signature):
            return IMAGE_TYPES[image_format]
    return None


def image_type_for_format(image_format: str | None) -> tuple[str, str] | None:
    """``(MIME type, extension)`` of a Pillow format name, or None if not a web format."""
    return IMAGE_TYPES.get((image_format or "").upper())
