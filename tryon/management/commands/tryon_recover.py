"""Find the try-on jobs dead workers left behind. Run it from cron, every minute.

A worker killed mid-job (OOM, a deploy, a lost machine) leaves its row ``running``, and
one killed right after taking a task leaves it ``pending`` with no task to run it:
something periodic has to notice. This command is that something
(``tryon_pregenerate --wait`` also does it for the rows it follows, through the same
``tryon.recovery.recover``):

- a ``running`` row older than ``STALE_RUNNING_AFTER`` is queued again, unless a paid
  request was out when its worker stopped: then it fails (code 90003), since the
  provider may have charged, and is never re-sent automatically;
- a ``pending`` row whose task a worker took and lost is queued again.

Safe to run as often as you like: it is idempotent, costs a few indexed queries, never
calls the provider and never re-sends a paid request. ``--requeue-pending`` is for a
queue that lost its tasks on a task backend that cannot tell (see docs/operations.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...conf import tryon_settings
from ...recovery import recover


class Command(BaseCommand):
    help = (
        "Recover try-ons that dead workers left behind: queue them again, or fail those "
        "with a paid request out (never re-sent). Safe to run from cron every minute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help="age after which a running job is presumed lost (default: STALE_RUNNING_AFTER)",
        )
        parser.add_argument(
            "--requeue-pending",
            action="store_true",
            help="also enqueue again every job pending that long: after the queue itself "
            "lost its tasks on a task backend that cannot tell, once, not from cron",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = options["older_than"]
        if seconds is None:
            seconds = float(tryon_settings.STALE_RUNNING_AFTER)
        report = recover(timedelta(seconds=seconds), requeue_pending=options["requeue_pending"])
        self.stdout.write(
            f"Re-queued {report.requeued} try-on job(s) older than {seconds:g} s; "
            f"failed {report.failed} whose paid request was out (not re-sent)."
        )
        if report.handed_off:
            self.stdout.write(
                f"Finished {report.handed_off} hand-off(s) a stopped worker left to the "
                "try-ons waiting for the same picture."
            )
