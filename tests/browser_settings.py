"""The example shop's settings, pointed at a throwaway database and media folder.

The browser tests serve the real example shop (``example_project``) on 127.0.0.1 with
these: ``TRYON_BROWSER_DB`` and ``TRYON_BROWSER_MEDIA`` name the SQLite file and the
media folder, and try-ons use the offline preview backend (no key, no network).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
if str(_EXAMPLE) not in sys.path:
    sys.path.insert(0, str(_EXAMPLE))

from shopsite.settings import *  # noqa: E402,F403
from shopsite.settings import DATABASES, LOCAL_BACKEND, TRYON  # noqa: E402

DEBUG = True  # runserver serves static and media files
DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TRYON_BROWSER_DB"]}}
MEDIA_ROOT = os.environ["TRYON_BROWSER_MEDIA"]
TRYON = {
    **TRYON,
    "BACKEND": LOCAL_BACKEND,
    # The tests' people are drawn, no people to OpenCV's detectors (when the photo-check
    # extra is installed): the person checks would warn about every upload. Size,
    # sharpness and exposure stay on.
    "PHOTO_CHECKS": {"no_person": False, "several_people": False, "face_closeup": False},
}
