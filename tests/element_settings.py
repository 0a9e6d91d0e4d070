"""The example shop as the API of a headless front end on another origin (``<tryon-widget>``).

The browser settings, plus what ``docs/headless.md`` tells a shop to add: django-cors-headers
for the front end's origins (``TRYON_ELEMENT_ORIGINS``, space-separated), those origins
trusted for CSRF, cookies a cross-site page may send (``SameSite=None`` needs ``Secure``;
Chromium accepts Secure cookies from ``http://127.0.0.1``, a trustworthy origin, so no
HTTPS is needed here) and DRF's TokenAuthentication beside the session.
"""

from __future__ import annotations

import os

from tests.browser_settings import *  # noqa: F403
from tests.browser_settings import INSTALLED_APPS, MIDDLEWARE

FRONT_END_ORIGINS = os.environ.get("TRYON_ELEMENT_ORIGINS", "").split()

INSTALLED_APPS = [*INSTALLED_APPS, "corsheaders", "rest_framework.authtoken"]
# First, so that it answers preflight requests and adds its headers to every answer.
MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware", *MIDDLEWARE]

CORS_ALLOWED_ORIGINS = FRONT_END_ORIGINS
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/tryon/(api|files)/"  # files: a shopper's own pictures, for a token
CSRF_TRUSTED_ORIGINS = FRONT_END_ORIGINS

SESSION_COOKIE_SAMESITE = "None"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "None"
CSRF_COOKIE_SECURE = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ]
}
