"""Reports of a version sweep (:mod:`harness.matrix.sweep`): the terminal text, Markdown for
an issue or a CI summary, JSON, and a small HTML page. Each leads with the changes (the
first release where a cell's outcome changed), then the cells x releases table."""

from __future__ import annotations

import html
import json
from typing import Any

from harness.matrix.sweep import Change, Sweep, outcome
from harness.vocab.secrets import mask_json, mask_text

__all__ = ["sweep_html", "sweep_json", "sweep_markdown", "sweep_text"]


def _rows(s: Sweep, every: bool) -> list[tuple[str, str, list[str]]]:
    """(driver, scenario, outcome per release); without ``every``, only rows not the same on
    every release."""
    rows = []
    for driver in s.drivers:
        for scenario in s.scenarios:
            marks = []
            for version in s.versions:
                c = s.cell(version, driver, scenario)
                marks.append(outcome(c) if c is not None else "-")
            if every or len(set(marks)) > 1:
                rows.append((driver, scenario, marks))
    return rows


def _steady(s: Sweep) -> str:
    same = [r for r in _rows(s, True) if len(set(r[2])) == 1]
    counts: dict[str, int] = {}
    for _, _, marks in same:
        status = marks[0].split(" ")[0]
        counts[status] = counts.get(status, 0) + 1
    shown = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return f"{len(same)} cell(s) the same on every release ({shown or 'none'})"


def _change_line(c: Change, multi: bool) -> str:
    who = f"{c.driver} x {c.scenario}" if multi else c.scenario
    return f"{who}: {c.before} at {c.since} -> {c.after} at {c.version}"


def _environments(s: Sweep) -> list[str]:
    out = []
    for version in s.versions:
        if version in s.unusable:
            out.append(f"{version}: not installable here: {s.unusable[version]}")
        else:
            line = f"{version}: {'built now' if s.built.get(version) else 'cached'}"
            ran = s.ran_on.get(version)
            if ran and ran != version:  # the release did not shadow this Python's own copy
                line += f"; but the cells ran on {s.package} {ran}"
            elif ran:
                line += f" (the cells ran on {s.package} {ran})"
            out.append(line)
    return out


def sweep_text(s: Sweep, *, table: bool = False) -> str:
    multi = len(s.drivers) > 1
    head = (
        f"harness sweep: {', '.join(s.drivers)} on {s.package} "
        f"{', '.join(s.versions)} ({len(s.scenarios)} scenario(s))"
    )
    lines = [head, "", "environments:", *(f"  {line}" for line in _environments(s)), ""]
    changes = s.changes()
    if changes:
        lines.append(f"{len(changes)} change(s), at the first release where the outcome changed:")
        lines += [f"  {_change_line(c, multi)}" for c in changes]
    else:
        lines.append("no cell changed its outcome across these releases")
    rows = _rows(s, table)
    if rows:
        lines += ["", *_grid(s, rows)]
    lines += ["", _steady(s) + f"; {s.wall_seconds:.1f} s"]
    return mask_text("\n".join(lines))


def _grid(s: Sweep, rows: list[tuple[str, str, list[str]]]) -> list[str]:
    names = [(f"{d} x {sc}" if len(s.drivers) > 1 else sc) for d, sc, _ in rows]
    first = max([len(n) for n in names] + [4])
    widths = [max([len(v)] + [len(r[2][i]) for r in rows]) for i, v in enumerate(s.versions)]
    heads = " | ".join(v.ljust(w) for v, w in zip(s.versions, widths, strict=True))
    out = [("cell".ljust(first) + " | " + heads).rstrip()]
    out.append("-" * len(out[0]))
    for name, (_, _, marks) in zip(names, rows, strict=True):
        cells = " | ".join(m.ljust(w) for m, w in zip(marks, widths, strict=True))
        out.append((name.ljust(first) + " | " + cells).rstrip())
    return out


def sweep_markdown(s: Sweep) -> str:
    multi = len(s.drivers) > 1
    lines = [
        f"## harness sweep: {', '.join(s.drivers)} on {s.package}",
        "",
        f"Releases {', '.join(f'`{v}`' for v in s.versions)}, {len(s.scenarios)} scenario(s).",
        "",
    ]
    changes = s.changes()
    if changes:
        lines += ["**Changes** (the first release where a cell's outcome changed):", ""]
        lines += [
            f"- `{c.driver + ' x ' if multi else ''}{c.scenario}`: {c.before} at `{c.since}` "
            f"→ **{c.after}** at `{c.version}`"
            for c in changes
        ]
    else:
        lines.append("**No cell changed its outcome across these releases.**")
    changed = _rows(s, False)
    if changed:
        lines += ["", *_md_table(s, changed)]
    lines += ["", _steady(s) + ".", ""]
    lines += ["<details><summary>Every cell</summary>", "", *_md_table(s, _rows(s, True))]
    lines += ["", "</details>", "", "<details><summary>Environments</summary>", ""]
    lines += [f"- {line}" for line in _environments(s)]
    lines += ["", "</details>"]
    return mask_text("\n".join(lines)) + "\n"


def _md_table(s: Sweep, rows: list[tuple[str, str, list[str]]]) -> list[str]:
    out = ["| cell | " + " | ".join(s.versions) + " |", "|---" * (len(s.versions) + 1) + "|"]
    for driver, scenario, marks in rows:
        name = f"{driver} × {scenario}" if len(s.drivers) > 1 else scenario
        out.append(f"| {name} | " + " | ".join(marks) + " |")
    return out


def sweep_json(s: Sweep) -> str:
    data: dict[str, Any] = {
        "version": 1,
        "package": s.package,
        "versions": s.versions,
        "drivers": s.drivers,
        "scenarios": s.scenarios,
        "environments": {
            v: ("unusable: " + s.unusable[v])
            if v in s.unusable
            else ("built" if s.built.get(v) else "cached")
            for v in s.versions
        },
        "wall_seconds": round(s.wall_seconds, 3),
        "changes": [c.__dict__ for c in s.changes()],
        "cells": {
            v: [c.model_dump(mode="json", exclude={"transcript"}) for c in s.cells.get(v, [])]
            for v in s.versions
        },
    }
    return json.dumps(mask_json(data), indent=2, ensure_ascii=False) + "\n"


def sweep_html(s: Sweep) -> str:
    """One self-contained page: the changes, then every cell."""
    colour = {"pass": "#d4f4dd", "fail": "#fbd3d3", "n/a": "#eeeeee", "error": "#ffe8b3"}
    changes = s.changes()
    items = "".join(f"<li>{html.escape(_change_line(c, True))}</li>" for c in changes)
    head = "".join(f"<th>{html.escape(v)}</th>" for v in s.versions)
    body = []
    for driver, scenario, marks in _rows(s, True):
        tds = "".join(
            f'<td style="background:{colour.get(m.split(" ")[0], "#fff")}">{html.escape(m)}</td>'
            for m in marks
        )
        body.append(f"<tr><th>{html.escape(driver)} × {html.escape(scenario)}</th>{tds}</tr>")
    title = html.escape(f"harness sweep: {', '.join(s.drivers)} on {s.package}")
    return mask_text(
        f"<!doctype html><meta charset=utf-8><title>{title}</title>"
        "<style>body{font:14px system-ui;margin:2em}td,th{padding:2px 8px;text-align:left}"
        "table{border-collapse:collapse}</style>"
        f"<h1>{title}</h1>"
        + (f"<h2>Changes</h2><ul>{items}</ul>" if changes else "<p>No cell changed.</p>")
        + f"<table><tr><th>cell</th>{head}</tr>{''.join(body)}</table>\n"
    )
