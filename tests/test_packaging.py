"""The built wheel and sdist carry everything the app needs at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_IN_PACKAGE = [
    "tryon/py.typed",
    "tryon/migrations/0001_initial.py",
    "tryon/templates/tryon/",
    "tryon/static/tryon/",
]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the checkout's files (tracked, or new and not ignored): tests
    # running beside this one write __pycache__ files into the checkout, and a file that
    # vanishes while setuptools walks the tree fails the build.
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return out


def test_wheel_contains_templates_static_and_migrations(dist: Path) -> None:
    [wheel] = dist.glob("django_tryon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for required in REQUIRED_IN_PACKAGE:
        assert any(name.startswith(required) for name in names), required
    assert not any(name.startswith(("tests/", "example_project/")) for name in names)


def test_sdist_contains_templates_static_and_migrations(dist: Path) -> None:
    [sdist] = dist.glob("django_tryon-*.tar.gz")
    names = tarfile.open(sdist).getnames()
    for required in REQUIRED_IN_PACKAGE:
        assert any(f"/{required}" in name for name in names), required


def test_subprocesses_import_the_same_tryon_as_the_tests() -> None:
    """Workers and the example shop test the same code as the suite: under nox the wheel."""
    import os

    import tryon
    from tests.processes import python_path, tests_against_the_wheel

    example = ROOT / "example_project"
    env = {**os.environ, "PYTHONPATH": python_path(example)}
    code = "import tests, tryon; print(tryon.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=example, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    imported = Path(done.stdout.strip()).resolve()
    assert imported == Path(tryon.__file__).resolve()
    assert ("site-packages" in imported.parts) is tests_against_the_wheel()
