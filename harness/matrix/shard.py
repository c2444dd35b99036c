"""One matrix split over N machines: ``harness matrix --shard K/N`` runs shard K's cells,
``harness merge`` puts the shards' reports back together (:mod:`harness.matrix.merge`).

Every shard computes the same split on its own, with no coordinator: :func:`assign` is a
pure function of the cells (driver-major, in the matrix's order), the shard count and the
costs, so N jobs started from one commit (and one cost file) agree on who runs what.

The split is balanced by cost. A cell costs the real seconds it took last time (its
transcript's ``wall_seconds`` in a previous JSON report, ``--costs REPORT.json``); a driver
costs its start-up once per shard that runs any of its cells (``startup_seconds`` in that
report: building or checking its environment, starting its worker, importing the adapter).
Without a report, or for a cell or driver it does not know, a fixed estimate stands in:
``ESTIMATED_CELL_SECONDS`` a cell, ``ESTIMATED_STARTUP_SECONDS`` a driver, more for one with an
environment of its own. The first timed cell of each driver in a report is counted as
start-up beyond a typical cell's time (it imports the adapter). So a driver stays on one
shard unless it alone outweighs a shard's fair share; then its scenarios are cut into
consecutive runs, each paying the start-up, as long as each run does more work than that.
The pieces go largest first to the least loaded shard (ties: the lower number).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.vocab.errors import HarnessError

__all__ = [
    "ESTIMATED_CELL_SECONDS",
    "ESTIMATED_ENVIRONMENT_SECONDS",
    "ESTIMATED_STARTUP_SECONDS",
    "Costs",
    "Shard",
    "ShardError",
    "assign",
    "load_costs",
    "parse_shard",
]

ESTIMATED_CELL_SECONDS = 0.1
"""A cell no report has timed (measured: 0.09 s on average over three SDK drivers, n/a
cells included)."""
ESTIMATED_STARTUP_SECONDS = 3.0
"""A driver's worker start-up no report has timed (the SDK imports dominate)."""
ESTIMATED_ENVIRONMENT_SECONDS = 10.0
"""Added for a driver that runs in an environment of its own (checking or refreshing it)."""

Cells = Sequence[tuple[str, str]]
"""(driver, scenario) pairs, driver-major, in the matrix's order."""


class ShardError(HarnessError, ValueError):
    """A bad ``--shard`` value or an unreadable cost file."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``K/N`` with 1 <= K <= N."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if found is None or not 1 <= int(found[1]) <= int(found[2]):
        raise ShardError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/3")
    return Shard(int(found[1]), int(found[2]))


@dataclass(frozen=True)
class Costs:
    """Seconds per cell (``driver::scenario``) and per driver start-up, as measured."""

    cells: Mapping[str, float] = field(default_factory=dict)
    startup: Mapping[str, float] = field(default_factory=dict)

    def cell(self, driver: str, scenario: str) -> float:
        return self.cells.get(f"{driver}::{scenario}", ESTIMATED_CELL_SECONDS)

    def start(self, driver: str, own_environment: Callable[[str], bool]) -> float:
        if driver in self.startup:
            return self.startup[driver]
        extra = ESTIMATED_ENVIRONMENT_SECONDS if own_environment(driver) else 0.0
        return ESTIMATED_STARTUP_SECONDS + extra


def load_costs(path: Path | None) -> Costs:
    """The costs a previous JSON report measured (``harness matrix --json`` or ``harness
    merge --json``); None or a missing file: the estimates alone (a first CI run has none)."""
    if path is None or not path.exists():
        return Costs()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells: dict[str, float] = {}
        first: dict[str, str] = {}
        for cell in data["cells"]:
            key = f"{cell['driver']}::{cell['scenario']}"
            transcript = cell.get("transcript") or {}
            if cell["status"] == "n/a":
                cells[key] = 0.0
            elif "wall_seconds" in transcript:
                cells[key] = float(transcript["wall_seconds"])
                first.setdefault(str(cell["driver"]), key)
        startup = {str(k): float(v) for k, v in data.get("startup_seconds", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShardError(f"--costs {path}: not a harness JSON report ({exc})") from None
    for driver, key in first.items():
        # the first cell a worker runs imports the adapter: that is start-up, paid again by
        # every shard running the driver, not this cell's cost
        timed = sorted(v for k, v in cells.items() if k.startswith(f"{driver}::") and v > 0)
        typical = timed[(len(timed) - 1) // 2]
        measured = startup.get(driver, ESTIMATED_STARTUP_SECONDS)
        startup[driver] = measured + max(0.0, cells[key] - typical)
        cells[key] = min(cells[key], typical)
    return Costs(cells, startup)


@dataclass
class _Piece:
    driver: str
    order: int
    """Where the piece's first cell stands in the matrix (the tie-break)."""
    cells: list[tuple[str, str]]
    cost: float


