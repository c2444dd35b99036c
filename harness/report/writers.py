"""Matrix reports: terminal table, JSON, JUnit XML and Markdown."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from xml.etree import ElementTree as ET

from harness.matrix.run import Matrix
from harness.report.matrix_doc import markdown_grid, versions_by_driver
from harness.run.cell import Cell
from harness.vocab.secrets import mask_json, mask_text

__all__ = ["to_json", "to_junit", "to_markdown", "to_table"]

_MARK = {"pass": "pass", "fail": "FAIL", "n/a": "n/a", "error": "ERROR"}


def to_table(m: Matrix, *, reasons: bool = True) -> str:
    """Scenarios down, drivers across; then each failing cell's first reason."""
    width = max([len(s) for s in m.scenarios] + [8])
    cols = [max(len(d), 5) for d in m.drivers]
    head = (
        "scenario".ljust(width)
        + " | "
        + " | ".join(d.ljust(w) for d, w in zip(m.drivers, cols, strict=True))
    )
    lines = [head, "-" * len(head)]
    for s in m.scenarios:
        row = []
        for d, w in zip(m.drivers, cols, strict=True):
            c = m.cell(d, s)
            row.append((_MARK[c.status] if c else "-").ljust(w))
        lines.append(s.ljust(width) + " | " + " | ".join(row))
    counts = m.counts()
    lines.append("")
    lines.append(
        f"{len(m.cells)} cells: {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['n/a']} n/a, {counts['error']} error ({m.wall_seconds:.1f} s)"
    )
    if reasons:
        bad = [c for c in m.cells if c.status in ("fail", "error")]
        if bad:
            lines.append("")
            lines.append("Failing cells (first finding):")
            for c in bad:
                lines.append(f"  {c.driver} x {c.scenario}: {c.reason}")
    return "\n".join(lines)


def summary(m: Matrix) -> dict[str, Any]:
    by_driver: dict[str, Counter[str]] = {}
    for c in m.cells:
        by_driver.setdefault(c.driver, Counter())[c.status] += 1
    return {d: dict(by_driver.get(d, Counter())) for d in m.drivers}


def to_json(m: Matrix, *, transcripts: bool = True) -> str:
    data = {
        "version": 1,
        "drivers": m.drivers,
        "scenarios": m.scenarios,
        "counts": m.counts(),
        "summary": summary(m),
        "wall_seconds": round(m.wall_seconds, 3),
        "versions": versions_by_driver(m.cells),
        "startup_seconds": m.startup_seconds,
        **({"shard": m.shard} if m.shard is not None else {}),
        "cells": [
            c.model_dump(mode="json", exclude=None if transcripts else {"transcript"})
            for c in m.cells
        ],
    }
    # transcripts carry request headers and bodies: the secret policy masks them
    return json.dumps(mask_json(data), indent=2, ensure_ascii=False) + "\n"


def to_junit(m: Matrix) -> str:
    """One testsuite per driver, one testcase per cell; n/a cells are skipped."""
    root = ET.Element("testsuites", name="harness conformance")
    for d in m.drivers:
        cells = [c for c in m.cells if c.driver == d]
        counts = Counter(c.status for c in cells)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=d,
            tests=str(len(cells)),
            failures=str(counts["fail"]),
            errors=str(counts["error"]),
            skipped=str(counts["n/a"]),
        )
        deviations = next((c.deviations for c in cells if c.deviations), [])
        if deviations:  # a relaxation is never silent, in CI either
            props = ET.SubElement(suite, "properties")
            for line in deviations:
                ET.SubElement(props, "property", name="contract-deviation", value=line)
        versions = versions_by_driver(cells).get(d, {})
        if versions:  # the adapter versions these cells ran on
            props = props if deviations else ET.SubElement(suite, "properties")
            for dist, version in sorted(versions.items()):
                ET.SubElement(props, "property", name=f"version:{dist}", value=version)
        for c in cells:
            case = ET.SubElement(suite, "testcase", classname=f"harness.{d}", name=c.scenario)
            if c.transcript is not None:
                case.set("time", f"{c.transcript.wall_seconds:.3f}")
            if c.status == "fail":
                node = ET.SubElement(case, "failure", message=c.reason, type=_codes(c))
                node.text = "\n\n".join(f.render() for f in c.findings)
            elif c.status == "error":
                ET.SubElement(case, "error", message=c.reason).text = c.source
            elif c.status == "n/a":
                ET.SubElement(case, "skipped", message=c.reason)
    ET.indent(root)
    return mask_text(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"


def _codes(c: Cell) -> str:
    return ",".join(c.codes()) or "fail"


def to_markdown(m: Matrix) -> str:
    """A table for CI step summaries, with the failing cells' findings below it."""
    lines = ["## harness conformance", "", *markdown_grid(m, _codes)]
    counts = m.counts()
    lines += [
        "",
        f"**{counts['pass']} pass, {counts['fail']} fail, {counts['n/a']} n/a, "
        f"{counts['error']} error** in {m.wall_seconds:.1f} s",
    ]
    bad = [c for c in m.cells if c.status in ("fail", "error")]
    if bad:
        lines += ["", "<details><summary>Failing cells</summary>", ""]
        for c in bad:
            lines.append(f"- **{c.driver}** × `{c.scenario}`: {_md_escape(c.reason)}")
        lines += ["", "</details>"]
    declared = {c.driver: c.deviations for c in m.cells if c.deviations}
    if declared:
        lines += [
            "",
            "**Contracts** (how each adapter's declaration deviates from the protocol):",
            "",
        ]
        lines += [f"- **{d}**: {_md_escape('; '.join(devs))}" for d, devs in declared.items()]
    versions = versions_by_driver(m.cells)
    if versions:
        lines += ["", "<details><summary>Adapter versions</summary>", ""]
        for driver, found in versions.items():
            shown = ", ".join(f"{k} {v}" for k, v in sorted(found.items()))
            lines.append(f"- **{driver}**: {shown}")
        lines += ["", "</details>"]
    na = [c for c in m.cells if c.status == "n/a"]
    if na:
        lines += ["", "<details><summary>n/a cells</summary>", ""]
        lines += [f"- **{c.driver}** × `{c.scenario}`: {_md_escape(c.reason)}" for c in na]
        lines += ["", "</details>"]
    return mask_text("\n".join(lines)) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
