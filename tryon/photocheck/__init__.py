"""A shopper's photo checked before any paid call: refused when it cannot give a good
result, warned about when it may give a poorer one.

:func:`check_photo` takes the normalised upload and answers a :class:`PhotoCheck`:
``refusals`` and ``warnings``, each a list of :class:`Finding` (a stable ``code`` and a
translatable ``message`` that tells the shopper what to do). Pillow alone runs the cheap
checks (size, sharpness, exposure); with the ``photo-check`` extra (OpenCV's headless
wheel, 4.x) the person checks run too (no person, several people, a face close-up).
``TRYON["PHOTO_CHECKS"]`` turns checks off. See ``docs/photo-check.md``.

The modules, one concern each (import from ``tryon.photocheck``, not from them):

- ``findings``: the codes, the shopper's messages, ``Finding`` and ``PhotoCheck``;
- ``config``: which checks the setting leaves on;
- ``picture``: the small grey picture the checks analyse;
- ``quality``: the cheap checks (Pillow);
- ``detectors``: faces and bodies with OpenCV's bundled detectors;
- ``people``: the person checks' rules;
- ``check``: :func:`check_photo`;
- ``rest``: what the REST API returns for a check.
"""

from __future__ import annotations

from .check import check_photo
from .config import enabled_checks, photo_checks_problems
from .detectors import opencv_available, opencv_problem
from .findings import CODES, PERSON_CODES, Finding, PhotoCheck
from .rest import (
    WARNINGS_NOT_ACCEPTED,
    photo_check_payload,
    photo_error_details,
    photo_errors,
    photo_validation_error,
    photo_warnings,
)

__all__ = [
    "CODES",
    "PERSON_CODES",
    "WARNINGS_NOT_ACCEPTED",
    "Finding",
    "PhotoCheck",
    "check_photo",
    "enabled_checks",
    "opencv_available",
    "opencv_problem",
    "photo_check_payload",
    "photo_checks_problems",
    "photo_error_details",
    "photo_errors",
    "photo_validation_error",
    "photo_warnings",
]
