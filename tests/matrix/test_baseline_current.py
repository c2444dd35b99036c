"""The matrix the checked-in baseline was made with is the matrix harness gives today.

Issue 18 asks that a reshape change no result; this is the test that says so, and it keeps
``conformance-baseline.json`` honest between ``make conformance`` runs: for the drivers that
run in the project's own environment, every cell's status and finding codes equal the
baseline's. (The reason text is not compared: the baseline keeps a maintainer's hand-written
reason for a known failure.) The fast test takes the SDK drivers; the slow one all drivers
of this environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.matrix.baseline import load_baseline
from harness.matrix.run import run_matrix
from harness.scenario.bundled import default_scenario_paths
from harness.scenario.load import load_scenarios

ROOT = Path(__file__).resolve().parents[2]
FAST = ["openai-sdk-chat", "anthropic-sdk", "openai-sdk-responses", "gateway-client"]
SLOW = [
    "litellm-chat",
    "strands-litellm",
    "litellm-azure-agents",
    "restream-app",
    "litellm-chat-aiohttp",
    "azure-agents-sdk",
]


def _differences(drivers: list[str]) -> list[str]:
    baseline = load_baseline(ROOT / "conformance-baseline.json")
    paths = default_scenario_paths()
    ids = [s.id for s in load_scenarios(paths)]
    matrix = run_matrix(drivers, paths, ids)
    out = []
    for cell in matrix.cells:
        known = baseline.get(cell.key)
        if known is None:
            out.append(f"{cell.key}: not in the baseline (now {cell.status})")
            continue
        now = (cell.status, cell.codes() if cell.status in ("fail", "error") else [])
        was = (known["status"], known.get("codes", []))
        if now != was:
            out.append(f"{cell.key}: baseline {was}, now {now} ({cell.reason})")
    return out


def _message(differences: list[str]) -> str:
    return (
        f"{len(differences)} cell(s) differ from conformance-baseline.json; if the change is "
        "meant, run `make conformance` and `harness matrix --baseline "
        "conformance-baseline.json --update-baseline`:\n" + "\n".join(differences[:40])
    )


def test_the_sdk_drivers_give_the_baseline() -> None:
    differences = _differences(FAST)
    assert not differences, _message(differences)


@pytest.mark.slow
def test_every_driver_of_this_environment_gives_the_baseline() -> None:
    differences = _differences(SLOW)
    assert not differences, _message(differences)
