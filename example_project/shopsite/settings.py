"""Settings of the django-tryon example shop. For local demos only.

Everything is embedded: SQLite (``db.sqlite3``), files in ``media/``, jobs in the
database (``manage.py db_worker``). Without ``TRYON_API_KEY`` in the environment the
shop uses the offline preview backend (a Pillow composite, not AI); with it, the
Change Clothes AI provider. The key is read from the environment, never from here.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "demo-only-insecure-secret-key-do-not-use-in-production"
)
DEBUG = _env_flag("DJANGO_DEBUG", True)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# Django 6.x has the Tasks API built in; Django 5.2 needs the django-tasks backport app.
_TASKS_APP = [] if find_spec("django.tasks") else ["django_tasks"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *_TASKS_APP,
    "django_tasks_db",
    "rest_framework",
    "tryon",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shopsite.urls"
WSGI_APPLICATION = "shopsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.tryon_backend",
            ]
        },
    }
]

# The web server and the worker write to the same file: WAL lets them read while the
# other writes, and IMMEDIATE transactions wait for the lock instead of failing.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []  # the demo's admin/admin login

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Two queues: shoppers' try-ons on "default", catalogue previews on "previews", each with
# a worker of its own (bin/demo), so a shopper never waits behind a catalogue run.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "previews"],
    }
}

LOCAL_BACKEND = "tryon.backends.local.LocalPreviewBackend"
PROVIDER_BACKEND = "tryon.backends.changeclothes.ChangeClothesBackend"

TRYON = {
    # The API key itself is read by tryon from the TRYON_API_KEY environment variable.
    "BACKEND": PROVIDER_BACKEND if os.environ.get("TRYON_API_KEY") else LOCAL_BACKEND,
    "STORAGE": "default",
    "BULK_QUEUE_NAME": "previews",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tryon": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
