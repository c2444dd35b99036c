"""The matrix as one self-contained HTML page: the table, and each cell's findings and
transcript on click.

Everything is inline (the CSS and the few lines of JS of :mod:`harness.report.static`, no
fonts or images), so the file can be attached to a CI run and opened anywhere, offline. The
page is rendered on the server side: without JavaScript it is still the full table with
every cell's details below it. A cell's details open on click, and on load when the
address ends with ``#cell=DRIVER::SCENARIO``, so a link can point at one cell (and a
headless browser can open one for a test).
"""

from __future__ import annotations

import json
from html import escape
from importlib.resources import files
from typing import Any

from harness.matrix.run import Matrix
from harness.run.cell import Cell
from harness.vocab.events import Transcript
from harness.vocab.findings import Finding

__all__ = ["to_html"]

_MARK = {"pass": "✓ pass", "fail": "✗ FAIL", "n/a": "– n/a", "error": "! ERROR"}


def _asset(name: str) -> str:
    """A file of :mod:`harness.report.static` (package data), as the page inlines it."""
    return "\n" + files("harness.report.static").joinpath(name).read_text(encoding="utf-8")


def to_html(m: Matrix, *, title: str = "harness conformance") -> str:
    """The whole page; deterministic for the same matrix (no timestamps)."""
    counts = m.counts()
    head = (
        f"{len(m.cells)} cells: {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['n/a']} n/a, {counts['error']} error in {m.wall_seconds:.1f} s"
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="summary" id="summary">{escape(head)}</p>',
        _verdicts(m),
        '<label class="filter"><input type="checkbox" id="failures-only"> '
        "only rows with a failure</label>",
        f'<div class="scroll">{_table(m)}</div>',
        '<p class="muted">Click a cell for its findings and transcript.</p>',
        *(_detail(c) for c in m.cells),
    ]
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_asset('report.css')}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{_asset('report.js')}</script>\n</body>\n</html>\n"
    )


def _verdicts(m: Matrix) -> str:
    from harness.matrix.verdict import verdict

    items = []
    for d in m.drivers:
        v = verdict(m.cells, d)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(v.counts.items()))
        items.append(
            f'<li><code>{escape(d)}</code> <b class="{v.outcome}">{v.outcome}</b> '
            f'<span class="muted">({escape(counts)})</span></li>'
        )
    return f'<ul class="verdicts">{"".join(items)}</ul>'


