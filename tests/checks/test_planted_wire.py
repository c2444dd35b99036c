"""Issue 16: each wire case has a planted adapter that mishandles exactly it, and the checks
report it with the case's code; the correct client passes every case."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from tests.checks.planted_wire import PlantedAnthropicDriver, PlantedWireDriver, WireBugs

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

WIRE_CASES = [
    "wire-multiline-data",
    "wire-extra-fields",
    "wire-comment-in-event",
    "wire-bom",
    "wire-cr-line-endings",
    "wire-crlf-split",
    "wire-unterminated-tail",
    "wire-keepalive-comments",
    "chat-tool-calls-index-zero",
    "chat-tool-args-with-finish",
    "tool-call-args-empty-string",
    "tool-call-args-split-escapes",
    "tool-call-empty-fragment",
    "chat-usage-repeated",
    "chat-empty-deltas",
    "chat-role-only-first",
    "chat-refusal",
    "chat-legacy-function-call",
    "chat-choices-interleaved",
    "fault-http-403",
    "fault-http-413",
    "fault-http-422",
    "retry-408",
    "retry-409",
    "retry-502",
    "retry-504",
    "retry-429-ms-beats-seconds",
    "retry-after-zero",
    "retry-after-past-date",
    "retry-after-negative",
    "retry-after-garbage",
    "retry-after-huge",
    "retry-x-should-retry-false",
    "retry-x-should-retry-true",
    "retry-disconnect-then-reply",
    "retry-429-budget-2",
    "retry-429-budget-3",
    # the older cases still hold for this client
    "text-plain",
    "tool-calls-parallel",
    "wire-crlf",
    "wire-split-utf8",
    "retry-429-http-date",
    "retry-429-exhausted",
    "retry-503-repeated",
    "fault-http-400",
    "fault-stream-cut",
]


def run(scenario_id: str, bugs: WireBugs | None = None) -> Run:
    result = run_scenario(load_scenario(SCENARIOS / f"{scenario_id}.yaml"), PlantedWireDriver(bugs))
    assert result.status != "n/a", result.na_reason
    return result


@pytest.mark.parametrize("scenario_id", WIRE_CASES)
def test_correct_client_passes(scenario_id: str) -> None:
    result = run(scenario_id)
    assert result.findings == [], "\n".join(f.render() for f in result.findings)


PLANTED: list[tuple[WireBugs, str, str]] = [
    # 1. SSE framing
    (WireBugs(data_line_is_event=True), "wire-multiline-data", "sse-multiline-data-mishandled"),
    (WireBugs(colon_required=True), "wire-extra-fields", "sse-extra-fields-mishandled"),
    (WireBugs(comment_resets_event=True), "wire-comment-in-event", "sse-comment-mishandled"),
    (WireBugs(keep_bom=True), "wire-bom", "sse-bom-mishandled"),
    (WireBugs(lf_only=True), "wire-cr-line-endings", "sse-line-ending-mishandled"),
    (WireBugs(crlf_per_chunk=True), "wire-crlf-split", "sse-crlf-split-mishandled"),
    (
        WireBugs(dispatch_partial=True),
        "wire-unterminated-tail",
        "sse-unterminated-event-dispatched",
    ),
    # 2. chat stream shapes
    (
        WireBugs(merge_by_index=True),
        "chat-tool-calls-index-zero",
        "tool-call-index-reused-mishandled",
    ),
    (WireBugs(skip_delta_on_finish=True), "chat-tool-args-with-finish", "tool-args-fragment-lost"),
    (WireBugs(sum_usage=True), "chat-usage-repeated", "usage-wrong"),
    (WireBugs(usage_every_time=True), "chat-usage-repeated", "usage-repeated"),
    (WireBugs(null_content_crash=True), "chat-empty-deltas", "chat-empty-delta-mishandled"),
    (WireBugs(yield_empty_text=True), "chat-empty-deltas", "empty-text-event"),
    (
        WireBugs(role_chunk_content_required=True),
        "chat-role-only-first",
        "chat-role-only-chunk-mishandled",
    ),
    (WireBugs(decode_per_chunk=True), "tool-call-args-split-escapes", "tool-args-not-joined"),
    (WireBugs(drop_refusal=True), "chat-refusal", "refusal-dropped"),
    (WireBugs(refusal_as_text=True), "chat-refusal", "refusal-as-text"),
    (
        WireBugs(ignore_function_call=True),
        "chat-legacy-function-call",
        "chat-function-call-mishandled",
    ),
    (WireBugs(ignore_choice_index=True), "chat-choices-interleaved", "chat-choices-interleaved"),
    # 3. statuses and retry headers
    (WireBugs(retry_statuses=frozenset({403})), "fault-http-403", "non-retryable-retried"),
    (WireBugs(retry_statuses=frozenset({413})), "fault-http-413", "non-retryable-retried"),
    (WireBugs(retry_statuses=frozenset({422})), "fault-http-422", "non-retryable-retried"),
    (WireBugs(kind_408_as_server=True), "retry-408", "retry-missing"),
    (WireBugs(gateway_no_backoff=True), "retry-502", "retry-without-backoff"),
    (WireBugs(gateway_no_backoff=True), "retry-504", "retry-without-backoff"),
    (WireBugs(seconds_before_ms=True), "retry-429-ms-beats-seconds", "retry-wait-unbounded"),
    (WireBugs(zero_as_missing=True), "retry-after-zero", "retry-wait-unbounded"),
    (WireBugs(abs_past_date=True), "retry-after-past-date", "retry-wait-unbounded"),
    (WireBugs(crash_on_negative=True), "retry-after-negative", "unexpected-error"),
    (WireBugs(crash_on_garbage=True), "retry-after-garbage", "unexpected-error"),
    (WireBugs(no_cap=True), "retry-after-huge", "retry-wait-unbounded"),
    (WireBugs(ignore_x_should_retry=True), "retry-x-should-retry-false", "non-retryable-retried"),
    (WireBugs(leak_connect_error=True), "retry-disconnect-then-reply", "transport-error-leaked"),
    (WireBugs(budget_off_by_one=True), "retry-429-budget-3", "extra-requests"),
    (WireBugs(exhaust_as_server=True), "retry-429-budget-3", "error-kind-mismatch"),
]


@pytest.mark.parametrize(
    ("bugs", "scenario_id", "code"), PLANTED, ids=[f"{s}:{c}" for _, s, c in PLANTED]
)
def test_planted_bug_is_reported_with_its_code(bugs: WireBugs, scenario_id: str, code: str) -> None:
    codes = [f.code for f in run(scenario_id, bugs).findings if f.severity == "error"]
    assert code in codes, codes
    if code.startswith(("sse-", "chat-", "tool-call-index", "refusal-")):
        # a framing or shape bug is that case's alone: on a plain stream the client passes
        assert run("text-plain", bugs).findings == []


NAMED_CASES = [
    "wire-unknown-events",
    "wire-multiline-data",
    "wire-extra-fields",
    "wire-comment-in-event",
    "wire-bom",
    "wire-unterminated-tail",
    "tool-call-empty-fragment",
    "text-then-tool-call",
    "retry-after-huge",
]


@pytest.mark.parametrize("scenario_id", NAMED_CASES)
def test_correct_named_event_client_passes(scenario_id: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{scenario_id}.yaml")
    result = run_scenario(scenario, PlantedAnthropicDriver())
    assert result.status == "pass", "\n".join(f.render() for f in result.findings)


def test_unknown_event_types_are_reported_on_named_event_wires() -> None:
    scenario = load_scenario(SCENARIOS / "wire-unknown-events.yaml")
    result = run_scenario(scenario, PlantedAnthropicDriver(WireBugs(unknown_event_crash=True)))
    assert "sse-unknown-event-mishandled" in {f.code for f in result.findings}
    # data-only wires cannot express the case: an honest n/a, never a silent pass
    assert run_scenario(scenario, PlantedWireDriver()).status == "n/a"


def test_cumulative_message_delta_usage_is_not_added_to_message_start() -> None:
    """Anthropic's message_delta usage is cumulative: adding message_start's partial output
    count to it over-counts (usage-wrong); the correct client reports the last value."""
    scenario = load_scenario(SCENARIOS / "text-plain.yaml")
    assert run_scenario(scenario, PlantedAnthropicDriver()).status == "pass"
    result = run_scenario(scenario, PlantedAnthropicDriver(WireBugs(sum_usage=True)))
    assert "usage-wrong" in {f.code for f in result.findings}


CHAT_ONLY = ["chat-refusal", "chat-legacy-function-call", "chat-choices-interleaved"]


@pytest.mark.parametrize("scenario_id", CHAT_ONLY)
def test_chat_only_cases_are_na_on_other_wires(scenario_id: str) -> None:
    """A refusal delta, a legacy function_call and interleaved choices exist only on the
    OpenAI chat wire: every other dialect says why it cannot send them."""
    from harness.dialects import dialect_names, get_dialect

    scenario = load_scenario(SCENARIOS / f"{scenario_id}.yaml")
    for name in dialect_names():
        reason = get_dialect(name).supports(scenario)
        assert (reason is None) == (name == "openai-chat"), (name, reason)


def test_a_legacy_function_call_carries_one_call() -> None:
    from harness.dialects import get_dialect

    scenario = load_scenario(SCENARIOS / "chat-tool-calls-index-zero.yaml")
    reply = scenario.replies()[0]
    wire = reply.wire.model_copy(update={"tool_index_zero": False, "legacy_function_call": True})
    attempt = scenario.attempts[0].model_copy(
        update={"reply": reply.model_copy(update={"wire": wire})}
    )
    legacy = scenario.model_copy(update={"attempts": [attempt]})
    assert "one call" in (get_dialect("openai-chat").supports(legacy) or "")


def test_an_adapter_declaring_one_choice_is_na_for_several() -> None:
    from harness.drivers.contract import Contract, Features

    class OneChoice(PlantedWireDriver):
        contract = Contract(features=Features(multiple_choices=False))

    scenario = load_scenario(SCENARIOS / "chat-choices-interleaved.yaml")
    result = run_scenario(scenario, OneChoice(WireBugs(ignore_choice_index=True)))
    assert result.status == "n/a" and "one choice" in (result.na_reason or "")
    assert "no multiple choices" in OneChoice.contract.deviations()
    # one choice is all a plain reply needs
    assert run_scenario(load_scenario(SCENARIOS / "text-plain.yaml"), OneChoice()).status == "pass"


def test_the_refusal_stays_apart_from_the_text_unstreamed() -> None:
    """Non-streamed, the refusal is message.refusal with content null."""
    import json

    from harness.dialects import get_dialect

    scenario = load_scenario(SCENARIOS / "chat-refusal-nonstream.yaml")
    body = json.loads(get_dialect("openai-chat").synthesize(scenario).exchanges[0].body)
    message = body["choices"][0]["message"]
    assert message["content"] is None
    assert message["refusal"] == scenario.expect.refusal
