"""Issue 16, item 4: the Anthropic Messages and OpenAI Responses cases. Each has a planted
client that mishandles exactly it, reported with the case's code; the correct clients pass
every case (and the cases a wire cannot say are an honest n/a there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.dialects import get_dialect
from harness.run.runner import Run, run_scenario
from harness.scenario import Scenario
from harness.scenario.load import load_scenario
from tests.checks.planted_responses import PlantedResponsesDriver
from tests.checks.planted_wire import PlantedAnthropicDriver, PlantedWireDriver, WireBugs

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

MESSAGES_CASES = [
    "wire-pings",
    "finish-pause-turn",
    "finish-refusal",
    "tool-call-empty-fragment",
    "items-reasoning-between-messages",
    "items-call-between-messages",
    "outcome-incomplete-content-filter",
    "outcome-incomplete-max-tokens",
    "fault-overloaded-in-stream",
    "text-plain",
]
RESPONSES_CASES = [
    "outcome-incomplete-max-tokens",
    "outcome-incomplete-content-filter",
    "outcome-failed",
    "finish-refusal",
    "items-reasoning-between-messages",
    "items-call-between-messages",
    "tool-call-args-done-only",
    "fault-error-in-stream",
    "text-plain",
    "tool-calls-parallel",
    "text-then-tool-call",
]


def run(driver: PlantedWireDriver, scenario_id: str) -> Run:
    result = run_scenario(load_scenario(SCENARIOS / f"{scenario_id}.yaml"), driver)
    assert result.status != "n/a", result.na_reason
    return result


@pytest.mark.parametrize("scenario_id", MESSAGES_CASES)
def test_correct_anthropic_client_passes(scenario_id: str) -> None:
    result = run(PlantedAnthropicDriver(), scenario_id)
    assert result.findings == [], "\n".join(f.render() for f in result.findings)


@pytest.mark.parametrize("scenario_id", RESPONSES_CASES)
def test_correct_responses_client_passes(scenario_id: str) -> None:
    result = run(PlantedResponsesDriver(), scenario_id)
    assert result.findings == [], "\n".join(f.render() for f in result.findings)


PLANTED: list[tuple[type[PlantedWireDriver], WireBugs, str, str]] = [
    # Anthropic Messages
    (PlantedAnthropicDriver, WireBugs(ping_after_start_only=True), "wire-pings",
     "ping-event-mishandled"),
    (PlantedAnthropicDriver, WireBugs(pause_as_stop=True), "finish-pause-turn", "finish-mismatch"),
    (PlantedAnthropicDriver, WireBugs(refusal_as_stop=True), "finish-refusal", "finish-mismatch"),
    (PlantedAnthropicDriver, WireBugs(empty_fragment_crash=True), "tool-call-empty-fragment",
     "unexpected-error"),
    (PlantedAnthropicDriver, WireBugs(sum_usage=True), "text-plain", "usage-wrong"),
    # OpenAI Responses
    (PlantedResponsesDriver, WireBugs(incomplete_as_completed=True),
     "outcome-incomplete-max-tokens", "finish-mismatch"),
    (PlantedResponsesDriver, WireBugs(incomplete_reason_ignored=True),
     "outcome-incomplete-content-filter", "finish-mismatch"),
    (PlantedResponsesDriver, WireBugs(failed_as_completed=True), "outcome-failed",
     "failed-run-reported-as-success"),
    (PlantedResponsesDriver, WireBugs(first_message_only=True),
     "items-reasoning-between-messages", "text-mismatch"),
    (PlantedResponsesDriver, WireBugs(one_delta_buffer=True), "items-call-between-messages",
     "tool-args-invalid"),
    (PlantedResponsesDriver, WireBugs(args_from_deltas_only=True), "tool-call-args-done-only",
     "tool-args-done-ignored"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("driver", "bugs", "scenario_id", "code"),
    PLANTED,
    ids=[f"{d.dialect}:{s}:{c}" for d, _, s, c in PLANTED],
)
def test_planted_bug_is_reported_with_its_code(
    driver: type[PlantedWireDriver], bugs: WireBugs, scenario_id: str, code: str
) -> None:
    codes = [f.code for f in run(driver(bugs), scenario_id).findings if f.severity == "error"]
    assert code in codes, codes
    # each bug is its case's alone: on a plain stream the planted client passes
    plain = "text-plain" if code != "usage-wrong" else "fault-http-400"
    assert run(driver(bugs), plain).findings == []


def test_pings_and_args_without_deltas_are_n_a_on_wires_without_them() -> None:
    pings = load_scenario(SCENARIOS / "wire-pings.yaml")
    done_only = load_scenario(SCENARIOS / "tool-call-args-done-only.yaml")
    pause = load_scenario(SCENARIOS / "finish-pause-turn.yaml")
    for dialect in ("openai-chat", "openai-responses"):
        assert "pings" in (get_dialect(dialect).supports(pings) or "")
    for dialect in ("openai-chat", "anthropic-messages", "gateway"):
        assert "args_without_deltas" in (get_dialect(dialect).supports(done_only) or "")
    for dialect in ("openai-chat", "openai-responses", "gateway", "azure-agents"):
        assert get_dialect(dialect).supports(pause) is not None


def test_pings_follow_every_event_and_faults_never_count_them() -> None:
    """With wire.pings the Anthropic stream has a ping between any two events; a fault index
    still counts the events of the message only."""
    scenario = load_scenario(SCENARIOS / "wire-pings.yaml")
    script = get_dialect("anthropic-messages").synthesize(scenario)
    names = [line[7:] for line in script.exchanges[0].body.decode().splitlines()
             if line.startswith("event: ")]  # fmt: skip
    assert names[1::2] == ["ping"] * (len(names) // 2)
    assert "ping" not in names[::2] and names[-1] == "message_stop"
    data = scenario.model_dump()
    data["attempts"][0]["reply"]["fault"] = {"malformed_at": 3}
    broken = Scenario.model_validate(data)
    body = get_dialect("anthropic-messages").synthesize(broken).exchanges[0].body.decode()
    datas = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    assert datas[6].startswith('{"type":"content_block_delta"') and not datas[6].endswith("}")
