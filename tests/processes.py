"""How the tests' Python subprocesses (workers, the example shop's server) find the code.

Under nox (``TRYON_TEST_WHEEL=1``) the session's virtualenv holds the built wheel, and a
``.pth`` file puts the checkout at the *end* of ``sys.path`` (noxfile.py,
``make_tests_importable``): ``tryon`` comes from the wheel, ``tests`` from the checkout.
A subprocess of that Python needs nothing more, so the checkout is not put on its
``PYTHONPATH``, which would come first and shadow the wheel. Run by hand (an editable
install, or none), the checkout goes first, as for the tests themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tests_against_the_wheel() -> bool:
    return os.environ.get("TRYON_TEST_WHEEL") == "1"


def python_path(*extra: Path) -> str:
    """``PYTHONPATH`` for a subprocess that imports ``tests`` and ``tryon``, plus ``extra``."""
    checkout = [] if tests_against_the_wheel() else [REPO]
    return os.pathsep.join(str(path) for path in [*extra, *checkout])
