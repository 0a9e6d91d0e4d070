"""The Oscar leg's settings: a django-oscar 4.2 shop, sandbox style, with tryon.contrib.oscar.

Run with ``pytest --ds=tests.oscar.settings tests/oscar`` in an environment that has
django-oscar (and sorl-thumbnail, Oscar's default thumbnailer) installed.
"""

from __future__ import annotations

import tempfile
from importlib.util import find_spec
from pathlib import Path

from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403  (Oscar's documented way to take its defaults)

from tryon.contrib.oscar.nav import TRYON_DASHBOARD_NAVIGATION

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.oscar.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # Oscar's migrations use AutoField
SITE_ID = 1

_TASKS_APP = [] if find_spec("django.tasks") else ["django_tasks"]

INSTALLED_APPS = [
    # Before Oscar's apps: its template adds the "Try-on" section to the product page.
    "tryon.contrib.oscar.apps.TryOnOscarConfig",
    *OSCAR_APPS,
    "sorl.thumbnail",
    *_TASKS_APP,
    "rest_framework",
    "tryon",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The shop's own overrides, as docs/oscar.md tells shops to write them.
        "DIRS": [str(Path(__file__).resolve().parent / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ]
        },
    }
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}

MEDIA_ROOT = tempfile.mkdtemp(prefix="tryon-oscar-tests-media-")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests enqueue onto the dummy backend and run the jobs themselves, as a worker would.
_TASKS_PKG = "django.tasks" if find_spec("django.tasks") else "django_tasks"
TASKS = {"default": {"BACKEND": f"{_TASKS_PKG}.backends.dummy.DummyBackend"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

OSCAR_DASHBOARD_NAVIGATION.append(TRYON_DASHBOARD_NAVIGATION)  # noqa: F405

# Offline by default: previews are composited from the product's own image.
TRYON = {"BACKEND": "tryon.backends.local.LocalPreviewBackend"}

# The simple engine searches the database directly: it has no index to keep up to date.
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
