"""Delete expired shopper photos and try-ons, with their files (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...analytics.cleanup import delete_expired_events
from ...analytics.rollup import roll_up_closed_days
from ...privacy import cleanup_expired


class Command(BaseCommand):
    help = (
        "Delete shopper photos and try-ons past their expiry (TRYON['SHOPPER_PHOTO_TTL']) "
        "from the database and from storage. Result files another try-on still uses are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted; delete nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        report = cleanup_expired(dry_run=dry_run)
        if not dry_run:
            roll_up_closed_days()  # the dashboard's daily totals, before old events go
        events = delete_expired_events(dry_run=dry_run)
        if dry_run:
            self.stdout.write(
                f"Would delete {report.photos} expired shopper photo(s) "
                f"and {report.tryons} try-on(s)."
            )
            self.stdout.write(f"Would delete {events} analytics event(s).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {report.photos} expired shopper photo(s), {report.tryons} try-on(s) "
                f"and {report.files} file(s)."
            )
        )
        self.stdout.write(f"Deleted {events} analytics event(s) past the retention time.")
        if report.file_errors:
            raise CommandError(
                f"{report.file_errors} file(s) could not be deleted from storage; their rows "
                "are gone, so remove them by hand (the 'tryon.privacy' log names each one)."
            )
