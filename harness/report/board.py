"""The board: a matrix's findings grouped by the library they were found in (with its
version), each with its impact (:mod:`harness.checks.impact`), the cells it appears in and
the command that writes its standalone reproducer and bug report (``harness repro``).
A section of ``docs/matrix.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from harness.checks.catalogue import CATALOGUE
from harness.checks.impact import IMPACT_MEANING, impact_of
from harness.run.cell import Cell

__all__ = ["board_lines", "library_of", "reproducible"]

_HARNESS_DISTS = ("llm-adapter-harness", "harness")
_IMPACT_ORDER = {name: n for n, name in enumerate(IMPACT_MEANING)}


def library_of(cell: Cell) -> tuple[str, str]:
    """(library, version) a cell ran: its driver's first distribution (the adapter under
    test, as drivers list them), or the driver's name when its cells record none."""
    versions = cell.transcript.versions if cell.transcript is not None else {}
    for dist, version in versions.items():
        if dist not in _HARNESS_DISTS:
            return dist, version
    return cell.driver, ""


def reproducible(driver: str) -> bool:
    """Whether ``harness repro`` can write this driver's cells (its class has a recipe)."""
    from harness.drivers.base import get_driver

    try:
        return callable(getattr(get_driver(driver), "repro", None))
    except Exception:  # a driver this install cannot load: no command to offer
        return False


@dataclass
class _Finding:
    code: str
    cells: list[Cell] = field(default_factory=list)


def board_lines(
    cells: Iterable[Cell], can_repro: Callable[[str], bool] = reproducible
) -> list[str]:
    """The "Findings by library" section: one heading per library and version, one table
    row per finding code, its cells and a reproducer command."""
    can_repro = functools.cache(can_repro)  # one driver lookup each
    failing = [c for c in cells if c.status == "fail"]
    libraries: dict[tuple[str, str], dict[str, _Finding]] = {}
    for cell in failing:
        found = libraries.setdefault(library_of(cell), {})
        for code in cell.codes():
            found.setdefault(code, _Finding(code)).cells.append(cell)
    lines = [
        "## Findings by library",
        "",
        "Each finding of a failing cell, under the library it was found in. Impact: "
        + "; ".join(f"**{name}**: {meaning}" for name, meaning in IMPACT_MEANING.items())
        + ". `harness repro --driver NAME --scenario ID` writes a reproducer that needs only "
        "the library (not harness) and fails with the finding's message, and a bug report "
        "for the library's tracker (`--all-failing` for every failing cell of a driver).",
    ]
    if not libraries:
        return [*lines, "", "No findings."]
    for (library, version), found in sorted(libraries.items()):
        drivers = sorted({c.driver for f in found.values() for c in f.cells})
        lines += [
            "",
            f"### {library} {version}".rstrip(),
            "",
            "Drivers: " + ", ".join(f"`{d}`" for d in drivers),
            "",
            "| finding | impact | cells | reproduce |",
            "|---|---|---|---|",
        ]
        for f in sorted(found.values(), key=_rank):
            lines.append(_row(f, can_repro))
    return lines


def _rank(f: _Finding) -> tuple[int, str]:
    impact = impact_of(f.code)
    return (_IMPACT_ORDER.get(impact, len(_IMPACT_ORDER)) if impact else 99, f.code)


def _row(f: _Finding, can_repro: Callable[[str], bool]) -> str:
    entry = CATALOGUE.get(f.code)
    title = f" {entry.title}" if entry is not None else ""
    by_driver: dict[str, list[str]] = {}
    for c in f.cells:
        by_driver.setdefault(c.driver, []).append(c.scenario)
    where = "; ".join(
        f"`{d}`: " + ", ".join(f"`{s}`" for s in sorted(scenarios))
        for d, scenarios in sorted(by_driver.items())
    )
    ordered = sorted(f.cells, key=lambda c: (c.driver, c.scenario))
    able = [c for c in ordered if can_repro(c.driver)]
    first = (able or ordered)[0]
    command = (
        f"`harness repro --driver {first.driver} --scenario {first.scenario}`"
        if able
        else f"`harness run {first.scenario} --driver {first.driver}`"
    )
    name = f"[`{f.code}`](findings.md#{f.code}){title}"
    return f"| {_escape(name)} | {impact_of(f.code) or ''} | {where} | {command} |"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
