"""The matrix's workers: results on a channel of their own, crashes and hangs lose one cell
only, and the rest of the matrix completes. The misbehaving drivers are registered in each
worker by ``preload`` (tests/runtime_drivers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.matrix.run import Matrix, run_matrix
from harness.transport.budget import Budget

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["text-plain", "retry-429-seconds", "nonstream-text"]
PRELOAD = ["tests.runtime_drivers"]


def matrix(*drivers: str, budget: Budget | None = None) -> Matrix:
    paths = [ROOT / "scenarios" / f"{s}.yaml" for s in SCENARIOS]
    return run_matrix(list(drivers), paths, SCENARIOS, jobs=2, budget=budget, preload=PRELOAD)


def outcomes(m: Matrix, driver: str) -> dict[str, tuple[str, list[str]]]:
    return {c.scenario: (c.status, c.codes()) for c in m.cells if c.driver == driver}


def test_an_adapter_printing_json_lines_changes_no_result() -> None:
    m = matrix("rt-prints-json", "rt-honest")
    assert outcomes(m, "rt-prints-json") == outcomes(m, "rt-honest")
    assert len(m.cells) == 6


def test_a_crashing_worker_loses_only_its_own_cell() -> None:
    m = matrix("rt-crash-on-retry", "rt-honest")
    got = outcomes(m, "rt-crash-on-retry")
    assert got["retry-429-seconds"] == ("error", ["setup-worker-crashed"])
    lost = m.cell("rt-crash-on-retry", "retry-429-seconds")
    assert lost is not None and "exited with 3" in lost.reason
    # the cells before and after it ran, with their real outcomes
    honest = outcomes(m, "rt-honest")
    assert got["text-plain"] == honest["text-plain"]
    assert got["nonstream-text"] == honest["nonstream-text"]


def test_a_driver_that_loops_forever_ends_as_adapter_hung_and_the_matrix_goes_on() -> None:
    m = matrix("rt-busy-loop", "rt-honest", budget=Budget(wall_seconds=1.0))
    assert {s: o for s, o in outcomes(m, "rt-busy-loop").items()} == {
        s: ("fail", ["adapter-hung"]) for s in SCENARIOS
    }
    assert all(status != "error" for status, _ in outcomes(m, "rt-honest").values())
    hung = m.cell("rt-busy-loop", "text-plain")
    assert hung is not None and "runtime_drivers.py" in hung.findings[0].where


@pytest.mark.slow
def test_a_cell_that_cannot_be_interrupted_is_abandoned_with_its_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signal never reaches the adapter: the worker's hard stop ends the process with
    the stacks, the cell is adapter-hung, and a new worker runs the cells after it."""
    monkeypatch.setattr("harness.matrix.worker.HARD_STOP_GRACE", 0.5)
    m = matrix("rt-uninterruptible", budget=Budget(wall_seconds=0.5))
    assert outcomes(m, "rt-uninterruptible") == {s: ("fail", ["adapter-hung"]) for s in SCENARIOS}
    cell = m.cell("rt-uninterruptible", "text-plain")
    assert cell is not None and "could not be interrupted" in cell.reason
    assert "runtime_drivers.py" in cell.findings[0].where
