"""What the REST API makes of a :class:`~.findings.PhotoCheck` (serializer-facing).

The contract (see ``docs/photo-check.md``): refusals are a 400 field error on
``model_image``, one DRF ``ErrorDetail`` per refusal whose ``code`` is the finding's
code; warnings are listed in the 202 resource as ``photo_warnings``
(``[{"code": ..., "message": ...}]``) unless the shopper sent ``accept_warnings=true``.
"""

from __future__ import annotations

from rest_framework.exceptions import ErrorDetail

from .findings import PhotoCheck

__all__ = ["photo_error_details", "photo_errors", "photo_warnings"]


def photo_errors(check: PhotoCheck) -> list[str]:
    """The refusals' messages, in the active language (empty: the photo may be used)."""
    return [str(item.message) for item in check.refusals]


def photo_error_details(check: PhotoCheck) -> list[ErrorDetail]:
    """The refusals as DRF error details carrying their codes, for
    ``serializers.ValidationError({"model_image": photo_error_details(check)})``."""
    return [ErrorDetail(str(item.message), code=item.code) for item in check.refusals]


def photo_warnings(check: PhotoCheck) -> list[dict[str, str]]:
    """The warnings as ``{"code", "message"}`` objects, for the API's resource."""
    return [item.as_dict() for item in check.warnings]
