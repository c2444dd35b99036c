"""Issue 24's cases on the Gemini and Ollama wires: a tool call (fragmented in the
scenario, whole on the wire), a 429 with the provider's retry hint, a mid-stream error, a
clean truncation. The correct planted clients pass each; a client with one realistic bug
gets the case's code."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from tests.checks.planted_native import NativeBugs, PlantedGeminiDriver, PlantedOllamaDriver

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
CASES = [
    "tool-call-fragmented",
    "retry-429-seconds",
    "fault-error-in-stream",
    "fault-truncated-stream",
    "text-plain",
]
Driver = type[PlantedGeminiDriver] | type[PlantedOllamaDriver]


def run(driver: PlantedGeminiDriver | PlantedOllamaDriver, scenario_id: str) -> Run:
    result = run_scenario(load_scenario(SCENARIOS / f"{scenario_id}.yaml"), driver)
    assert result.status != "n/a", result.na_reason
    return result


@pytest.mark.parametrize("driver", [PlantedGeminiDriver, PlantedOllamaDriver])
@pytest.mark.parametrize("scenario_id", CASES)
def test_correct_clients_pass(driver: Driver, scenario_id: str) -> None:
    result = run(driver(), scenario_id)
    assert result.findings == [], "\n".join(f.render() for f in result.findings)


PLANTED: list[tuple[Driver, NativeBugs, str, str]] = [
    (PlantedGeminiDriver, NativeBugs(calls_before_finish_only=True), "tool-call-fragmented",
     "tool-call-dropped"),
    (PlantedGeminiDriver, NativeBugs(args_as_text=True), "tool-call-fragmented",
     "tool-args-invalid"),
    (PlantedGeminiDriver, NativeBugs(ignore_retry_hint=True), "retry-429-seconds",
     "retry-after-ignored"),
    (PlantedGeminiDriver, NativeBugs(ignore_error_chunk=True), "fault-error-in-stream",
     "error-kind-mismatch"),
    (PlantedGeminiDriver, NativeBugs(accept_truncation=True), "fault-truncated-stream",
     "truncated-stream-accepted"),
    (PlantedOllamaDriver, NativeBugs(calls_on_done_only=True), "tool-call-fragmented",
     "tool-call-dropped"),
    (PlantedOllamaDriver, NativeBugs(args_as_text=True), "tool-call-fragmented",
     "tool-args-invalid"),
    (PlantedOllamaDriver, NativeBugs(ignore_retry_hint=True), "retry-429-seconds",
     "retry-after-ignored"),
    (PlantedOllamaDriver, NativeBugs(ignore_error_chunk=True), "fault-error-in-stream",
     "error-kind-mismatch"),
    (PlantedOllamaDriver, NativeBugs(accept_truncation=True), "fault-truncated-stream",
     "truncated-stream-accepted"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("driver", "bugs", "scenario_id", "code"),
    PLANTED,
    ids=[f"{d.dialect}:{s}:{c}" for d, _, s, c in PLANTED],
)
def test_planted_bug_is_reported_with_its_code(
    driver: Driver, bugs: NativeBugs, scenario_id: str, code: str
) -> None:
    codes = [f.code for f in run(driver(bugs), scenario_id).findings if f.severity == "error"]
    assert code in codes, codes
    assert run(driver(bugs), "text-plain").findings == []  # the bug is its case's alone