def _table(m: Matrix) -> str:
    head = "".join(f'<th scope="col">{escape(d)}</th>' for d in m.drivers)
    rows = []
    for s in m.scenarios:
        cells = [m.cell(d, s) for d in m.drivers]
        good = all(c is None or c.status in ("pass", "n/a") for c in cells)
        tds = "".join(_td(c) for c in cells)
        rows.append(
            f'<tr class="{"all-pass" if good else "has-failure"}">'
            f'<th scope="row">{escape(s)}</th>{tds}</tr>'
        )
    return (
        f'<table class="matrix" id="matrix"><thead><tr><th>scenario</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _css_status(cell: Cell) -> str:
    return "na" if cell.status == "n/a" else cell.status


def _td(cell: Cell | None) -> str:
    if cell is None:
        return "<td></td>"
    hint = {"fail": ", ".join(cell.codes()), "error": cell.reason}.get(cell.status, "")
    small = f"<small>{escape(hint)}</small>" if hint else ""
    return (
        f'<td class="{_css_status(cell)}" data-key="{escape(cell.key)}">'
        f'<button type="button" title="{escape(cell.reason)}">{_MARK[cell.status]}{small}'
        "</button></td>"
    )


def _detail(cell: Cell) -> str:
    status = _css_status(cell)
    parts = [
        f'<section class="detail" data-key="{escape(cell.key)}" id="{escape(_anchor(cell))}">',
        '<button type="button" class="close" title="close (Esc)">close</button>',
        f"<h2><code>{escape(cell.driver)}</code> × <code>{escape(cell.scenario)}</code> "
        f'<span class="badge {status}">{escape(cell.status)}</span></h2>',
        f'<div class="muted">dialect {escape(cell.dialect or "-")} · '
        f"{escape(cell.source.splitlines()[0] if cell.source else '')}</div>",
    ]
    if cell.reason and cell.status in ("n/a", "error"):
        parts.append(f"<pre>{escape(cell.reason)}</pre>")
    if cell.status == "error" and "\n" in cell.source:
        parts.append(f"<pre>{escape(cell.source)}</pre>")
    if cell.findings:
        parts.append("<h3>Findings</h3>")
        parts += [_finding(f) for f in cell.findings]
    if cell.checks:
        checks = " · ".join(f"{'✓' if c.passed else '✗'} {escape(c.name)}" for c in cell.checks)
        parts.append(f'<h3>Checks</h3><div class="muted">{checks}</div>')
    if cell.transcript is not None:
        parts.append(_timeline(cell.transcript))
        parts.append(_transcript(cell.transcript))
    parts.append("</section>")
    return "\n".join(parts)


def _anchor(cell: Cell) -> str:
    return "cell-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in cell.key)


def _finding(f: Finding) -> str:
    from harness.checks.catalogue import CATALOGUE

    entry = CATALOGUE.get(f.code)
    lines = [
        f'<div class="finding {escape(f.severity)}">',
        f'<code class="code">{escape(f.code)}</code> {escape(f.message)}',
    ]
    if f.expected is not None or f.actual is not None:
        lines.append(
            f"<pre>expected: {escape(_json(f.expected))}\nactual:   {escape(_json(f.actual))}</pre>"
        )
    if f.where:
        lines.append(f'<div class="muted">where: {escape(f.where)}</div>')
    if entry is not None:
        lines.append(f'<div class="advice"><b>Fix:</b> {escape(entry.advice)}</div>')
    lines.append("</div>")
    return "\n".join(lines)


def _timeline(t: Transcript) -> str:
    """The SVG picture, then the same marks as text (for reading, searching, screen readers)."""
    from harness.report.timeline import render_svg, rows, timeline

    marks = rows(timeline(t))
    if not marks:
        return ""
    until = ' <span class="muted">until {:.3f} s</span>'
    items = "".join(
        f'<li class="{m.kind}"><span class="at">{m.at:.3f} s</span> '
        f'<span><span class="{m.tone}">{escape(m.label)}</span>'
        f"{until.format(m.until) if m.until is not None else ''}</span></li>"
        for m in marks
    )
    return (
        "<h3>Timeline</h3>"
        f'<figure class="timeline">{render_svg(t)}</figure>'
        f'<ol class="marks">{items}</ol>'
    )


def _transcript(t: Transcript) -> str:
    rows = [
        f"<tr><td>{escape(e.kind)}</td><td><code>"
        f"{escape(_json(e.model_dump(mode='json', exclude={'kind'}, exclude_none=True)))}"
        "</code></td></tr>"
        for e in t.events
    ]
    requests = [
        f"<tr><td>t={r.at - t.requests[0].at:.3f}s</td>"
        f"<td><code>{escape(r.method)} {escape(r.path)}</code>"
        f"{'' if r.exchange is not None else ' <b>(not in the script)</b>'}</td></tr>"
        for r in t.requests
    ]
    versions = ", ".join(f"{k} {v}" for k, v in sorted(t.versions.items()))
    return (
        f"<h3>Transcript</h3>"
        f'<div class="muted">{t.virtual_seconds:.3f} s virtual, {t.wall_seconds:.3f} s wall'
        f"{' · ' + escape(versions) if versions else ''}</div>"
        f'<table class="events">{"".join(rows) or "<tr><td>(no events)</td></tr>"}</table>'
        f"<h3>Requests</h3>"
        f'<table class="events">{"".join(requests) or "<tr><td>(none)</td></tr>"}</table>'
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