def assign(
    cells: Cells,
    count: int,
    costs: Costs | None = None,
    own_environment: Callable[[str], bool] = lambda _: False,
) -> list[list[tuple[str, str]]]:
    """The cells of each shard (index 0 is shard 1), each list in the matrix's order.

    Deterministic: the same cells, count and costs give the same split on every machine.
    ``own_environment(driver)`` says whether a driver builds an environment of its own (its
    estimated start-up is higher)."""
    if count < 1:
        raise ShardError(f"cannot split a matrix into {count} shards")
    costs = costs or Costs()
    by_driver: dict[str, list[tuple[int, tuple[str, str]]]] = {}
    for n, cell in enumerate(cells):
        by_driver.setdefault(cell[0], []).append((n, cell))
    startup = {d: costs.start(d, own_environment) for d in by_driver}
    total = sum(startup.values()) + sum(costs.cell(*c) for c in cells)
    fair = total / count
    pieces: list[_Piece] = []
    for driver, mine in by_driver.items():
        pieces += _cut(driver, mine, startup[driver], fair, costs)
    loads = [0.0] * count
    shards: list[list[tuple[str, str]]] = [[] for _ in range(count)]
    for piece in sorted(pieces, key=lambda p: (-p.cost, p.order)):
        target = min(range(count), key=lambda k: (loads[k], k))
        loads[target] += piece.cost
        shards[target] += piece.cells
    index = {cell: n for n, cell in enumerate(cells)}
    return [sorted(shard, key=index.__getitem__) for shard in shards]


def _cut(
    driver: str,
    mine: list[tuple[int, tuple[str, str]]],
    startup: float,
    fair: float,
    costs: Costs,
) -> list[_Piece]:
    """One driver's cells as one piece, or as consecutive runs of about equal cost when the
    driver alone outweighs a shard's fair share (each run pays the start-up again)."""
    weights = [costs.cell(*c) for _, c in mine]
    work = sum(weights)
    parts = 1
    if fair > 0 and startup + work > fair:
        # more pieces only while each still does more work than the start-up it repeats
        most = math.floor(work / startup) if startup > 0 else len(mine)
        parts = max(1, min(len(mine), math.ceil((startup + work) / fair), most))
    if parts == 1:
        return [_Piece(driver, mine[0][0], [c for _, c in mine], startup + work)]
    pieces: list[_Piece] = []
    share = work / parts
    current: list[tuple[int, tuple[str, str]]] = []
    spent = 0.0
    for (n, cell), weight in zip(mine, weights, strict=True):
        if current and spent + weight / 2 > share * (len(pieces) + 1):
            pieces.append(_piece(driver, current, startup, costs))
            current = []
        current.append((n, cell))
        spent += weight
    if current:
        pieces.append(_piece(driver, current, startup, costs))
    return pieces


def _piece(
    driver: str, run: list[tuple[int, tuple[str, str]]], startup: float, costs: Costs
) -> _Piece:
    cells = [c for _, c in run]
    return _Piece(driver, run[0][0], cells, startup + sum(costs.cell(*c) for c in cells))
