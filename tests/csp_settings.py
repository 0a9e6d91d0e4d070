"""The example shop behind a strict Content-Security-Policy (``tests.csp_middleware``).

The browser settings plus the policy's middleware: the widget has to work under it unchanged.
"""

from __future__ import annotations

from tests.browser_settings import *  # noqa: F403
from tests.browser_settings import MIDDLEWARE

MIDDLEWARE = ["tests.csp_middleware.strict_csp_middleware", *MIDDLEWARE]
