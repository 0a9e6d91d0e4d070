"""Re-queue try-on jobs a dead worker left behind. Run it from cron every few minutes.

A worker killed mid-job (OOM, a deploy, a lost machine) leaves its row ``running``
forever: neither the task backends nor the job itself can notice, something periodic
has to. This command is that something (``tryon_pregenerate --wait`` also does it for
the rows it follows, through the same ``tryon.recovery.recover_stale``). A queue that
lost its tasks (a Redis flush) leaves rows ``pending`` with nothing to run them:
``--requeue-pending`` enqueues those again, once.
See docs/workers.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...conf import tryon_settings
from ...recovery import recover_stale


class Command(BaseCommand):
    help = (
        "Re-queue try-ons left 'running' by a worker that died: older than "
        "TRYON['STALE_RUNNING_AFTER'] seconds or --older-than."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help="age after which a job is presumed lost (default: STALE_RUNNING_AFTER)",
        )
        parser.add_argument(
            "--requeue-pending",
            action="store_true",
            help="also enqueue again every job pending that long: after the queue itself "
            "lost its tasks (a Redis flush), not from cron",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = options["older_than"]
        if seconds is None:
            seconds = float(tryon_settings.STALE_RUNNING_AFTER)
        requeued = recover_stale(
            timedelta(seconds=seconds), requeue_pending=options["requeue_pending"]
        )
        self.stdout.write(f"Re-queued {requeued} try-on job(s) older than {seconds:g} s.")
