"""Every refusal the API makes is JSON, whatever the host's ``REST_FRAMEWORK`` says.

Django refuses some bodies itself, while reading them for the CSRF check or a parser:
an oversize body (``RequestDataTooBig``), a multipart body without a boundary or with
an oversize part header (a 5,000-character filename), too many fields. Left alone,
those become Django's HTML 400 page. :func:`exception_handler` (set on every view, not
through the host's settings) maps them to DRF's JSON answers first; a body larger than
any valid request is refused before a byte of it is read (:func:`check_body_size`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import RawPostDataException, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..conf import tryon_settings

__all__ = [
    "MAX_FORM_BYTES",
    "RequestTooLarge",
    "check_body_size",
    "exception_handler",
]

# The fields of a try-on request (ids, a prompt of at most 1,000 characters, numbers)
# fit in a few kB: a JSON or form body larger than this is not one.
MAX_FORM_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    """413: a JSON or form body larger than any valid request."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            _("The request is larger than %(size)s.") % {"size": filesizeformat(limit)}
        )


def _file_too_large() -> exceptions.ValidationError:
    limit = int(tryon_settings.MAX_UPLOAD_BYTES)
    return exceptions.ValidationError(
        {"model_image": [_("The file is larger than %(size)s.") % {"size": filesizeformat(limit)}]}
    )


def check_body_size(request: Any) -> None:
    """Refuse, unread, a body larger than any valid request (by its Content-Length).

    A multipart body may carry one photo (``MAX_UPLOAD_BYTES``) beside the fields: one
    larger is answered as the photo being too large (400, the ``model_image`` field), as
    a smaller oversize photo is. Any other body is answered 413.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # Django reads nothing of a body whose length it cannot parse
    content_type = str(request.META.get("CONTENT_TYPE", "")).lower()
    if content_type.startswith("multipart/"):
        if length > int(tryon_settings.MAX_UPLOAD_BYTES) + MAX_FORM_BYTES:
            raise _file_too_large()
    elif length > MAX_FORM_BYTES:
        raise RequestTooLarge(MAX_FORM_BYTES)


def _as_api_exception(exc: Exception) -> Exception:
    """Django's refusals of a request body, as the DRF exception that answers in JSON."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(MAX_FORM_BYTES)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return exceptions.ParseError(_("The request has too many fields or files."))
    if isinstance(exc, MultiPartParserError):
        return exceptions.ParseError(_("Multipart form parse error - %(reason)s") % {"reason": exc})
    if isinstance(exc, (UnreadablePostError, RawPostDataException, SuspiciousOperation)):
        return exceptions.ParseError(_("The request body could not be read."))
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after mapping Django's body refusals to JSON answers."""
    return drf_exception_handler(_as_api_exception(exc), context)
