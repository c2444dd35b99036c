"""``harness merge``: the JSON reports of a matrix's shards (or of any runs over disjoint
cells, such as pytest runs that selected different tests) as one matrix, so its reports,
baseline comparison and verdicts are those of one unsharded run.

Shard reports (``harness matrix --shard K/N --json``) carry the whole matrix's drivers and
scenarios: the merged matrix has those, in that order, and merging fails when a shard is
missing, given twice, from another split, or a cell is missing or duplicated. Reports
without shard information (the pytest plugin's ``--harness-report``) are merged as given:
their drivers and scenarios in an order every report agrees with, a cell given twice an
error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.matrix.run import Matrix
from harness.run.cell import Cell
from harness.vocab.errors import HarnessError

__all__ = ["MergeError", "load_report", "merge_matrices", "merge_reports"]


class MergeError(HarnessError, ValueError):
    """Reports that do not make one matrix (a shard missing, a cell twice, not a report)."""


def load_report(path: Path) -> Matrix:
    """A JSON report back as the matrix it was written from."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = [Cell.model_validate(c) for c in data["cells"]]
        m = Matrix(
            drivers=[str(d) for d in data["drivers"]],
            scenarios=[str(s) for s in data["scenarios"]],
            cells=cells,
            wall_seconds=float(data.get("wall_seconds", 0.0)),
            startup_seconds={str(k): float(v) for k, v in data.get("startup_seconds", {}).items()},
            shard=data.get("shard"),
        )
    except OSError as exc:
        raise MergeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MergeError(f"{path}: not a harness JSON report ({exc})") from None
    return m


def merge_reports(paths: Sequence[Path]) -> Matrix:
    if not paths:
        raise MergeError("nothing to merge: give the JSON reports of the shards")
    return merge_matrices([load_report(p) for p in paths], [str(p) for p in paths])


def merge_matrices(parts: Sequence[Matrix], names: Sequence[str] | None = None) -> Matrix:
    """One matrix from its parts; ``names`` say which part is which in errors."""
    names = list(names or [f"report {n + 1}" for n in range(len(parts))])
    sharded = [m.shard is not None for m in parts]
    if any(sharded) and not all(sharded):
        plain = [n for n, s in zip(names, sharded, strict=True) if not s]
        raise MergeError(f"cannot merge shard reports with whole reports: {', '.join(plain)}")
    if all(sharded):
        drivers, scenarios = _shard_axes(parts, names)
    else:
        drivers = _agreed_order([m.drivers for m in parts])
        scenarios = _agreed_order([m.scenarios for m in parts])
    seen: dict[str, str] = {}
    cells: list[Cell] = []
    for m, name in zip(parts, names, strict=True):
        for cell in m.cells:
            if cell.key in seen:
                raise MergeError(f"cell {cell.key} is in both {seen[cell.key]} and {name}")
            seen[cell.key] = name
            cells.append(cell)
    if all(sharded):
        missing = [f"{d}::{s}" for d in drivers for s in scenarios if f"{d}::{s}" not in seen]
        if missing:
            shown = ", ".join(missing[:5]) + (
                f" +{len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise MergeError(f"{len(missing)} cell(s) of the matrix are in no shard: {shown}")
    column = {d: n for n, d in enumerate(drivers)}
    row = {s: n for n, s in enumerate(scenarios)}
    cells.sort(key=lambda c: (column[c.driver], row[c.scenario]))
    startup: dict[str, float] = {}
    for m in parts:  # a driver split over shards started in each: the slowest start counts
        for driver, seconds in m.startup_seconds.items():
            startup[driver] = max(seconds, startup.get(driver, 0.0))
    return Matrix(
        drivers=drivers,
        scenarios=scenarios,
        cells=cells,
        wall_seconds=max((m.wall_seconds for m in parts), default=0.0),
        startup_seconds={d: startup[d] for d in drivers if d in startup},
    )


def _shard_axes(parts: Sequence[Matrix], names: Sequence[str]) -> tuple[list[str], list[str]]:
    shards: list[dict[str, Any]] = [m.shard or {} for m in parts]
    first = shards[0]
    for shard, name in zip(shards, names, strict=True):
        same = (shard.get("count"), shard.get("drivers"), shard.get("scenarios")) == (
            first.get("count"),
            first.get("drivers"),
            first.get("scenarios"),
        )
        if not same:
            raise MergeError(
                f"{name} is shard {shard.get('index')}/{shard.get('count')} of another matrix "
                f"than {names[0]} (other shard count, drivers or scenarios)"
            )
    count = int(first["count"])
    given = [int(s["index"]) for s in shards]
    twice = sorted({k for k in given if given.count(k) > 1})
    if twice:
        raise MergeError(f"shard(s) {', '.join(map(str, twice))} given more than once")
    absent = [str(k) for k in range(1, count + 1) if k not in given]
    if absent:
        raise MergeError(f"shard(s) {', '.join(absent)} of {count} missing: merge needs them all")
    return list(first["drivers"]), list(first["scenarios"])


def _agreed_order(lists: Sequence[Sequence[str]]) -> list[str]:
    """Every name once: sorted when every list is sorted (the pytest plugin sorts), else in
    the order first seen."""
    names = list(dict.fromkeys(n for names in lists for n in names))
    if all(list(names_) == sorted(names_) for names_ in lists):
        return sorted(names)
    return names
