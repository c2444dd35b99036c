"""Baseline: the known outcome of each cell, so CI fails on regressions only.

A cell regresses when it was passing (or n/a, or absent) and now fails, or when it fails
with a finding code the baseline does not list for it: a new finding in a cell that
already failed is still a regression. An ``error`` cell (harness could not run it) is
always a regression, whatever the baseline says: a cell that did not run proves nothing.
A cell that now passes where the baseline says it fails is a fix, listed so the baseline
can be updated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.run.cell import Cell
from harness.vocab.errors import HarnessError

__all__ = [
    "Baseline",
    "BaselineError",
    "Comparison",
    "baseline_versions",
    "compare",
    "load_baseline",
    "versions_by_driver",
    "write_baseline",
]

Baseline = dict[str, dict[str, Any]]


class BaselineError(HarnessError, ValueError):
    """An unreadable baseline file."""


@dataclass
class Comparison:
    regressions: list[tuple[Cell, str]]
    fixes: list[tuple[Cell, str]]


def load_baseline(path: Path) -> Baseline:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = data["cells"]
        if not isinstance(cells, dict):
            raise TypeError("'cells' must be an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a harness baseline ({exc})") from None
    return cells


def baseline_versions(path: Path) -> dict[str, dict[str, str]]:
    """The adapter versions per driver the baseline was made with (empty: not recorded)."""
    try:
        versions = json.loads(path.read_text(encoding="utf-8")).get("versions", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return versions if isinstance(versions, dict) else {}


def compare(cells: list[Cell], baseline: Baseline) -> Comparison:
    regressions: list[tuple[Cell, str]] = []
    fixes: list[tuple[Cell, str]] = []
    for cell in cells:
        known = baseline.get(cell.key)
        was = known["status"] if known else "absent"
        bad_now = cell.status in ("fail", "error")
        if cell.status == "error":
            regressions.append((cell, f"harness could not run it: {cell.reason}"))
        elif bad_now and was not in ("fail", "error"):
            regressions.append((cell, f"was {was}, now {cell.status}: {cell.reason}"))
        elif bad_now and known is not None:
            new = sorted(set(cell.codes()) - set(known.get("codes", [])))
            if new:
                regressions.append((cell, f"new finding(s) {', '.join(new)}: {cell.reason}"))
        elif not bad_now and was in ("fail", "error"):
            fixes.append((cell, f"was {was}, now {cell.status}"))
    return Comparison(regressions, fixes)


def write_baseline(path: Path, cells: list[Cell], previous: Baseline) -> None:
    """Record every cell's outcome; a known failure keeps its hand-written reason."""
    out: Baseline = {}
    for cell in sorted(cells, key=lambda c: c.key):
        entry: dict[str, Any] = {"status": cell.status}
        if cell.status in ("fail", "error"):
            entry["codes"] = cell.codes()
            old = previous.get(cell.key, {})
            entry["reason"] = (
                old["reason"]
                if old.get("reason") and old.get("codes") == entry["codes"]
                else cell.reason
            )
        out[cell.key] = entry
    document = {"version": 1, "versions": versions_by_driver(cells), "cells": out}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def versions_by_driver(cells: Iterable[Cell]) -> dict[str, dict[str, str]]:
    """The package versions each driver's cells ran on (from their transcripts)."""
    out: dict[str, dict[str, str]] = {}
    for cell in cells:
        if cell.transcript is not None and cell.transcript.versions:
            out.setdefault(cell.driver, {}).update(cell.transcript.versions)
    return dict(sorted(out.items()))
