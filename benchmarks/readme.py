"""The README's benchmark table: the rows of ``benchmarks/RESULTS.md`` that have a goal.

The README quotes only measured figures, so its table is not written by hand: ``make bench``
(a full run) rewrites the block between the two markers from the table it has just written,
``python -m benchmarks --readme`` does the same from the ``RESULTS.md`` on disk, and
``tests/test_readme.py`` fails when the two disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks import ROOT

__all__ = ["BEGIN", "END", "README", "block", "goal_rows", "rewrite", "table"]

README = ROOT / "README.md"
BEGIN = "<!-- bench-table: generated from benchmarks/RESULTS.md by make bench -->"
END = "<!-- /bench-table -->"
_CELL = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _CELL.split(line.strip())[1:-1]]


def goal_rows(results: str) -> list[dict[str, str]]:
    """Each row of the results table whose ``result`` column says PASS, MISS or ERROR."""
    lines = results.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("| benchmark |")), None)
    if header is None:
        raise ValueError("no results table (a line starting '| benchmark |') in RESULTS.md")
    names = _cells(lines[header])
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        row = dict(zip(names, _cells(line), strict=True))
        if row.get("result"):
            rows.append(row)
    return rows


def table(results: str) -> str:
    """The README's Markdown table: what was measured against which goal, and the verdict."""
    lines = [
        "| benchmark | measured (min / median / max of rounds, or one figure) | goal | result |",
        "|---|---|---|---|",
    ]
    for row in goal_rows(results):
        measured = row["ratio"] or row["measured"]
        what = f"{row['benchmark']}: {row['subject']}"
        lines.append(f"| {what} | {measured} | {row['goal']} | **{row['result']}** |")
    return "\n".join(lines)


def block(readme: str) -> str:
    """The text between the markers in ``readme`` (without the markers)."""
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README has no benchmark block: add {BEGIN!r} and {END!r}")
    return readme.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def rewrite(results: str, readme: Path = README) -> bool:
    """Put ``table(results)`` between the markers of ``readme``; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    old = block(text)
    new = table(results)
    if old == new:
        return False
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(f"{head}{BEGIN}\n{new}\n{END}{tail}", encoding="utf-8")
    return True
