"""The test matrix, lint, type checks and the docs build: `bin/test` runs all of it.

    nox                       everything (bin/test does this, after a bootstrap)
    nox -s lint mypy docs     some sessions
    nox -s "tests(py3.12-dj6)" -- -k dedup    one leg; arguments after -- go to pytest
    nox -s tests -- --full    every leg runs the whole suite, browser and worker tests too
    nox --install-only        create and fill the virtualenvs, run nothing (bin/test --setup-only)

The tests run against the built wheel, never the checkout: see `make_tests_importable`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
nox.options.reuse_venv = "yes"  # CI's whole run has a time budget: install once, reuse
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "mypy", "docs", "tests", "oscar"]

DJANGO = {"5.2": "Django>=5.2,<6.0", "6": "Django>=6.0,<7.0"}


def _add_pyenv_interpreters_to_path() -> None:
    """Let nox (and uv) find python3.11/3.12/3.13 when pyenv holds them but not the PATH."""
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
    else:  # pyenv installed but not on this shell's PATH (CI's environment, say)
        root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found = sorted(Path(root, "versions").glob("3.1[1-9]*/bin"), reverse=True)
    extra = [str(path) for path in found if str(path) not in os.environ["PATH"]]
    if extra:
        os.environ["PATH"] = os.pathsep.join([*extra, os.environ["PATH"]])


_add_pyenv_interpreters_to_path()
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")  # only the interpreters on this machine


class Leg:
    """One Python x Django combination of the matrix, and how much of the suite it runs."""

    def __init__(
        self, python: str, django: str, *, subset: list[str] | None = None, **flags: bool
    ) -> None:
        self.python, self.django = python, django
        self.subset = subset or []  # pytest's -m selection, unless --full
        self.coverage = flags.get("coverage", False)
        self.database_url = flags.get("database_url", False)  # else SQLite, whatever is set

    @property
    def id(self) -> str:
        return f"py{self.python}-dj{self.django}"


FAST_SUBSET = ["-m", "not browser and not worker"]
# Two processes (the machine's two CPUs): the browser tests one after another on one, the
# worker, chaos and build tests on the other (tests/conftest.py), the rest where there is room.
XDIST = ["-n", "2", "--dist", "loadgroup"]
# The browser tests serve the example shop on SQLite in every leg, so a second run of them
# would add only Django 6 to what they check: they run on the LTS leg, whose Python and
# Django most shops have. The PostgreSQL leg runs the rest of the suite, workers and chaos
# included; two more legs the fast subset, which is what differs between versions: every
# Python and both Djangos at least twice, the newest Python with each (CI's time budget).
LEGS = [
    Leg("3.11", "5.2", coverage=True),
    Leg("3.12", "6", subset=["-m", "not browser"], database_url=True),
    Leg("3.13", "5.2", subset=FAST_SUBSET),
    Leg("3.13", "6", subset=FAST_SUBSET),
]

_built_wheel: Path | None = None


def built_wheel(session: nox.Session) -> Path:
    """The project's wheel, built once per nox run into .nox/_wheel/."""
    global _built_wheel
    if _built_wheel is None:
        out = ROOT / ".nox" / "_wheel"
        shutil.rmtree(out, ignore_errors=True)
        # setuptools never cleans build/: a module since moved or deleted would ship again.
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        installer = ["--installer", "uv"] if shutil.which("uv") else []
        session.run_install(
            sys.executable, "-m", "build", "--wheel", *installer, "--outdir", str(out), str(ROOT),
            external=True, silent=True,
        )  # fmt: skip
        [_built_wheel] = out.glob("django_tryon-*.whl")
    return _built_wheel


def install_wheel(session: nox.Session, extras: str, *requirements: str) -> None:
    """Install the built wheel with its extras and deps, replacing any earlier build of it."""
    wheel = built_wheel(session)
    session.install(f"django-tryon[{extras}] @ {wheel.as_uri()}", *requirements)
    if session.venv_backend == "uv":
        session.install("--reinstall-package", "django-tryon", "--no-deps", str(wheel))
    else:
        session.install("--force-reinstall", "--no-deps", str(wheel))


