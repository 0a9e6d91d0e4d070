"""Writing a picture in the format its file name asks for (``--out result.webp``)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from django.core.management.base import CommandError
from PIL import Image

from ...conf import tryon_settings
from ...exceptions import InvalidImageError
from ...images import sniff_image_type
from ...images.probe import open_checked
from ...provenance import digital_source_type, mark

# File suffix -> Pillow format we write.
OUTPUT_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
_MIME_TO_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def output_format(path: Path, option: str) -> str:
    """The format ``path``'s suffix names, or a CommandError saying which ones work."""
    image_format = OUTPUT_FORMATS.get(path.suffix.lower())
    if image_format is None:
        named = f"the suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise CommandError(
            f"{option} {path} has {named}; the picture can be written as "
            + ", ".join(OUTPUT_FORMATS)
            + "."
        )
    if not path.parent.is_dir():
        raise CommandError(f"{option}: directory {path.parent} does not exist")
    return image_format


def convert(content: bytes, image_format: str) -> bytes:
    """``content`` as ``image_format``: unchanged when it already is, else re-encoded.

    A re-encoded picture keeps the provenance mark (IPTC digital source type) it had.
    """
    sniffed = sniff_image_type(content)
    if sniffed is not None and _MIME_TO_FORMAT.get(sniffed[0]) == image_format:
        return content
    try:
        with open_checked(content) as picture:
            picture.load()
            encoded = _encode(picture, image_format)
    except InvalidImageError as exc:
        raise CommandError(
            f"the backend's result is not a picture that can be read: {exc}"
        ) from exc
    source_type = digital_source_type(content)
    return mark(encoded, source_type, "") if source_type else encoded


def _encode(picture: Image.Image, image_format: str) -> bytes:
    if image_format == "JPEG":
        # JPEG has no transparency: flatten onto white, as a browser shows it.
        if picture.mode in ("RGBA", "LA", "P"):
            rgba = picture.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            picture = flat
        elif picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
    elif picture.mode not in ("RGB", "RGBA", "L", "LA"):
        picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = tryon_settings.JPEG_QUALITY
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()


def write_atomically(path: Path, content: bytes) -> None:
    """Write beside the target and rename, so a failure never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tryon-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
