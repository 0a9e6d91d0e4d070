#!/usr/bin/env python
"""Django's command-line utility for the django-tryon example shop."""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings")
    if find_spec("tryon") is None:
        # Not installed (no `pip install -e .`): use the checkout this example lives in.
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
