"""Fill the shipped catalogs (tryon/locale/*/LC_MESSAGES/django.po) from a JSON file.

A translation pass, after ``makemessages`` has added new msgids (docs/languages.md):

    python scripts/translations.py todo > todo.json   # what is missing, per language
    (write each "msgstr" in todo.json: a string, or a list of plural forms)
    python scripts/translations.py fill todo.json     # write them into the .po files
    cd tryon && django-admin compilemessages

Needs polib (``pip install polib``), a tool for this pass only, not a dependency of the app.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent.parent / "tryon" / "locale"
LANGUAGES = ("de", "fr", "es", "it", "nl", "pl")


def _catalog(language: str) -> Any:
    try:
        import polib
    except ImportError:
        sys.exit("scripts/translations.py needs polib: pip install polib")
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"), wrapwidth=79)


def _nplurals(po: Any) -> int:
    forms = po.metadata.get("Plural-Forms", "nplurals=2;")
    return int(forms.split("nplurals=")[1].split(";")[0])


def _missing(entry: Any) -> bool:
    return entry.fuzzy or not entry.translated()


def todo(languages: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every untranslated or fuzzy entry, with an empty msgstr to fill in."""
    found: dict[str, list[dict[str, Any]]] = {}
    for language in languages:
        po = _catalog(language)
        rows = []
        for entry in po:
            if entry.obsolete or not _missing(entry):
                continue
            row: dict[str, Any] = {"msgid": entry.msgid}
            if entry.msgctxt is not None:
                row["msgctxt"] = entry.msgctxt
            if entry.msgid_plural:
                row["msgid_plural"] = entry.msgid_plural
                row["msgstr"] = [""] * _nplurals(po)
            else:
                row["msgstr"] = ""
            rows.append(row)
        found[language] = rows
    return found


def fill(data: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Write the msgstrs of ``data`` into the catalogs; returns what could not be placed."""
    problems = []
    for language, rows in data.items():
        po = _catalog(language)
        nplurals = _nplurals(po)
        for row in rows:
            entry = po.find(row["msgid"], msgctxt=row.get("msgctxt"))
            where = f"{language}: {row['msgid']!r}"
            if entry is None:
                problems.append(f"{where} is not in the catalog (run makemessages first)")
                continue
            msgstr = row["msgstr"]
            if entry.msgid_plural:
                if not isinstance(msgstr, list) or len(msgstr) != nplurals or not all(msgstr):
                    problems.append(f"{where} needs {nplurals} non-empty plural forms")
                    continue
                entry.msgstr_plural = dict(enumerate(msgstr))
            else:
                if not isinstance(msgstr, str) or not msgstr:
                    problems.append(f"{where} needs a non-empty string")
                    continue
                entry.msgstr = msgstr
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = entry.previous_msgid_plural = None
                entry.previous_msgctxt = None
        po.save()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    todo_parser = commands.add_parser("todo", help="print the missing translations as JSON")
    todo_parser.add_argument("languages", nargs="*", default=list(LANGUAGES))
    fill_parser = commands.add_parser("fill", help="write translations from a JSON file")
    fill_parser.add_argument("file", type=Path)
    args = parser.parse_args()
    if args.command == "todo":
        json.dump(todo(args.languages), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    problems = fill(json.loads(args.file.read_text(encoding="utf-8")))
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
