"""The package's shape: stages of the data flow import each other without cycles, and no
stage reaches into another one's private (underscore) modules or names.

The import graph is built from the source (``ast``), every ``import`` counted wherever it
sits (a function-level import is still a dependency), except those under
``if TYPE_CHECKING:``, which exist for annotations only.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "harness"
STAGES = (  # the subpackages in import order: each imports only those before it
    "vocab",
    "scenario",
    "dialects",
    "transport",
    "drivers",
    "checks",
    "cassettes",
    "run",
    "matrix",
    "report",
    "fuzz",
    "plugin",
    "cli",
)
"""The order docs/architecture.md lists the stages in (harness/__init__.py is the root)."""

ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()
"""(importing module, imported module, name) pairs tolerated for now."""


@dataclass(frozen=True)
class Import:
    importer: str
    module: str
    name: str | None
    line: int

    def __str__(self) -> str:
        what = f"{self.module}.{self.name}" if self.name else self.module
        return f"{self.importer}:{self.line} imports {what}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        named = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        if named:
            for statement in node.body:
                skipped.update(id(n) for n in ast.walk(statement))
    return skipped


def imports_of(path: Path) -> Iterator[Import]:
    """Every import of a harness module in ``path``, made absolute."""
    importer = module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), importer, package)


def imports_in(source: str, importer: str, package: str) -> Iterator[Import]:
    """Every import of a harness module in ``source`` (module ``importer`` of ``package``)."""
    tree = ast.parse(source)
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "harness":
                    yield Import(importer, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] == "harness":
                for alias in node.names:
                    yield Import(importer, module, alias.name, node.lineno)


def all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in imports_of(path)]


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def stage_graph(imports: list[Import]) -> dict[str, dict[str, list[Import]]]:
    """stage -> stage it imports -> the imports that make the edge."""
    graph: dict[str, dict[str, list[Import]]] = {s: {} for s in STAGES}
    for imp in imports:
        source, target = stage_of(imp.importer), stage_of(imp.module)
        if source and target and source != target:
            graph[source].setdefault(target, []).append(imp)
    return graph


def find_cycle(graph: dict[str, dict[str, list[Import]]]) -> list[str] | None:
    """One cycle of stages (first stage repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(stage: str) -> list[str] | None:
        state[stage] = 1
        path.append(stage)
        for target in sorted(graph[stage]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[stage] = 2
        return None

    for stage in STAGES:
        if stage not in state and (found := visit(stage)) is not None:
            return found
    return None


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def private_reaches(imports: list[Import]) -> list[Import]:
    """Imports of another subpackage's underscore module or name."""
    found = []
    for imp in imports:
        if imp.importer.split(".")[:2] == imp.module.split(".")[:2]:
            continue  # within one subpackage (or the package root importing itself)
        names = [*imp.module.split(".")[1:], *([imp.name] if imp.name else [])]
        if any(_private(n) for n in names) and (imp.importer, imp.module, imp.name) not in (
            ALLOWED_PRIVATE
        ):
            found.append(imp)
    return found


def test_no_cycle_between_stages() -> None:
    graph = stage_graph(all_imports())
    cycle = find_cycle(graph)
    if cycle is not None:
        edges = [
            f"  {a} -> {b}: " + "; ".join(str(i) for i in graph[a][b][:3])
            for a, b in itertools.pairwise(cycle)
        ]
        pytest.fail("import cycle between stages: " + " -> ".join(cycle) + "\n" + "\n".join(edges))


def test_stages_import_only_the_stages_before_them() -> None:
    graph = stage_graph(all_imports())
    upward = [
        f"  {source} -> {target}: " + "; ".join(str(i) for i in imports[:2])
        for source, targets in graph.items()
        for target, imports in targets.items()
        if STAGES.index(target) > STAGES.index(source)
    ]
    assert not upward, "a stage imports a later one (reorder, or move the code):\n" + "\n".join(
        upward
    )


def test_the_documented_order_is_this_order() -> None:
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = [
        line.split("`")[1].rstrip("/") for line in text.splitlines() if line.startswith("| `")
    ]
    assert [s for s in documented if s in STAGES] == list(STAGES)


def test_no_private_imports_across_stages() -> None:
    found = private_reaches(all_imports())
    assert not found, "private names imported from another subpackage:\n" + "\n".join(
        f"  {i}" for i in found
    )


def test_allowlist_is_still_needed() -> None:
    imports = {(i.importer, i.module, i.name) for i in all_imports()}
    stale = ALLOWED_PRIVATE - imports
    assert not stale, f"no longer imported: drop from ALLOWED_PRIVATE: {sorted(stale)}"


def test_the_graph_sees_what_it_must() -> None:
    """The walker is not blind: function-level imports count, TYPE_CHECKING ones do not,
    relative imports resolve, and a planted cycle and private reach are reported."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from harness.b.x import y\n"
        "from . import _z\n"
        "if TYPE_CHECKING:\n    from harness.c import C\n"
        "def f():\n    import harness.d._e\n"
    )
    imports = list(imports_in(source, "harness.a.m", "harness.a"))
    assert [(i.module, i.name) for i in imports] == [
        ("harness.b.x", "y"),
        ("harness.a", "_z"),
        ("harness.d._e", None),
    ]
    planted = [
        Import("harness.run.x", "harness.checks.y", "Z", 1),
        Import("harness.checks.y", "harness.run.x", "Run", 2),
    ]
    graph = {s: {} for s in STAGES} | {
        "run": {"checks": planted[:1]},
        "checks": {"run": planted[1:]},
    }
    assert find_cycle(graph) in (["run", "checks", "run"], ["checks", "run", "checks"])
    assert private_reaches([Import("harness.plugin.x", "harness.drivers._common", "A", 3)])
    assert private_reaches([Import("harness.plugin.x", "harness.drivers.base", "_a", 3)])
    assert not private_reaches([Import("harness.drivers.x", "harness.drivers._common", "A", 3)])
