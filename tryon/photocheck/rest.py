"""What the REST API makes of a :class:`~.findings.PhotoCheck` (serializer-facing).

The contract (see ``docs/photo-check.md``), for a ``model_image`` upload:

- refused: 400 with the messages as the ``model_image`` field error and
  ``photo_check: {"refusals": [{"code", "message"}], "warnings": [...]}``;
- warned and ``accept_warnings`` false: 400 with ``photo_check`` and an
  ``accept_warnings`` field error (:data:`WARNINGS_NOT_ACCEPTED`);
- otherwise the try-on goes ahead, with ``photo_warnings`` (:func:`photo_warnings`) in
  the create response.

:func:`photo_validation_error` gives the error to raise, or None to go ahead.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ErrorDetail, ValidationError

from .findings import PhotoCheck

__all__ = [
    "WARNINGS_NOT_ACCEPTED",
    "photo_check_payload",
    "photo_error_details",
    "photo_errors",
    "photo_validation_error",
    "photo_warnings",
]

#: The ``accept_warnings`` field error: the shopper has not yet seen the warnings.
WARNINGS_NOT_ACCEPTED = _(
    "Please read the notes about your photo, then send it again to use it anyway."
)


def photo_errors(check: PhotoCheck) -> list[str]:
    """The refusals' messages, in the active language (empty: the photo may be used)."""
    return [str(item.message) for item in check.refusals]


def photo_error_details(check: PhotoCheck) -> list[ErrorDetail]:
    """The refusals as DRF error details carrying their codes."""
    return [ErrorDetail(str(item.message), code=item.code) for item in check.refusals]


def photo_warnings(check: PhotoCheck) -> list[dict[str, str]]:
    """The warnings as ``{"code", "message"}`` objects, for the create response."""
    return [item.as_dict() for item in check.warnings]


def photo_check_payload(check: PhotoCheck) -> dict[str, list[dict[str, str]]]:
    """``{"refusals": [...], "warnings": [...]}``, each item ``{"code", "message"}``."""
    return {
        "refusals": [item.as_dict() for item in check.refusals],
        "warnings": photo_warnings(check),
    }


def photo_validation_error(check: PhotoCheck, *, accept_warnings: bool) -> ValidationError | None:
    """The 400 to answer for this check, or None when the try-on may go ahead."""
    if check.refusals:
        return ValidationError(
            {"model_image": photo_error_details(check), "photo_check": photo_check_payload(check)}
        )
    if check.warnings and not accept_warnings:
        detail = ErrorDetail(str(WARNINGS_NOT_ACCEPTED), code="photo_warnings")
        return ValidationError(
            {"accept_warnings": [detail], "photo_check": photo_check_payload(check)}
        )
    return None
