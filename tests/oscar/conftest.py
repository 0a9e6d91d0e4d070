"""The Oscar leg: ``pytest --ds=tests.oscar.settings tests/oscar`` with django-oscar installed.

Without Oscar every module here skips (``pytest.importorskip``); with Oscar installed
but the main suite's settings, these modules are not collected at all, since they need
Oscar's apps installed to import.
"""

from __future__ import annotations

from importlib.util import find_spec

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "oscar: needs django-oscar and --ds=tests.oscar.settings (the Oscar leg)"
    )
    # Oscar 4.2's own category menu calls a treebeard API that treebeard 7 deprecates.
    config.addinivalue_line(
        "filterwarnings", r"ignore:Using Category\.get_tree\(\) is deprecated:DeprecationWarning"
    )


def _oscar_leg() -> bool:
    try:
        return "tryon.contrib.oscar.apps.TryOnOscarConfig" in settings.INSTALLED_APPS
    except Exception:  # settings not configured: not this leg
        return False


collect_ignore_glob = ["test_*.py"] if find_spec("oscar") and not _oscar_leg() else []
