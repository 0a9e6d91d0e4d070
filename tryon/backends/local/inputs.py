"""The offline backend's inputs: image bytes or ``data:`` URIs, never URLs."""

from __future__ import annotations

import base64
import binascii
import io
import re
from urllib.parse import unquote_to_bytes

from PIL import Image

from ...exceptions import ProviderInvalidInputError
from ...images import normalize_image
from ..base import ImageInput

__all__ = ["image_bytes", "load_rgb"]

_DATA_URI = re.compile(r"^data:(?P<params>[^,]*),(?P<payload>.*)$", re.DOTALL | re.IGNORECASE)


def image_bytes(value: ImageInput) -> bytes:
    """The file bytes of an image input: bytes as they are, or a decoded ``data:`` URI."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        # Offline by design: this backend never touches the network.
        raise ProviderInvalidInputError("The offline preview backend needs image files, not URLs.")
    match = _DATA_URI.match(text)
    if match is None:
        raise ProviderInvalidInputError(
            "The offline preview backend needs image files or data: URIs."
        )
    payload = match["payload"]
    if match["params"].lower().endswith(";base64"):
        try:
            return base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderInvalidInputError("The image data: URI is not valid base64.") from exc
    return unquote_to_bytes(payload)


def load_rgb(value: ImageInput) -> Image.Image:
    """Normalise (validating: bombs, non-images...) and decode to RGB."""
    normalized = normalize_image(image_bytes(value))
    with Image.open(io.BytesIO(normalized.content)) as img:
        return img.convert("RGB")
