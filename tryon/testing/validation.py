"""Checking a recorded API call against the document, field by field.

Anything the document does not allow raises ``InvalidParam``, which the fake answers as
10004 INVALID_PARAM with the reason kept in ``RecordedRequest.error``.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from urllib.parse import urlsplit

from PIL import Image

from .multipart import multipart_boundary
from .records import RecordedRequest
from .wire import (
    CATEGORIES,
    CHANGE_CLOTHES_PATH,
    FIELDS,
    GUIDANCE_SCALE_RANGE,
    IMAGE_FIELDS,
    INFERENCE_STEPS_RANGE,
    SEED_MAX,
)

_DATA_URI_RE = re.compile(r"^data:image/[A-Za-z0-9][A-Za-z0-9.+-]*;base64,(.*)$", re.DOTALL)
_NUMBER_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class InvalidParam(Exception):
    """A field breaks the document: answered as 10004 INVALID_PARAM."""


def validate(request: RecordedRequest, content_type: str) -> dict[str, Image.Image | None]:
    """Check a recorded call against the document; the decoded images by field name."""
    if multipart_boundary(content_type) is None:
        raise InvalidParam("the body is not multipart/form-data")
    if request.error:
        raise InvalidParam(request.error)
    allowed = FIELDS[request.path]
    sent = set(request.fields) | set(request.files)
    if unknown := sent - allowed:
        raise InvalidParam(f"unknown fields: {', '.join(sorted(unknown))}")
    if misplaced := set(request.files) - IMAGE_FIELDS:
        raise InvalidParam(f"sent as files but are text fields: {', '.join(sorted(misplaced))}")
    required = IMAGE_FIELDS & allowed
    images = {name: _image(request, name) for name in sorted(required)}
    if request.path == CHANGE_CLOTHES_PATH:
        _validate_garment_fields(request.fields)
    else:
        _validate_prompt_fields(request.fields)
    return images


def _validate_garment_fields(fields: dict[str, str]) -> None:
    if fields.get("category") not in CATEGORIES:
        raise InvalidParam(f"category must be one of {', '.join(CATEGORIES)}")
    if "garmentDesc" in fields and not fields["garmentDesc"].strip():
        raise InvalidParam("garmentDesc is sent empty (omit it instead)")


def _validate_prompt_fields(fields: dict[str, str]) -> None:
    if not fields.get("prompt", "").strip():
        raise InvalidParam("prompt is required")
    if "seed" in fields:
        _check_int(fields["seed"], "seed", 0, SEED_MAX)
    if "randomize_seed" in fields and fields["randomize_seed"] not in ("true", "false"):
        raise InvalidParam("randomize_seed must be 'true' or 'false'")
    if "guidance_scale" in fields:
        value = fields["guidance_scale"]
        low, high = GUIDANCE_SCALE_RANGE
        if not _NUMBER_RE.match(value) or not low <= float(value) <= high:
            raise InvalidParam(f"guidance_scale must be a number from {low} to {high}")
    if "num_inference_steps" in fields:
        _check_int(fields["num_inference_steps"], "num_inference_steps", *INFERENCE_STEPS_RANGE)


def _check_int(value: str, name: str, low: int, high: int) -> None:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise InvalidParam(f"{name} must be an integer from {low} to {high}")


def _image(request: RecordedRequest, name: str) -> Image.Image | None:
    """The decoded image of field ``name``; None for a URL (the fake does not fetch it)."""
    if name in request.files:
        return _open_image(request.files[name].content, name)
    value = request.fields.get(name)
    if value is None:
        raise InvalidParam(f"{name} is required")
    value = value.strip()
    scheme = urlsplit(value).scheme.lower()
    if scheme in ("http", "https") and urlsplit(value).hostname:
        return None
    match = _DATA_URI_RE.match(value)
    if match is None:
        raise InvalidParam(f"{name} must be an http(s) URL, a base64 data URI or a file")
    try:
        content = base64.b64decode(re.sub(r"\s+", "", match[1]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParam(f"{name}: the data URI is not valid base64") from exc
    return _open_image(content, name)


def _open_image(content: bytes, name: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
        image.load()
    except Exception as exc:  # Pillow raises many types for bad data
        raise InvalidParam(f"{name} is not an image Pillow can read") from exc
    return image
