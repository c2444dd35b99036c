"""The terminal summary of a matrix: one block per driver that fits a 100-column screen.

The full scenario x driver table is hundreds of columns wide with a dozen drivers; it
belongs in the Markdown and HTML reports (or ``harness matrix --table``). What a person
needs in the terminal is, per driver, how many cells passed and failed and which scenarios
failed with which root finding, grouped by that finding so one cause takes one line.
Failures the baseline already knows are folded into one line per driver, so a warm run with
a baseline fits one screen and what changed stands out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from harness.matrix.run import Matrix
from harness.run.cell import Cell

__all__ = ["WIDTH", "root_code", "summarize"]

WIDTH = 100
"""Columns the summary fits in, whatever the terminal (CI logs are read in a browser)."""


@dataclass(frozen=True)
class _Group:
    code: str
    scenarios: list[str]


def root_code(cell: Cell) -> str:
    """The finding a failing cell is listed under: its first error finding (checks report the
    root cause first), else its first finding; an ``error`` cell is listed as ``error``."""
    if cell.status == "error":
        return "error"
    errors = [f for f in cell.findings if f.severity == "error"]
    found = errors or cell.findings
    if found:
        return found[0].code
    return cell.reason.partition(":")[0] or cell.status


def summarize(
    m: Matrix,
    *,
    width: int = WIDTH,
    known: Collection[str] = (),
) -> str:
    """Per driver: counts, then its failing scenarios grouped by root finding.

    ``known`` holds the keys (``driver::scenario``) of failing cells the baseline already
    records as they are: they are counted on one line per driver instead of listed, so new
    failures stand out.
    """
    from harness.matrix.verdict import verdict

    name_width = min(max([len(d) for d in m.drivers] + [6]), width // 3)
    head = f"{'driver'.ljust(name_width)}  {'pass':>4} {'fail':>4} {'n/a':>4} {'error':>5}  verdict"
    lines = [head]
    for driver in m.drivers:
        cells = [c for c in m.cells if c.driver == driver]
        counts = {s: sum(1 for c in cells if c.status == s) for s in ("pass", "fail", "n/a")}
        errors = sum(1 for c in cells if c.status == "error")
        lines.append(
            f"{_fit(driver, name_width).ljust(name_width)}  {counts['pass']:>4} "
            f"{counts['fail']:>4} {counts['n/a']:>4} {errors:>5}  {verdict(cells, driver).outcome}"
        )
        bad = [c for c in cells if c.status in ("fail", "error")]
        old = [c for c in bad if c.key in known]
        new = [c for c in bad if c not in old]
        for group in _groups(new):
            lines.append(_group_line(group, width))
        if old:
            codes = _groups(old)
            listed = ", ".join(f"{g.code} x{len(g.scenarios)}" for g in codes)
            lines.append(_fit(f"  known ({len(old)}, as in the baseline): {listed}", width))
    return "\n".join(lines)


def _groups(cells: list[Cell]) -> list[_Group]:
    by_code: dict[str, list[str]] = {}
    for c in cells:
        by_code.setdefault(root_code(c), []).append(c.scenario)
    ordered = sorted(by_code.items(), key=lambda item: (-len(item[1]), item[0]))
    return [_Group(code, scenarios) for code, scenarios in ordered]


def _group_line(group: _Group, width: int) -> str:
    """``  code (n): a, b, c +2 more``, as many scenario names as fit in ``width``."""
    head = f"  {group.code} ({len(group.scenarios)}): "
    shown: list[str] = []
    for i, name in enumerate(group.scenarios):
        rest = len(group.scenarios) - i - 1
        tail = f" +{rest} more" if rest else ""
        candidate = ", ".join([*shown, name])
        if len(head) + len(candidate) + len(tail) > width and shown:
            more = len(group.scenarios) - len(shown)
            return f"{head}{', '.join(shown)} +{more} more"
        shown.append(name)
    return _fit(head + ", ".join(shown), width)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
