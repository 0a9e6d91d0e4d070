"""The selectors ``tryon_forget`` and ``tryon_export`` share: whose data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from ...erasure import Person, find_person


def add_person_arguments(parser: CommandParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--user", metavar="ID", help="the user's primary key")
    group.add_argument("--email", metavar="ADDRESS", help="the user's e-mail address")
    group.add_argument("--session", metavar="KEY", help="an anonymous shopper's session key")


def person_from_options(options: dict[str, Any]) -> Person:
    person = find_person(
        user=options.get("user"), email=options.get("email"), session_key=options.get("session")
    )
    if options.get("email") and not person.user_ids:
        raise CommandError(f"No user has the e-mail address {options['email']!r}.")
    if not person.user_ids and not person.session_keys:
        raise CommandError("Name a person: --user ID, --email ADDRESS or --session KEY.")
    return person
