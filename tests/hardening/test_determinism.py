"""The same run twice gives the same report, apart from timing; the same seed, the same fuzz.

Timing (real time leaks into virtual time, see ``normalize``) is the only thing allowed to
differ. The fast tests run cells in this process; the slow one runs ``harness matrix``
itself twice, every bundled scenario, in worker processes as ``make conformance`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.drivers.base import get_driver
from harness.matrix.run import Matrix
from harness.report.writers import to_json
from harness.run.cell import cell_from_run
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from tests.hardening.normalize import normalize_report

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = ["openai-sdk-chat", "litellm-chat"]
SCENARIOS = ["text-plain", "tool-call-fragmented", "retry-429-seconds", "fault-stream-cut"]


def report(drivers: list[str], scenarios: list[str]) -> dict[str, Any]:
    """A matrix report of cells run here, one driver after the other (as a worker would)."""
    loaded = [load_scenario(ROOT / "scenarios" / f"{s}.yaml") for s in scenarios]
    cells = [
        cell_from_run(run_scenario(scenario, get_driver(d))) for d in drivers for scenario in loaded
    ]
    matrix = Matrix(drivers=drivers, scenarios=scenarios, cells=cells, wall_seconds=1.0)
    data: dict[str, Any] = json.loads(to_json(matrix))
    return data


def test_the_same_cells_twice_give_the_same_report() -> None:
    first, second = report(DRIVERS, SCENARIOS), report(DRIVERS, SCENARIOS)
    assert normalize_report(first) == normalize_report(second)
    statuses = {(c["driver"], c["scenario"]): c["status"] for c in first["cells"]}
    assert set(statuses.values()) <= {"pass", "fail"}  # both adapters ran every cell


def test_the_normalizer_drops_timing_and_nothing_else() -> None:
    data = report(["openai-sdk-chat"], ["retry-429-seconds"])
    requests = data["cells"][0]["transcript"]["requests"]
    assert len(requests) >= 2
    normalized = normalize_report(data)
    assert "wall_seconds" not in normalized
    assert all("at" not in r for r in normalized["cells"][0]["transcript"]["requests"])

    def edited(path: str, value: Any) -> Any:
        copy = json.loads(json.dumps(data))
        *parents, last = path.split("/")
        target = copy
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value
        return normalize_report(copy)

    at = "cells/0/transcript/requests/1/at"
    assert edited(at, requests[1]["at"] + 7.0) == normalized
    assert edited("cells/0/reason", "came 0.473 s later") == edited(
        "cells/0/reason", "came 0.385 s later"
    )
    assert edited("cells/0/transcript/requests/1/path", "/v1/other") != normalized
    assert edited("cells/0/status", "fail") != normalized


def test_the_same_seed_gives_the_same_fuzz_run() -> None:
    from harness.fuzz.runner import fuzz

    first, second = (
        fuzz("openai-sdk-chat", examples=20, seed=20261125, rechunk=False) for _ in range(2)
    )
    assert (first.examples, first.not_applicable, first.found_at) == (
        second.examples,
        second.not_applicable,
        second.found_at,
    )
    if first.failure is None:
        assert second.failure is None
    else:
        assert second.failure is not None
        assert first.failure.codes() == second.failure.codes()
        assert first.failure.scenario == second.failure.scenario
        assert first.failure.script == second.failure.script


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("HARNESS_SLOW") != "1", reason="two whole matrix runs: set HARNESS_SLOW=1"
)
def test_harness_matrix_twice_gives_the_same_json(tmp_path: Path) -> None:
    reports = []
    for name in ("first", "second"):
        out = tmp_path / f"{name}.json"
        command = [sys.executable, "-m", "harness.cli", "matrix", "--quiet", "--json", str(out)]
        for driver in DRIVERS:
            command += ["--driver", driver]
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False, timeout=600)
        reports.append(normalize_report(json.loads(out.read_text(encoding="utf-8"))))
    assert reports[0] == reports[1]