def make_tests_importable(session: nox.Session) -> None:
    """Put the checkout at the *end* of sys.path, after site-packages.

    `tests` (and its settings) then import from the checkout while `tryon` comes from the
    installed wheel. Everything runs with PYTHONSAFEPATH=1 so the current directory is
    never put in front either.
    """
    purelib = session.run_install(
        "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", silent=True
    )
    assert isinstance(purelib, str)
    Path(purelib.strip(), "tryon_checkout_tests.pth").write_text(f"{ROOT}\n")


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    """Ruff: lint and format check (config in pyproject.toml)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def mypy(session: nox.Session) -> None:
    """mypy on tryon with the django-stubs plugin, on the oldest Python and Django."""
    session.install("-e", ".[test,backport]", DJANGO["5.2"])
    session.run("python", "-m", "mypy", "tryon")


@nox.session(python="3.12")
def docs(session: nox.Session) -> None:
    """Build the documentation site, every warning an error."""
    # ruff lets mkdocstrings format long signatures
    session.install(".[docs]", *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's banner about its future, not ours
    site = session.create_tmp()
    session.run("mkdocs", "build", "--strict", "--site-dir", str(Path(site, "site")))


@nox.session
@nox.parametrize(
    "python,leg", [nox.param(leg.python, leg, id=leg.id) for leg in LEGS]
)  # fmt: skip
def tests(session: nox.Session, leg: Leg) -> None:
    """pytest against the installed wheel, and the missing-migration guard."""
    extras = "test" if leg.django == "6" else "test,backport"
    install_wheel(session, extras, DJANGO[leg.django])
    make_tests_importable(session)

    session.env["PYTHONSAFEPATH"] = "1"
    session.env["TRYON_TEST_WHEEL"] = "1"  # tests/conftest.py checks where tryon comes from
    if not leg.database_url:
        session.env["DATABASE_URL"] = ""
    database = "DATABASE_URL" if os.environ.get("DATABASE_URL") and leg.database_url else "SQLite"
    session.log(f"{leg.id} on {database}")

    session.run(
        "python", "-m", "django", "makemigrations", "--check", "--dry-run",
        "--settings=tests.settings",
    )  # fmt: skip

    args = list(session.posargs)
    full = "--full" in args
    args = [arg for arg in args if arg != "--full"]
    pytest = [
        "pytest", "--import-mode=append", "-p", "no:cacheprovider", *XDIST,
        *([] if full else leg.subset), *args,
    ]  # fmt: skip
    if not leg.coverage:
        session.run("python", "-m", *pytest)
        return

    session.env["COVERAGE_FILE"] = str(ROOT / ".coverage")
    session.run("python", "-m", "coverage", "erase")
    # pytest-cov measures the xdist workers and combines their data, mapping the installed
    # tryon/ back to the checkout's ([tool.coverage.paths]), so the report names tryon/...
    session.run("python", "-m", *pytest, "--cov", "--cov-report=")
    # A narrowed run (pytest arguments given) reports without the floor.
    floor = [] if not args else ["--fail-under=0"]
    session.run("python", "-m", "coverage", "report", *floor)


@nox.session(python="3.11")
def oscar(session: nox.Session) -> None:
    """tryon.contrib.oscar against django-oscar 4.2 (its sandbox-style settings)."""
    install_wheel(session, "test,backport,oscar", DJANGO["5.2"])
    make_tests_importable(session)
    session.env["PYTHONSAFEPATH"] = "1"
    session.env["TRYON_TEST_WHEEL"] = "1"
    session.env["DATABASE_URL"] = ""
    session.run(
        "python", "-m", "pytest", "--import-mode=append", "-p", "no:cacheprovider",
        "--ds=tests.oscar.settings", "tests/oscar", *session.posargs,
    )  # fmt: skip
