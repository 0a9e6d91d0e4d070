"""Forms for providers that take ``multipart/form-data``: image inputs and the encoder.

An image reaches a provider as text (an http(s) URL or a ``data:image/...;base64`` URI,
sent verbatim) or as a file part (bytes, typed from their content). Anything else is
refused with ``ProviderInvalidInputError`` before a paid request is built.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from ..exceptions import ProviderInvalidInputError
from ..images import sniff_image_type
from .urls import is_http_url

_DATA_URI_RE = re.compile(
    r"^data:(?P<mime>image/[a-z0-9][a-z0-9.+-]*);base64,(?P<payload>[A-Za-z0-9+/=\s]*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class FilePart:
    """A file in a form: sent with a filename and its own Content-Type."""

    filename: str
    content_type: str
    content: bytes


FormValue = str | FilePart


def invalid(message: str) -> NoReturn:
    """Refuse an input before anything is sent."""
    raise ProviderInvalidInputError(message)


def image_value(image: object, field: str, stem: str) -> FormValue:
    """The form value for an image: a URL or data URI as text, bytes as a file part.

    ``field`` names the form field in messages; ``stem`` is the file part's name before
    its extension (``model`` -> ``model.jpg``).
    """
    if isinstance(image, bytes | bytearray):
        content = bytes(image)
        kind = sniff_image_type(content)
        if kind is None:
            invalid(f"{field}: the bytes are not a JPEG, PNG, WebP, GIF or BMP image.")
        mime, extension = kind
        return FilePart(f"{stem}.{extension}", mime, content)
    if isinstance(image, str):
        value = image.strip()
        if value[:5].lower() == "data:":
            validate_data_uri(value, field)
            return value
        if is_http_url(value):
            return value
        invalid(f"{field} must be an http(s) URL, a data:image/...;base64 URI or image bytes.")
    invalid(f"{field} must be a str (URL or data URI) or bytes, not {type(image).__name__}.")


def validate_data_uri(value: str, field: str) -> None:
    """Refuse a ``data:`` URI that is not a non-empty base64 image."""
    match = _DATA_URI_RE.match(value)
    if match is None:
        invalid(f"{field}: a data URI must look like data:image/<type>;base64,<data>.")
    payload = re.sub(r"\s+", "", match["payload"])
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        invalid(f"{field}: the data URI's base64 payload is not valid base64.")
    if not decoded:
        invalid(f"{field}: the data URI is empty.")


def encode_multipart(fields: Mapping[str, FormValue]) -> tuple[str, bytes]:
    """``(Content-Type header, body)`` of a ``multipart/form-data`` request.

    Built by hand because httpx sends a form without files as urlencoded, and providers
    may document multipart for every request, URL-only ones included.
    """
    boundary = secrets.token_hex(16)
    while any(boundary.encode() in _part_bytes(value) for value in fields.values()):
        boundary = secrets.token_hex(16)  # practically never: 128 random bits
    lines: list[bytes] = []
    for name, value in fields.items():
        disposition = f'form-data; name="{name}"'
        headers = []
        if isinstance(value, FilePart):
            disposition += f'; filename="{value.filename}"'
            headers.append(f"Content-Type: {value.content_type}")
        head = "\r\n".join([f"Content-Disposition: {disposition}", *headers])
        lines.append(f"--{boundary}\r\n{head}\r\n\r\n".encode())
        lines.append(_part_bytes(value) + b"\r\n")
    lines.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(lines)


def _part_bytes(value: FormValue) -> bytes:
    return value.content if isinstance(value, FilePart) else value.encode("utf-8")
