"""Shards and merge: every cell in exactly one shard, the same split on every machine,
balanced by measured cost; the shards' reports merged give the report, baseline comparison
and exit status of one unsharded run (timings aside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.matrix.merge import MergeError, merge_matrices, merge_reports
from harness.matrix.run import Matrix, run_matrix
from harness.matrix.shard import (
    ESTIMATED_STARTUP_SECONDS,
    Costs,
    ShardError,
    assign,
    load_costs,
    parse_shard,
)
from harness.report.writers import to_json

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["text-plain", "retry-429-seconds", "nonstream-text", "fault-http-400"]
PATHS = [ROOT / "scenarios" / f"{s}.yaml" for s in SCENARIOS]
PRELOAD = ["tests.runtime_drivers"]


def untimed(report: str | dict[str, Any]) -> dict[str, Any]:
    """A JSON report without what differs from run to run: real times."""
    data = json.loads(report) if isinstance(report, str) else report
    data.pop("wall_seconds")
    data.pop("startup_seconds")
    for cell in data["cells"]:
        if cell.get("transcript"):
            cell["transcript"].pop("wall_seconds")
    return data


# --------------------------------------------------------------------------- the split


def test_shard_spelling() -> None:
    assert (parse_shard("2/3").index, parse_shard("2/3").count) == (2, 3)
    for bad in ("0/3", "4/3", "1", "a/b", "1/0"):
        with pytest.raises(ShardError, match="expected K/N"):
            parse_shard(bad)


def test_every_cell_is_in_exactly_one_shard_in_matrix_order() -> None:
    cells = [(d, f"s{n:02}") for d in ("a", "b", "c", "d") for n in range(25)]
    costs = Costs(startup=dict.fromkeys("abcd", 0.5))
    for count in (1, 2, 3, 5, 7, 150):
        shards = assign(cells, count, costs)
        assert len(shards) == count
        assert sorted(c for shard in shards for c in shard) == sorted(cells)
        for shard in shards:
            assert shard == sorted(shard, key=cells.index)
        assert assign(list(cells), count, Costs(dict(costs.cells), dict(costs.startup))) == shards


def test_a_driver_stays_on_one_shard_when_its_start_up_outweighs_its_cells() -> None:
    cells = [(d, s) for d in ("a", "b", "c") for s in ("s1", "s2", "s3")]
    shards = assign(cells, 3, Costs(startup=dict.fromkeys("abc", 10.0)))
    assert sorted({d for d, _ in shard} for shard in shards) == [{"a"}, {"b"}, {"c"}]


def test_a_slow_driver_is_cut_and_the_fast_ones_fill_the_other_shards() -> None:
    slow = {f"slow::s{n}": 2.0 for n in range(10)}
    cells = [("slow", f"s{n}") for n in range(10)] + [("fast", f"s{n}") for n in range(10)]
    costs = Costs({**slow, **{f"fast::s{n}": 0.1 for n in range(10)}}, {"slow": 1, "fast": 1})
    shards = assign(cells, 2, costs)

    def load(shard: list[tuple[str, str]]) -> float:
        drivers = {d for d, _ in shard}
        return sum(costs.startup[d] for d in drivers) + sum(costs.cell(*c) for c in shard)

    loads = sorted(load(s) for s in shards)
    assert loads[1] - loads[0] <= 2.0  # one cell's worth at most
    assert all(("slow", "s0") in s or ("slow", "s9") in s for s in shards)


def test_costs_come_from_a_previous_report(tmp_path: Path) -> None:
    report = tmp_path / "last.json"
    cells = [
        {"driver": "a", "scenario": "s1", "status": "pass", "transcript": {"wall_seconds": 5.0}},
        {"driver": "a", "scenario": "s2", "status": "pass", "transcript": {"wall_seconds": 1.0}},
        {"driver": "a", "scenario": "s3", "status": "n/a", "transcript": None},
    ]
    report.write_text(json.dumps({"cells": cells, "startup_seconds": {"a": 2.0}}))
    costs = load_costs(report)
    # the first cell imported the adapter: beyond a typical cell, that is start-up
    assert costs.cell("a", "s1") == 1.0 and costs.cell("a", "s3") == 0.0
    assert costs.startup["a"] == 6.0
    assert load_costs(tmp_path / "none.json") == Costs()
    assert Costs().start("x", lambda _: False) == ESTIMATED_STARTUP_SECONDS
    report.write_text("[1]")
    with pytest.raises(ShardError, match="not a harness JSON report"):
        load_costs(report)


# --------------------------------------------------------------------------- merge


def _sharded(drivers: list[str], count: int) -> list[Matrix]:
    cells = [(d, s) for d in drivers for s in SCENARIOS]
    parts = []
    for index, mine in enumerate(assign(cells, count), start=1):
        only: dict[str, list[str]] = {}
        for driver, scenario in mine:
            only.setdefault(driver, []).append(scenario)
        m = run_matrix(
            [d for d in drivers if d in only], PATHS, SCENARIOS, jobs=1, preload=PRELOAD, only=only
        )
        m.shard = {"index": index, "count": count, "drivers": drivers, "scenarios": SCENARIOS}
        parts.append(m)
    return parts


def test_shards_merged_are_the_unsharded_matrix() -> None:
    drivers = ["rt-honest", "rt-prints-json", "rt-crash-on-retry"]
    whole = run_matrix(drivers, PATHS, SCENARIOS, jobs=1, preload=PRELOAD)
    assert whole.startup_seconds.keys() == set(drivers)
    for count in (2, 3):
        parts = _sharded(drivers, count)
        assert sum(len(p.cells) for p in parts) == len(whole.cells)
        merged = merge_matrices(parts)
        assert untimed(to_json(merged)) == untimed(to_json(whole))


def test_merge_refuses_an_incomplete_or_doubled_set_of_shards() -> None:
    cell = run_matrix(["rt-honest"], PATHS[:1], SCENARIOS[:1], jobs=1, preload=PRELOAD).cells[0]
    axes = {"count": 2, "drivers": ["rt-honest"], "scenarios": SCENARIOS[:1]}
    one = Matrix(["rt-honest"], SCENARIOS[:1], [cell], shard={"index": 1, **axes})
    empty = Matrix([], [], [], shard={"index": 2, **axes})
    assert len(merge_matrices([one, empty]).cells) == 1
    with pytest.raises(MergeError, match=r"shard\(s\) 2 of 2 missing"):
        merge_matrices([one])
    with pytest.raises(MergeError, match=r"shard\(s\) 1 given more than once"):
        merge_matrices([one, one, empty])
    with pytest.raises(MergeError, match="in both"):
        merge_matrices([one, Matrix(["rt-honest"], SCENARIOS[:1], [cell], shard=empty.shard)])
    with pytest.raises(MergeError, match="in no shard"):
        merge_matrices([Matrix([], [], [], shard={"index": 1, **axes}), empty])
    other = {**axes, "scenarios": ["other"], "index": 2}
    with pytest.raises(MergeError, match="of another matrix"):
        merge_matrices([one, Matrix([], [], [], shard=other)])


def test_merge_reads_reports_and_says_what_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"cells": 3}')
    with pytest.raises(MergeError, match="not a harness JSON report"):
        merge_reports([bad])
    assert main(["merge", str(tmp_path / "absent.json")]) == 2
