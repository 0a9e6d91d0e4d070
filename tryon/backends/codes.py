"""What a stored error code means: django-tryon's own codes, then the provider's.

A ``TryOn`` keeps the code its job failed with. The admin describes it to the shop owner
and the API turns it into a message for the shopper; both ask here. Provider codes are
looked up in the configured backend's table, then in the default backend's (rows from
before a switch of backend, and backends that reuse its codes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from django.core.exceptions import ImproperlyConfigured

from ..conf import DEFAULTS
from ..exceptions import SHOP_ERROR_CLASSES, UNDOCUMENTED_ERROR, ProviderError
from .base import BaseBackend
from .loading import backend_class


def _backend_classes() -> list[type[BaseBackend]]:
    found: list[type[BaseBackend]] = []
    for path in (None, DEFAULTS["BACKEND"]):
        try:
            cls = backend_class(path)
        except ImproperlyConfigured:
            continue  # the system checks report it; a description is no place to fail
        if cls not in found:
            found.append(cls)
    return found


def describe_code(code: int) -> str:
    """What ``code`` means, in words a shop owner reads."""
    return ERROR_DESCRIPTIONS.get(code, UNDOCUMENTED_ERROR)


def user_message_for(code: int | None) -> str:
    """What a shopper is told about a try-on that failed with ``code``."""
    if code in SHOP_ERROR_CLASSES:
        return str(SHOP_ERROR_CLASSES[code].user_message)
    if code is not None:
        for cls in _backend_classes():
            if code in cls.error_classes:
                return str(cls.error_classes[code].user_message)
    return str(ProviderError.user_message)


class _ErrorDescriptions(Mapping[int, str]):
    """Every known code -> its description; read when asked, so settings stay lazy."""

    def _tables(self) -> list[Mapping[int, str]]:
        own = {code: cls.description for code, cls in SHOP_ERROR_CLASSES.items()}
        return [own, *(cls.error_descriptions for cls in _backend_classes())]

    def __getitem__(self, code: int) -> str:
        for table in self._tables():
            if code in table:
                return table[code]
        raise KeyError(code)

    def __iter__(self) -> Iterator[int]:
        return iter(dict.fromkeys(code for table in self._tables() for code in table))

    def __len__(self) -> int:
        return sum(1 for _ in self)


#: Code -> description, for our own codes and the providers'.
ERROR_DESCRIPTIONS: Mapping[int, str] = _ErrorDescriptions()
