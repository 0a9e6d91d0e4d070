"""The example shop's settings, as the shopper benchmarks serve it.

``bench/shopper.py`` and ``bench/shoppers.py`` run ``example_project`` (its own web server
or gunicorn, and real task workers) with these, configured from the environment:

- ``TRYON_BENCH_DATABASE``: ``sqlite:/path/to/file`` or ``postgresql:NAME`` (on
  127.0.0.1:5432 as ``postgres``, a database the script creates and drops);
- ``TRYON_BENCH_MEDIA``: the media folder;
- ``TRYON_BENCH_TASKS``: ``db`` (django-tasks-db's ``db_worker``) or ``rq`` (django-tasks-rq
  on Redis 127.0.0.1:6379, database ``TRYON_BENCH_REDIS_DB``);
- ``TRYON_API_BASE_URL``: the fake provider the script started; ``TRYON_BENCH_SLOTS``:
  ``MAX_CONCURRENT_CALLS``; ``TRYON_BENCH_DEBUG``: ``1`` for runserver (static files).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
if str(_EXAMPLE) not in sys.path:
    sys.path.insert(0, str(_EXAMPLE))

from shopsite.settings import *  # noqa: E402,F403
from shopsite.settings import INSTALLED_APPS, PROVIDER_BACKEND  # noqa: E402

DEBUG = os.environ.get("TRYON_BENCH_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Media are served by Django here even without DEBUG (gunicorn has no static file server):
# in production the web server or a CDN serves them, for less than this costs.
ROOT_URLCONF = "bench.shop_urls"

_kind, _, _name = os.environ["TRYON_BENCH_DATABASE"].partition(":")
if _kind == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _name,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "CONN_MAX_AGE": 60,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _name,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
MEDIA_ROOT = os.environ["TRYON_BENCH_MEDIA"]

if os.environ.get("TRYON_BENCH_TASKS") == "rq":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]
    RQ_QUEUES = {
        "default": {
            "HOST": "127.0.0.1",
            "PORT": 6379,
            "DB": int(os.environ.get("TRYON_BENCH_REDIS_DB", "13")),
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

TRYON = {
    "BACKEND": PROVIDER_BACKEND,
    "API_KEY": "bench-key",  # the fake's (bench._common.API_KEY)
    "API_BASE_URL": os.environ["TRYON_API_BASE_URL"],
    "STORAGE": "default",
    "RETRY_BACKOFF": 0,
    "TIMEOUT": 60,
    "MAX_CONCURRENT_CALLS": int(os.environ.get("TRYON_BENCH_SLOTS", "8")),
    # A shop's rates are not what is measured: keep them out of the way.
    "BURST_RATE": "100000/min",
    "DAILY_RATE": "100000/day",
    "DAILY_PAID_CALL_LIMIT": 10**9,
    # The benches' drawn people are no photographs: OpenCV's person checks (with the
    # photo-check extra) would warn about every upload. Size, sharpness and exposure stay.
    "PHOTO_CHECKS": {"no_person": False, "several_people": False, "face_closeup": False},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"tryon": {"handlers": ["stderr"], "level": "WARNING"}},
}
