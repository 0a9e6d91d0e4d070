"""Which checks are on: ``TRYON["PHOTO_CHECKS"]``.

A dict of check code -> bool; a code left out is on (``None`` or ``{}``: all on).
``False`` instead of a dict turns every check off. Unknown codes and non-bool values
are configuration errors that name the key, so a typo cannot silently leave a check on.
"""

from __future__ import annotations

from typing import Any

from ..conf import tryon_settings
from ..exceptions import TryOnConfigurationError
from .findings import CODES

__all__ = ["checks_from", "enabled_checks", "photo_checks_problems"]


def photo_checks_problems(value: Any) -> list[str]:
    """What is wrong with a ``PHOTO_CHECKS`` value, one sentence each (empty: nothing)."""
    if value is None or value is False:
        return []
    if not isinstance(value, dict):
        return [
            "TRYON['PHOTO_CHECKS'] must be a dict of check code -> bool, or False "
            f"(got {type(value).__name__})."
        ]
    problems = []
    for key, on in value.items():
        if key not in CODES:
            problems.append(
                f"TRYON['PHOTO_CHECKS'] has an unknown check {key!r}; "
                f"the checks are {', '.join(CODES)}."
            )
        elif not isinstance(on, bool):
            problems.append(f"TRYON['PHOTO_CHECKS'][{key!r}] must be True or False.")
    return problems


def enabled_checks() -> frozenset[str]:
    """The codes of the checks the setting leaves on (read on every call)."""
    return checks_from(tryon_settings.PHOTO_CHECKS)


def checks_from(value: Any) -> frozenset[str]:
    """The codes of the checks a ``PHOTO_CHECKS`` value leaves on."""
    problems = photo_checks_problems(value)
    if problems:
        raise TryOnConfigurationError(" ".join(problems))
    if value is False:
        return frozenset()
    value = value or {}
    return frozenset(code for code in CODES if value.get(code, True))
