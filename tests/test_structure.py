"""The package's shape: imports run one way, modules stay small, one module writes status.

Read from the source with ``ast``, so an import inside a function counts like any other:
it only hides a cycle from Python until the day the function runs first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tryon"
MAX_LINES = 400
# The one module that changes a TryOn's status (see its docstring).
STATE_MODULE = "tryon.state"


# -- reading the package ----------------------------------------------------------------


def package_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file for every module of the package at ``root``, migrations aside."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, wherever the import statement is."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        candidates: list[str] = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b.c` runs a, a.b and a.b.c.
                dotted = alias.name.split(".")
                candidates += [".".join(dotted[: i + 1]) for i in range(len(dotted))]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            candidates.append(base)
            # `from . import jobs` imports the module tryon.jobs.
            candidates += [f"{base}.{alias.name}" for alias in node.names]
        for candidate in candidates:
            # A module's own packages run before it anyway: not a dependency that cycles.
            if candidate in modules and candidate != name and not name.startswith(candidate + "."):
                found.add(candidate)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = package_modules(root)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def oversized_modules(root: Path) -> list[str]:
    return [
        f"{name}: {length} lines"
        for name, path in package_modules(root).items()
        if (length := len(path.read_text().splitlines())) > MAX_LINES
    ]


# -- status writes ----------------------------------------------------------------------

# Calls whose `status=` argument reads (a filter), not writes.
_READS = {"filter", "exclude", "get", "Q", "Response", "values", "values_list", "order_by"}


def _is_status_value(node: ast.AST) -> bool:
    """An expression naming a TryOn status: ``TryOnStatus.X`` or ``TryOn.Status.X``."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and inner.id == "TryOnStatus":
            return True
        if isinstance(inner, ast.Attribute) and inner.attr in ("TryOnStatus", "Status"):
            return True
    return False


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def status_writes(source: str) -> Iterator[int]:
    """Line numbers where ``source`` sets a status: ``.update(status=...)``, a row built
    with one, ``obj.status = ...``, ``{"status": ...}`` or ``setattr(obj, "status", ...)``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            if _call_name(node) in _READS:
                continue
            if any(kw.arg == "status" and _is_status_value(kw.value) for kw in node.keywords):
                yield node.lineno
            if _call_name(node) == "setattr" and len(node.args) == 3:
                attribute = node.args[1]
                if isinstance(attribute, ast.Constant) and attribute.value == "status":
                    yield node.lineno
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets) and (
                node.value is not None and _is_status_value(node.value)
            ):
                yield node.lineno
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "status":
                    if _is_status_value(value):
                        yield node.lineno


# -- the package ------------------------------------------------------------------------


def test_no_import_cycles_in_the_package() -> None:
    assert import_cycles(import_graph(PACKAGE)) == []


def test_no_module_over_400_lines() -> None:
    assert oversized_modules(PACKAGE) == []


def test_only_the_state_module_writes_a_tryon_status() -> None:
    modules = package_modules(PACKAGE)
    assert STATE_MODULE in modules
    writes = [
        f"{name}:{line}"
        for name, path in modules.items()
        if name != STATE_MODULE
        for line in status_writes(path.read_text())
    ]
    assert writes == []
    assert list(status_writes(modules[STATE_MODULE].read_text())), "the checker finds none"


# -- the checkers themselves ------------------------------------------------------------


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "jobs.py": "def requeue():\n    from .services import enqueue\n",
            "services.py": "from . import tasks\n",
            "tasks.py": "from .jobs import run\n",
            "api/__init__.py": "from . import views\n",
            "api/views.py": "from .. import jobs\nfrom . import schema\n",
            "api/schema.py": "import pkg.api\n",  # its own package: not a cycle
        },
    )
    assert import_cycles(import_graph(package)) == [["pkg.jobs", "pkg.services", "pkg.tasks"]]


def test_relative_imports_resolve_from_packages_and_modules(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "models.py": "",
            "api/__init__.py": "from .urls import patterns\n",
            "api/urls.py": "from ..models import X\nfrom . import views\n",
            "api/views.py": "from pkg import models\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.api"] == {"pkg.api.urls"}
    assert graph["pkg.api.urls"] == {"pkg.models", "pkg.api.views"}
    assert graph["pkg.api.views"] == {"pkg.models"}
    assert import_cycles(graph) == []


def test_a_long_module_is_found(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {"__init__.py": "", "long.py": "x = 1\n" * 401, "ok.py": "x = 1\n" * 400},
    )
    (package / "migrations").mkdir()
    (package / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900)
    assert oversized_modules(package) == ["pkg.long: 401 lines"]


@pytest.mark.parametrize(
    "source",
    [
        "TryOn.objects.filter(pk=1).update(status=TryOnStatus.FAILED)",
        "TryOn.objects.create(garment=g, status=TryOn.Status.SUCCEEDED)",
        "tryon.status = TryOnStatus.RUNNING",
        'rows.update(**{"status": TryOnStatus.PENDING})',
        'setattr(tryon, "status", value)',
    ],
)
def test_status_writes_are_found(source: str) -> None:
    assert list(status_writes(source)) == [1]


@pytest.mark.parametrize(
    "source",
    [
        "TryOn.objects.filter(status=TryOnStatus.FAILED).count()",
        "rows.exclude(status=TryOnStatus.SUCCEEDED)",
        "Response(data, status=code)",
        "request.status = 200",
        'fields = ["status", "source"]',
    ],
)
def test_status_reads_are_not_writes(source: str) -> None:
    assert list(status_writes(source)) == []
