"""Settings for worker processes that tests start (db_worker, rqworker, helpers).

The test process passes, as JSON in the environment, what the workers must share with
it: the database (pytest-django's test database, or a SQLite file), the media folder,
the TRYON dict (the fake provider's URL) and the task backend.
"""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["TRYON_WORKER_DATABASE"])}
if os.environ.get("TRYON_WORKER_NAME") and "postgresql" in DATABASES["default"]["ENGINE"]:
    # So that a test finds this worker's connections in pg_stat_activity (and cuts them).
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = os.environ[
        "TRYON_WORKER_NAME"
    ]
MEDIA_ROOT = os.environ["TRYON_WORKER_MEDIA_ROOT"]
TRYON = json.loads(os.environ.get("TRYON_WORKER_TRYON", "{}")) or TRYON  # noqa: F405

if os.environ.get("TRYON_WORKER_TASKS") == "rq":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]  # noqa: F405
    RQ_QUEUES = json.loads(os.environ["TRYON_WORKER_RQ_QUEUES"])
    # "default" as well: tryon.tasks.run_tryon is declared on it at import, and
    # django-tasks-rq's check wants every queue of TASKS in RQ_QUEUES.
    RQ_QUEUES.setdefault("default", next(iter(RQ_QUEUES.values())))
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_rq.RQBackend",
            "QUEUES": list(RQ_QUEUES),
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"tryon": {"handlers": ["stderr"], "level": "WARNING"}},
}
