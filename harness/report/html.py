"""The matrix as one self-contained HTML page: the table, and each cell's findings and
transcript on click.

Everything is inline (CSS, a few lines of JS, no fonts or images), so the file can be
attached to a CI run and opened anywhere, offline. The page is rendered on the server side:
without JavaScript it is still the full table with every cell's details below it. A cell's
details open on click, and on load when the address ends with ``#cell=DRIVER::SCENARIO``,
so a link can point at one cell (and a headless browser can open one for a test).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from harness.matrix.run import Matrix
from harness.run.cell import Cell
from harness.vocab.events import Transcript
from harness.vocab.findings import Finding

__all__ = ["to_html"]

_MARK = {"pass": "✓ pass", "fail": "✗ FAIL", "n/a": "– n/a", "error": "! ERROR"}

_CSS = """
:root { --pass:#1a7f37; --fail:#cf222e; --na:#6e7781; --error:#bc4c00; --line:#d0d7de;
  --bg:#ffffff; --soft:#f6f8fa; --text:#1f2328; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--text);
  background: var(--bg); margin: 0; padding: 24px 32px 64px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; text-transform: uppercase; letter-spacing: .04em;
  color: #57606a; }
.summary { color: #57606a; margin: 0 0 16px; }
.verdicts { display: flex; gap: 12px; flex-wrap: wrap; margin: 0 0 16px; padding: 0; }
.verdicts li { list-style: none; border: 1px solid var(--line); border-radius: 6px;
  padding: 6px 10px; background: var(--soft); }
.verdicts b.PASS { color: var(--pass); } .verdicts b.FAIL { color: var(--fail); }
.verdicts b.WARN { color: var(--error); }
label.filter { display: inline-block; margin: 0 0 12px; user-select: none; }
table.matrix { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid var(--line); padding: 0; }
table.matrix thead th { background: var(--soft); padding: 6px 10px; font-weight: 600;
  position: sticky; top: 0; }
table.matrix tbody th { text-align: left; padding: 4px 10px; font-weight: 500;
  white-space: nowrap; position: sticky; left: 0; background: var(--bg); z-index: 1;
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
table.matrix button { all: unset; display: block; cursor: pointer; padding: 4px 10px;
  min-width: 110px; font-size: 13px; }
table.matrix button:focus-visible { outline: 2px solid #0969da; outline-offset: -2px; }
table.matrix button small { display: block; color: #57606a; font-size: 11px; font-weight: 400;
  max-width: 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.pass { background: #dafbe1; } td.pass button { color: var(--pass); }
td.fail { background: #ffebe9; } td.fail button { color: var(--fail); font-weight: 600; }
td.na { background: #f6f8fa; } td.na button { color: var(--na); }
td.error { background: #fff1e5; } td.error button { color: var(--error); font-weight: 600; }
td.selected { box-shadow: inset 0 0 0 3px #0969da; }
body.failures-only tr.all-pass { display: none; }
.detail { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin: 20px 0; max-width: 1100px; background: var(--bg); }
.detail[hidden] { display: none; }
.js .detail:not(.open) { display: none; }
.js .detail.open { position: fixed; top: 0; right: 0; bottom: 0; width: min(680px, 58vw);
  margin: 0; border-radius: 0; border-width: 0 0 0 1px; overflow-y: auto;
  box-shadow: -8px 0 24px rgba(31, 35, 40, .15); z-index: 2; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; color: #fff;
  font-size: 12px; vertical-align: middle; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.na { background: var(--na); } .badge.error { background: var(--error); }
.finding { border-left: 4px solid var(--fail); background: #fff8f7; padding: 8px 12px;
  margin: 8px 0; }
.finding.warning { border-color: var(--error); background: #fff8f0; }
.finding code.code { font-weight: 700; }
.finding .advice { color: #57606a; margin-top: 4px; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { background: var(--soft); padding: 8px 10px; border-radius: 6px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
table.events { border-collapse: collapse; width: 100%; }
table.events td { border-top: 1px solid var(--line); padding: 3px 8px; vertical-align: top; }
table.events td:first-child { width: 90px; font-weight: 600; }
.muted { color: #57606a; }
button.close { float: right; cursor: pointer; border: 1px solid var(--line);
  background: var(--soft); border-radius: 6px; padding: 2px 10px; }
.scroll { overflow-x: auto; max-width: 100%; }
figure.timeline { margin: 4px 0 8px; }
svg.timeline { display: block; width: 100%; max-width: 640px; height: auto;
  font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
svg.timeline .lane, svg.timeline .tick { fill: #57606a; } svg.timeline .span { font-size: 11px; }
svg.timeline .rail { stroke: var(--line); stroke-width: 1; }
svg.timeline .asked { fill: #fff8c5; stroke: #d4a72c; stroke-width: 1; }
svg.timeline .asked-label { fill: #7d4e00; }
svg.timeline .bodybar { stroke: #b6e3ff; stroke-width: 10; stroke-linecap: butt; }
ol.marks { list-style: none; padding: 0; margin: 4px 0;
  font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
ol.marks li { display: grid; grid-template-columns: 6.5em minmax(0, 1fr); padding: 1px 0;
  overflow-wrap: anywhere; }
ol.marks .at { color: #57606a; }
ol.marks .ok { color: var(--pass); } ol.marks .bad { color: var(--fail); font-weight: 600; }
ol.marks .warn { color: var(--error); font-weight: 600; }
table.events code { overflow-wrap: anywhere; }
@media (max-width: 720px) {
  body { padding: 12px 12px 48px; }
  .js .detail.open { width: 100vw; }
}
"""

_JS = """
(function () {
  document.documentElement.classList.add("js");
  var current = null;
  function open(key) {
    var panel = document.querySelector('.detail[data-key="' + CSS.escape(key) + '"]');
    if (!panel) return;
    if (current) {
      current.classList.remove("open");
      var old = document.querySelector('td[data-key="' + CSS.escape(current.dataset.key) + '"]');
      if (old) old.classList.remove("selected");
    }
    panel.classList.add("open");
    var cell = document.querySelector('td[data-key="' + CSS.escape(key) + '"]');
    if (cell) cell.classList.add("selected");
    current = panel;
    document.body.dataset.open = key;
    panel.scrollTop = 0;
  }
  function close() {
    if (!current) return;
    var cell = document.querySelector('td[data-key="' + CSS.escape(current.dataset.key) + '"]');
    if (cell) cell.classList.remove("selected");
    current.classList.remove("open");
    current = null;
    delete document.body.dataset.open;
    history.replaceState(null, "", location.pathname + location.search);
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("td[data-key] button");
    if (button) {
      var key = button.parentElement.dataset.key;
      history.replaceState(null, "", "#cell=" + encodeURIComponent(key));
      open(key);
    } else if (e.target.closest("button.close")) {
      close();
    }
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  var only = document.getElementById("failures-only");
  only.addEventListener("change", function () {
    document.body.classList.toggle("failures-only", only.checked);
  });
  var match = /^#cell=(.+)$/.exec(location.hash);
  if (match) open(decodeURIComponent(match[1]));
})();
"""


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
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{_JS}</script>\n</body>\n</html>\n"
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
