"""Planted adapters produce exactly the expected finding codes; a correct one gets none."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from tests.checks.planted import Bugs, PlantedDriver

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

CORRECT_ON = [
    "text-plain",
    "text-many-deltas",
    "tool-call-fragmented",
    "tool-calls-parallel",
    "text-then-tool-call",
    "usage-separate-chunk",
    "reply-empty",
    "wire-keepalive-comments",
    "wire-data-no-space",
    "wire-crlf",
    "wire-split-utf8",
    "text-line-separators",
    "finish-length-empty",
    "retry-429-seconds",
    "retry-429-ms",
    "retry-429-http-date",
    "retry-429-long-waits",
    "retry-429-exhausted",
    "retry-500",
    "retry-503",
    "retry-503-repeated",
    "fault-http-400",
    "fault-http-401",
    "fault-http-404",
    "fault-stream-cut",
    "fault-malformed-event",
    "fault-error-in-stream",
    "fault-empty-stream",
    "fault-terminator-only",
    "fault-truncated-stream",
    "fault-truncated-tool-args",
    "fault-stream-stall",
]


def codes(scenario_id: str, bugs: Bugs) -> set[str]:
    run = run_scenario(load_scenario(SCENARIOS / f"{scenario_id}.yaml"), PlantedDriver(bugs))
    assert run.status != "n/a", run.na_reason
    return {f.code for f in run.findings}


@pytest.mark.parametrize("scenario_id", CORRECT_ON)
def test_correct_adapter_has_no_findings(scenario_id: str) -> None:
    run = run_scenario(load_scenario(SCENARIOS / f"{scenario_id}.yaml"), PlantedDriver())
    assert run.findings == [], "\n".join(f.render() for f in run.findings)
    assert run.status == "pass"


@pytest.mark.parametrize(
    ("bugs", "scenario_id", "expected"),
    [
        (Bugs(ignore_retry_after=True), "retry-429-seconds", {"retry-after-ignored"}),
        (Bugs(ignore_retry_after=True), "retry-429-http-date", {"retry-after-ignored"}),
        (Bugs(leak_status_error=True), "fault-http-400", {"transport-error-leaked"}),
        (Bugs(drop_last_fragment=True), "tool-call-fragmented", {"tool-args-fragment-lost"}),
        (Bugs(accept_truncation=True), "fault-truncated-stream", {"truncated-stream-accepted"}),
        (Bugs(accept_truncation=True), "fault-empty-stream", {"empty-stream-accepted"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_planted_bug_gives_exactly_its_code(
    bugs: Bugs, scenario_id: str, expected: set[str]
) -> None:
    assert codes(scenario_id, bugs) == expected


def test_retry_after_finding_names_expected_and_actual_waits() -> None:
    run = run_scenario(
        load_scenario(SCENARIOS / "retry-429-seconds.yaml"),
        PlantedDriver(Bugs(ignore_retry_after=True)),
    )
    finding = next(f for f in run.findings if f.check == "invariant:retries")
    assert finding.expected == {"wait_s": 2.0}
    assert isinstance(finding.actual, dict) and finding.actual["wait_s"] < 0.1
    assert "retry-429-seconds.yaml" in finding.where and "attempt 1 -> 2" in finding.where


def test_long_retry_after_is_waited_on_the_virtual_clock_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import harness.transport.clock

    real: list[float] = []
    monkeypatch.setattr(harness.transport.clock, "_real_sleep", real.append)
    run = run_scenario(load_scenario(SCENARIOS / "retry-429-long-waits.yaml"), PlantedDriver())
    assert run.transcript is not None
    assert run.transcript.waits() == [120, 120, 120]  # exactly: the clock is purely virtual
    assert set(real) <= {0}  # no real sleep in the adapter's thread
