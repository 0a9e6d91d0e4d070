"""Serializer fields stricter than DRF's about what an id is."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Garment

__all__ = ["MAX_ID", "StrictIdField", "active_garment_field", "parse_id", "parse_uuid"]

# The largest id a database integer column holds (a larger number is no row's id, and
# SQLite raises OverflowError for it instead of answering "no such row").
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class StrictIdField(serializers.PrimaryKeyRelatedField):
    """A related row by its integer id: a JSON integer or a string of ASCII digits.

    DRF would take ``1.5`` or ``"١"`` (an Arabic-Indic one) as id 1, and fail with a
    500 on ``1e309`` (infinity); here they, and ``true``, are refused as the wrong type.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and _ASCII_DIGITS.fullmatch(data))
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        value = int(data)
        if not 0 < value <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(value)


def active_garment_field(**kwargs: Any) -> StrictIdField:
    """An active garment by its id, with errors a shopper's front end can show."""
    return StrictIdField(
        queryset=Garment.objects.active(),
        error_messages={
            "does_not_exist": _("This garment does not exist or cannot be tried on."),
            "incorrect_type": _("Incorrect type. Expected a garment id, received {data_type}."),
        },
        **kwargs,
    )


def parse_id(value: str) -> int | None:
    """An id from a URL: ASCII digits naming a possible row, else None."""
    if not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_uuid(value: str) -> uuid.UUID | None:
    """A UUID from a URL (any of Python's spellings of one), else None."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
