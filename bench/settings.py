"""A small host shop for the benchmarks: SQLite in a temporary file, media in a temp folder.

Used by ``bench/images.py``, ``bench/dedup.py`` and ``bench/overhead.py`` through
``bench._common.setup_django()``; everything lives in one temporary folder that is
removed when the process exits. TRYON points at the fake provider each script starts
(``TRYON_API_BASE_URL`` in the environment, set by the script before Django reads it).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from importlib.util import find_spec

# A worker process started by a benchmark shares its parent's folder (database, media).
_FOLDER = os.environ.get("TRYON_BENCH_FOLDER", "")
if not _FOLDER:
    _FOLDER = tempfile.mkdtemp(prefix="tryon-bench-")
    os.environ["TRYON_BENCH_FOLDER"] = _FOLDER
    atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The test project's URLconf: admin/ and tryon/ (include("tryon.urls")), as a shop has.
ROOT_URLCONF = "tests.urls"

_HAS_DJANGO_TASKS = bool(find_spec("django.tasks"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    *([] if _HAS_DJANGO_TASKS else ["django_tasks"]),
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
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# A file, not :memory:, so the worker thread shares it; WAL lets it read while the web
# thread writes, and IMMEDIATE transactions wait for the lock instead of failing.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(_FOLDER, "bench.sqlite3"),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

MEDIA_ROOT = os.path.join(_FOLDER, "media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Enqueued jobs go onto a queue that bench._common's worker (threads of this process, or
# a process of its own) takes them from at once, as an RQ worker blocked on Redis does.
TASKS = {"default": {"BACKEND": "bench._common.QueueBackend"}}

TRYON = {
    "BACKEND": "tryon.backends.changeclothes.ChangeClothesBackend",
    "API_KEY": "bench-key",  # the fake's key (bench._common.API_KEY)
    # API_BASE_URL: from TRYON_API_BASE_URL, set by the script to its fake provider.
    "RETRY_BACKOFF": 0,
    "TIMEOUT": 60,
    # The rates a shop would set are not what is measured: keep them out of the way.
    # (None would mean "the default" to TRYON, not "off".)
    "BURST_RATE": "100000/min",
    "DAILY_RATE": "100000/day",
    "DAILY_PAID_CALL_LIMIT": 10**9,
}

# Django's default logging: request warnings only with DEBUG, so none in the figures.
