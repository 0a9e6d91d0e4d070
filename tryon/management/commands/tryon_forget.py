"""Erasure request: delete every try-on row and file of one person."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...erasure import forget
from ._person import add_person_arguments, person_from_options


class Command(BaseCommand):
    help = (
        "Delete every shopper photo, try-on and stored file of one person (a user, found by "
        "id or e-mail address, with every session their rows were made in; or one session), "
        "and print what was removed. Preset models are the shop's and are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_person_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        person = person_from_options(options)
        report = forget(person)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {report.photos} photo(s), {report.tryons} try-on(s), "
                f"{report.files} file(s) and {report.events} analytics event(s) of "
                f"{len(person.user_ids)} user(s) and {len(person.session_keys)} session(s)."
            )
        )
        if report.file_errors:
            raise CommandError(
                f"{report.file_errors} file(s) could not be deleted from storage; their rows "
                "are gone, so remove them by hand (the 'tryon.privacy' log names each one)."
            )
