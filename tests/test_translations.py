"""The shipped catalogs: every string translated in each language, compiled, and used.

Read from the installed package (the built wheel under nox), so a catalog or a compiled
``.mo`` left out of the wheel fails here too. How to fill new strings: docs/languages.md.
"""

from __future__ import annotations

import ast
import gettext
import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.utils import translation

import tryon

PACKAGE_DIR = Path(tryon.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
NPLURALS = {"de": 2, "fr": 2, "es": 2, "it": 2, "nl": 2, "pl": 3}
LANGUAGES = sorted(NPLURALS)
# Left out of extraction (and so of the catalogs): migrations repeat the models' texts, and
# tryon.testing's fake provider answers in the provider's own English, as the real one does.
NOT_EXTRACTED = ("migrations", "testing")

# "%%" is a literal percent sign, matched first so that "%% of" is not read as "% o".
PRINTF = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"\{[^{}]*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """The header and the entries of a .po (or .pot) file; obsolete (#~) entries left out."""
    entries: list[Entry] = []
    entry, target, obsolete = Entry(), "", False

    def close() -> None:
        nonlocal entry, obsolete
        if entry.msgstr and not obsolete:
            entries.append(entry)
        entry, obsolete = Entry(), False

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            close()
        elif line.startswith("#~"):
            obsolete = True
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if target.startswith("msgstr"):
                entry.msgstr[-1] += text
            else:
                setattr(entry, target, (getattr(entry, target) or "") + text)
        else:
            keyword, _, value = line.partition(" ")
            text = ast.literal_eval(value)
            target = keyword.split("[")[0]
            if target == "msgstr":
                entry.msgstr.append(text)
            else:
                setattr(entry, target, text)
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    return header, [e for e in entries if e is not header]


def catalog(language: str) -> tuple[Entry, list[Entry]]:
    return read_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")


def header_fields(header: Entry) -> dict[str, str]:
    lines = header.msgstr[0].splitlines()
    return {key.strip(): value.strip() for key, _, value in (ln.partition(":") for ln in lines)}


def placeholders(entry: Entry, text: str) -> Counter[str]:
    found = (
        Counter(match for match in PRINTF.findall(text) if match != "%%")
        if "python-format" in entry.flags
        else Counter()
    )
    if "python-brace-format" in entry.flags:
        found.update(BRACES.findall(text))
    return found


# -- the .po files ----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_header_names_the_language_and_its_plural_forms(language):
    header, _ = catalog(language)
    fields = header_fields(header)
    assert "fuzzy" not in header.flags
    assert fields["Language"] == language
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert f"nplurals={NPLURALS[language]};" in fields["Plural-Forms"].replace(" ", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    _, entries = catalog(language)
    assert len(entries) > 250
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"{language}: fuzzy entries (check and untick them): {fuzzy}"
    untranslated = [e.msgid for e in entries if not all(e.msgstr)]
    assert not untranslated, f"{language}: untranslated (docs/languages.md): {untranslated}"
    forms = NPLURALS[language]
    wrong = [e.msgid for e in entries if len(e.msgstr) != (forms if e.msgid_plural else 1)]
    assert not wrong, f"{language}: not {forms} plural forms: {wrong}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_source(language):
    _, entries = catalog(language)
    mismatched = []
    for entry in entries:
        source = placeholders(entry, entry.msgid)
        if entry.msgid_plural is None:
            if placeholders(entry, entry.msgstr[0]) != source:
                mismatched.append((entry.msgid, entry.msgstr[0]))
            continue
        plural = placeholders(entry, entry.msgid_plural)
        for index, form in enumerate(entry.msgstr):
            found = set(placeholders(entry, form))
            # The singular may leave the number out ("One garment"); others need it.
            required = set(source if index == 0 else plural)
            if not required <= found <= set(source) | set(plural):
                mismatched.append((entry.msgid, form))
    assert not mismatched, f"{language}: placeholders differ from the source: {mismatched}"


def test_every_language_has_the_same_messages():
    keys = {language: {e.key for e in catalog(language)[1]} for language in LANGUAGES}
    reference = keys["de"]
    for language, found in keys.items():
        assert found == reference, f"{language} differs: run makemessages for every language"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (xgettext)")
def test_every_source_string_is_in_the_catalogs(tmp_path, monkeypatch):
    """Extract the messages afresh, as makemessages does, into a copy of the package."""
    copy = tmp_path / "tryon"
    for path in PACKAGE_DIR.rglob("*"):
        relative = path.relative_to(PACKAGE_DIR)
        if path.suffix not in {".py", ".html", ".txt"} or "__pycache__" in relative.parts:
            continue
        if {"locale", "static", *NOT_EXTRACTED} & set(relative.parts[:-1]):
            continue
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy / relative)
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["de"], keep_pot=True, verbosity=0)
    _, extracted = read_po(copy / "locale" / "django.pot")
    assert len(extracted) > 250
    shipped = {e.key for e in catalog("de")[1]}
    missing = sorted(msgid for _, msgid in {e.key for e in extracted} - shipped)
    assert not missing, (
        "strings in the source but not in tryon/locale: run makemessages, translate, "
        f"compilemessages (docs/languages.md): {missing}"
    )


# -- the compiled .mo files --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_says_what_the_po_says(language):
    """The .mo is the .po compiled: a .po edited without compilemessages fails here."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"
    assert path.is_file(), f"{path} is missing: run compilemessages"
    with path.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    header, entries = catalog(language)
    assert compiled.info()["plural-forms"] == header_fields(header)["Plural-Forms"]
    stale = []
    for entry in entries:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr[0]:
                stale.append(entry.msgid)
            continue
        for n in range(30):
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            if got != entry.msgstr[compiled.plural(n)]:  # type: ignore[attr-defined]
                stale.append(entry.msgid)
                break
    assert not stale, f"{language}: the .mo differs from the .po, run compilemessages: {stale}"


TRY_IT_ON = {
    "de": "Anprobieren",
    "fr": "Essayer",
    "es": "Pruébatelo",
    "it": "Provalo",
    "nl": "Virtueel passen",
    "pl": "Przymierz",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_django_finds_the_catalog(language):
    with translation.override(language):
        assert translation.gettext("Try it on") == TRY_IT_ON[language]
        assert translation.gettext("Who should wear it?") != "Who should wear it?"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 godzinę"), (2, "2 godziny"), (5, "5 godzin"), (12, "12 godzin"), (22, "22 godziny")],
)
def test_polish_has_three_plural_forms(count, expected):
    with translation.override("pl"):
        text = translation.ngettext("%(count)d hour", "%(count)d hours", count)
        assert text % {"count": count} == expected


# -- what a shopper sees -----------------------------------------------------------------


def render_widget(garment: Any) -> str:
    request = RequestFactory().get("/products/1/")
    request.user = AnonymousUser()
    request.session = {}  # type: ignore[assignment]
    template = Template("{% load tryon %}{% tryon_widget garment %}")
    return template.render(Context({"request": request, "garment": garment}))


def widget_strings_in(html: str) -> dict[str, str]:
    found = re.search(r'<script id="tryon-strings" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_the_widget_speaks_german(garment, preset):
    with translation.override("de"), override_settings(TRYON={"SHOPPER_PHOTO_TTL": 2 * 3600}):
        html = render_widget(garment)
    for german in (
        ">Anprobieren</button>",
        "Anprobieren: Red tee",
        "Wer soll es tragen?",
        "Mein eigenes Foto",
        "nach 2 Stunden gelöscht",
        "Meine Anprobe erstellen",
        'aria-label="Schließen"',
    ):
        assert german in html
    for english in ("Try it on", "Who should wear it?", "Create my try-on", "deleted after"):
        assert english not in html
    strings = widget_strings_in(html)
    assert strings["statusRunning"] == "Ihre Anprobe wird erstellt…"
    assert strings["errorTooLarge"] == "Das Foto ist größer als %(size)s."


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_widget_is_translated_in_every_language(garment, language):
    with translation.override(language):
        html = render_widget(garment)
    assert f">{TRY_IT_ON[language]}</button>" in html
    assert "Try it on" not in html
    english = {"Waiting for the try-on to start…", "The try-on could not be generated."}
    assert not english & set(widget_strings_in(html).values())
