"""Every matrix report that goes to a file, written by one function for the command line
(``harness matrix --json/--junit/--markdown/--html/--doc``) and the pytest plugin
(``--harness-report``): :func:`write`.

Imports only the standard library until a report is rendered, so the plugin can parse its
options with it at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from harness.matrix.run import Matrix

__all__ = ["SUFFIXES", "ReportFormat", "Target", "render", "write"]

ReportFormat = Literal["json", "junit", "md", "html", "doc"]
"""JSON (the schema ``report``), JUnit XML, Markdown for CI summaries, the self-contained HTML
page, and the repository's ``docs/matrix.md``."""

SUFFIXES: dict[str, ReportFormat] = {
    ".json": "json",
    ".xml": "junit",
    ".md": "md",
    ".markdown": "md",
}
"""The format a report path's suffix names, where one does."""


class Target(NamedTuple):
    """One report to write: its format and its file."""

    format: ReportFormat
    path: Path


def render(m: Matrix, format: ReportFormat) -> str:
    """The report's text: the same bytes whichever front end asked for it."""
    if format == "html":
        from harness.report.html import to_html

        return to_html(m)
    if format == "doc":
        from harness.matrix.verdict import verdict
        from harness.report.matrix_doc import render_matrix_doc

        return render_matrix_doc(m, [verdict(m.cells, d) for d in m.drivers])
    from harness.report import writers

    return {"json": writers.to_json, "junit": writers.to_junit, "md": writers.to_markdown}[format](
        m
    )


def write(m: Matrix, targets: Iterable[Target]) -> list[Target]:
    """Write each target, in the order given, creating its folder; returns those written."""
    written = []
    for target in targets:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        target.path.write_text(render(m, target.format), encoding="utf-8")
        written.append(target)
    return written
