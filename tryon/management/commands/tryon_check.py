"""Check the configuration: the system checks, then what each piece resolves to."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import tryon_settings


class Command(BaseCommand):
    help = "Check django-tryon's configuration and show what it resolves to (never the key)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print problems only")

    def handle(self, *args: Any, **options: Any) -> None:
        messages = [m for m in checks.run_checks() if m.id and m.id.startswith("tryon.")]
        if not options["quiet"]:
            self._describe()
        errors = [m for m in messages if m.is_serious()]
        for message in messages:
            line = f"{message.id}: {message.msg}"
            if message.hint:
                line += f"\n    HINT: {message.hint}"
            style = self.style.ERROR if message.is_serious() else self.style.WARNING
            self.stderr.write(style(line))
        if errors:
            raise CommandError(f"{len(errors)} configuration error(s) in TRYON.")
        self.stdout.write(self.style.SUCCESS("django-tryon configuration OK."))

    def _describe(self) -> None:
        key = tryon_settings.API_KEY
        rows = [
            ("backend", tryon_settings.BACKEND),
            ("API key", "set" if key else "not set"),
            ("API base URL", tryon_settings.API_BASE_URL),
            ("storage alias", tryon_settings.STORAGE),
            ("task backend alias", tryon_settings.TASK_BACKEND),
            ("timeout", f"{tryon_settings.TIMEOUT} s"),
            ("max retries", tryon_settings.MAX_RETRIES),
        ]
        for label, value in rows:
            self.stdout.write(f"{label:>20}: {value}")
