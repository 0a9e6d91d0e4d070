"""Reading command-line image arguments: a local path, an http(s) URL or a data URI."""

from __future__ import annotations

import base64
from pathlib import Path

from django.core.management.base import CommandError

from ...exceptions import InvalidImageError
from ...images import normalize_image


def image_argument(value: str, option: str, *, inline: str = "file") -> str | bytes:
    """What to hand the backend for ``--model``/``--garment``.

    URLs and data URIs go to the provider as they are (it accepts both); a local file
    is normalised first (orientation, metadata stripped, size bounded) and sent as a
    file part, or as a data URI with ``--inline data-uri``.
    """
    if value.startswith(("http://", "https://", "data:")):
        return value
    path = Path(value)
    if not path.is_file():
        raise CommandError(f"{option}: no such file: {value}")
    try:
        normalised = normalize_image(path.read_bytes())
    except InvalidImageError as exc:
        raise CommandError(f"{option}: {value} cannot be used: {exc}") from exc
    if inline == "data-uri":
        encoded = base64.b64encode(normalised.content).decode("ascii")
        return f"data:image/jpeg;base64,{encoded}"
    return normalised.content
