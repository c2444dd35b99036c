"""The warm workers: the drivers of one environment run in children of one warm worker,
with the verdicts separate worker processes give, and a hung cell still costs only itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.matrix.pool import WarmPool, supported
from harness.matrix.run import Matrix, run_matrix
from harness.transport.budget import Budget

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["text-plain", "retry-429-seconds", "nonstream-text"]
PRELOAD = ["tests.runtime_drivers"]

pytestmark = pytest.mark.skipif(not supported(), reason="warm workers need fork and pidfd_open")


def matrix(*drivers: str, warm: bool, budget: Budget | None = None) -> Matrix:
    paths = [ROOT / "scenarios" / f"{s}.yaml" for s in SCENARIOS]
    return run_matrix(
        list(drivers), paths, SCENARIOS, jobs=1, budget=budget, preload=PRELOAD, warm=warm
    )


def outcomes(m: Matrix, driver: str) -> dict[str, tuple[str, list[str]]]:
    return {c.scenario: (c.status, c.codes()) for c in m.cells if c.driver == driver}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The drivers whose request started a warm worker, one per worker."""
    drivers: list[str] = []
    real = WarmPool._start

    def counting(self: WarmPool, python: str, driver: str, number: int) -> Any:
        drivers.append(driver)
        return real(self, python, driver, number)

    monkeypatch.setattr(WarmPool, "_start", counting)
    return drivers


def test_drivers_sharing_a_warm_worker_give_the_verdicts_of_separate_processes(
    started: list[str],
) -> None:
    """rt-taints-process breaks httpx for whatever runs after it in its process; in one warm
    worker, rt-honest after it still gets the outcomes it gets in a process of its own."""
    warm = matrix("rt-taints-process", "rt-honest", warm=True)
    assert started == ["rt-taints-process"]  # one warm worker served both
    cold = matrix("rt-taints-process", "rt-honest", warm=False)
    for driver in ("rt-taints-process", "rt-honest"):
        assert outcomes(warm, driver) == outcomes(cold, driver)
    assert "error" not in {status for status, _ in outcomes(warm, "rt-honest").values()}

    # within one driver the cells share a process, as they did: the taint reaches its own
    def said(driver: str) -> str:
        return " ".join(c.reason for c in warm.cells if c.driver == driver)

    assert "tainted" in said("rt-taints-process") and "tainted" not in said("rt-honest")


def test_a_hung_cell_in_a_shared_warm_worker_is_reported_and_the_rest_still_run(
    started: list[str],
) -> None:
    m = matrix("rt-busy-loop", "rt-honest", warm=True, budget=Budget(wall_seconds=1.0))
    assert len(started) == 1
    assert outcomes(m, "rt-busy-loop") == {s: ("fail", ["adapter-hung"]) for s in SCENARIOS}
    assert "error" not in {status for status, _ in outcomes(m, "rt-honest").values()}
    hung = m.cell("rt-busy-loop", "text-plain")
    assert hung is not None and "runtime_drivers.py" in hung.findings[0].where


def test_a_crash_in_a_warm_child_loses_its_cell_and_the_next_child_runs_the_rest(
    started: list[str],
) -> None:
    m = matrix("rt-crash-on-retry", "rt-honest", warm=True)
    assert len(started) == 1
    lost = m.cell("rt-crash-on-retry", "retry-429-seconds")
    assert lost is not None and lost.codes() == ["setup-worker-crashed"]
    assert "exited with 3" in lost.reason
    honest = outcomes(m, "rt-honest")
    assert outcomes(m, "rt-crash-on-retry")["nonstream-text"] == honest["nonstream-text"]


def test_without_a_warm_worker_the_drivers_run_in_processes_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A warm worker that cannot start (here: its module is missing) costs no cell."""
    monkeypatch.setattr("harness.matrix.pool.MODULE", "harness.matrix.no_such_module")
    m = matrix("rt-honest", "rt-crash-on-retry", warm=True)
    assert "error" not in {status for status, _ in outcomes(m, "rt-honest").values()}
    assert outcomes(m, "rt-crash-on-retry")["retry-429-seconds"][1] == ["setup-worker-crashed"]
