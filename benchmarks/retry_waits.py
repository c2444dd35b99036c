"""Long Retry-After waits cost no wall time: ``retry-429-long-waits`` through the OpenAI SDK.

The scenario answers three requests with ``429, retry-after: 120`` before replying. Mock
servers on real sockets (aimock, llmock) wait those seconds for real; harness runs the
adapter on virtual time. Measured with ``harness.run.runner.run_scenario`` as the matrix runs a
cell (fresh clock, loop and client each time, checks included): the first run in the
process (it imports the SDK) and the median of the runs after it.
"""

from __future__ import annotations

import time

from benchmarks import ROOT, Row, median, spread

__all__ = ["SCENARIO", "measure", "run"]

SCENARIO = "retry-429-long-waits"
DRIVER = "openai-sdk-chat"


def measure(repeats: int) -> tuple[float, list[float], float, int, list[float]]:
    """First-run seconds, later runs' seconds, virtual seconds, requests, waits."""
    from harness.drivers.base import get_driver
    from harness.run.runner import run_scenario
    from harness.scenario.load import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / f"{SCENARIO}.yaml")
    driver = get_driver(DRIVER)
    times: list[float] = []
    virtual, requests, waits = 0.0, 0, []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        result = run_scenario(scenario, driver)
        times.append(time.perf_counter() - started)
        assert result.transcript is not None
        virtual = result.transcript.virtual_seconds
        requests = len(result.transcript.requests)
        waits = result.transcript.waits()
    return times[0], times[1:], virtual, requests, waits


def run(quick: bool) -> list[Row]:
    first, later, virtual, requests, waits = measure(3 if quick else 15)
    wall = median(later)
    shown = ", ".join(f"{w:.0f} s" for w in waits)
    return [
        Row(
            benchmark=f"{SCENARIO} ({DRIVER}), wall time per run",
            subject="harness run_scenario, virtual time",
            measured=spread([t * 1000 for t in later], "{:.0f}", " ms"),
            ratio=f"{virtual / wall:,.0f}x real time (median)",
            note=f"min / median / max of {len(later)} runs; "
            f"{virtual:.0f} s of virtual time: {requests} requests, waits {shown} "
            f"(the SDK's default max_retries=2 gives up before the 4th); "
            f"first run in the process {first:.2f} s (imports the SDK)",
        ),
        Row(
            benchmark=f"{SCENARIO} ({DRIVER}), wall time per run",
            subject="a mock server on a real socket",
            measured=f">= {sum(waits):.0f} s",
            note="waits Retry-After in wall time (aimock, llmock)",
        ),
    ]
