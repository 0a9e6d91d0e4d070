"""The poll hint (``tryon.eta``) on the API's answers about one try-on."""

from __future__ import annotations

from rest_framework.response import Response

from ..eta import poll_hint
from ..models import TryOn


def with_poll_hint(response: Response, tryon: TryOn) -> Response:
    """Add ``poll_after_ms`` and ``eta_seconds`` to the body, and ``X-Poll-After-Ms``."""
    hint = poll_hint(tryon)
    if isinstance(response.data, dict):
        response.data.update(hint.fields())
    for name, value in hint.headers().items():
        response[name] = value
    return response
