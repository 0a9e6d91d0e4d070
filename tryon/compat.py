"""The Django Tasks API: ``django.tasks`` on Django 6.x, the ``django_tasks`` backport on 5.2."""

from __future__ import annotations

try:  # Django >= 6.0
    from django.tasks import task, task_backends
    from django.tasks.base import (
        DEFAULT_TASK_PRIORITY,
        TASK_MAX_PRIORITY,
        TASK_MIN_PRIORITY,
        TaskResultStatus,
    )
    from django.tasks.exceptions import InvalidTask as InvalidTaskError
    from django.tasks.exceptions import InvalidTaskBackend as InvalidTaskBackendError
    from django.tasks.exceptions import TaskResultDoesNotExist
    from django.tasks.signals import task_started

    TASKS_MODULE = "django.tasks"
except ImportError:  # Django 5.2 with the backport
    from django_tasks import task, task_backends  # type: ignore[no-redef,assignment]
    from django_tasks.base import (  # type: ignore[no-redef,assignment]
        DEFAULT_TASK_PRIORITY,
        TASK_MAX_PRIORITY,
        TASK_MIN_PRIORITY,
        TaskResultStatus,
    )
    from django_tasks.exceptions import (  # type: ignore[no-redef,assignment]
        InvalidTaskBackendError,
        InvalidTaskError,
        TaskResultDoesNotExist,
    )
    from django_tasks.signals import task_started  # type: ignore[no-redef]

    TASKS_MODULE = "django_tasks"

__all__ = [
    "DEFAULT_TASK_PRIORITY",
    "TASKS_MODULE",
    "TASK_MAX_PRIORITY",
    "TASK_MIN_PRIORITY",
    "InvalidTaskBackendError",
    "InvalidTaskError",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "task",
    "task_backends",
    "task_started",
]
