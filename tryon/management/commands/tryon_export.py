"""Access request: one person's try-on rows and files, as a zip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...erasure import export
from ._person import add_person_arguments, person_from_options


class Command(BaseCommand):
    help = (
        "Write one person's shopper photos, try-ons (as tryon.json) and stored files into a "
        "zip, for an access request. Same selectors as tryon_forget."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_person_arguments(parser)
        parser.add_argument("--out", required=True, metavar="FILE.zip", help="the zip to write")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.suffix.lower() != ".zip":
            raise CommandError(f"--out must name a .zip file; got {str(out)!r}.")
        if not out.parent.is_dir():
            raise CommandError(f"The folder {str(out.parent)!r} does not exist.")
        person = person_from_options(options)
        report = export(person, out)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out}: {report.photos} photo(s), {report.tryons} try-on(s), "
                f"{report.files} file(s)."
            )
        )
        if report.missing_files:
            self.stderr.write(
                f"{len(report.missing_files)} file(s) named by rows were not in storage: "
                + ", ".join(report.missing_files)
            )
