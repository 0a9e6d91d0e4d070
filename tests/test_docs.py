"""The documentation keeps up with the code: settings, commands, the README's quick start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import find_commands

import tryon
from tryon.conf import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def documented_names(page: Path) -> set[str]:
    return names_in_rows_and_headings(page.read_text())


def names_in_rows_and_headings(text: str) -> set[str]:
    """Names in backticks that open a table row or stand in a heading."""
    rows = re.findall(r"^\|\s*`([^`]+)`", text, flags=re.MULTILINE)
    headings = re.findall(r"^#+ .*?`([^`]+)`", text, flags=re.MULTILINE)
    return set(rows) | set(headings)


def fenced_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_only_table_rows_and_headings_count_as_documentation() -> None:
    page = "| `ROW` | `CELL` |\n## The `HEADING` key\nIn prose `PROSE` is not enough.\n"
    assert names_in_rows_and_headings(page) == {"ROW", "HEADING"}


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_on_the_settings_page(key: str) -> None:
    assert key in documented_names(DOCS / "settings.md"), (
        f"TRYON[{key!r}] has no row (or heading) on docs/settings.md"
    )


def test_the_settings_page_documents_backend_options() -> None:
    assert "BACKEND_OPTIONS" in documented_names(DOCS / "settings.md")


COMMANDS = sorted(find_commands(str(Path(tryon.__file__).parent / "management")))


def test_commands_are_found() -> None:
    assert "tryon_run" in COMMANDS
    assert not any(name.startswith("_") for name in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_management_command_is_on_the_commands_page(command: str) -> None:
    assert command in documented_names(DOCS / "commands.md"), (
        f"manage.py {command} has no heading on docs/commands.md"
    )


def test_readme_opens_with_the_two_quick_start_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first, second = fenced_blocks(readme)[:2]
    assert first.split()[0] == "bin/demo"
    assert second.split()[0] == "bin/test"
    assert (ROOT / "bin" / "demo").is_file()
    assert (ROOT / "bin" / "test").is_file()


def test_readme_links_to_existing_pages() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", readme)
    assert links, "the README links to no documentation page"
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing


@pytest.mark.parametrize(
    "module", ["tryon.backends", "tryon.exceptions", "tryon.signals", "tryon.testing"]
)
def test_api_reference_covers_the_public_modules(module: str) -> None:
    pages = "\n".join(page.read_text() for page in (DOCS / "reference").glob("*.md"))
    assert re.search(rf"^::: {re.escape(module)}$", pages, flags=re.MULTILINE)
