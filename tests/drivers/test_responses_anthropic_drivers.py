"""The Responses drivers (OpenAI SDK, llama-stack-client) and the Anthropic SDK driver:
request building and event mapping (no adapter needed), then what is particular to each
REAL adapter (failed responses, overload events, the scenarios written for these wires;
``adapters`` marker). What every driver must do end to end is the contract test,
``test_driver_contract.py``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest

from harness.drivers.anthropic_sdk import AnthropicStream, anthropic_kwargs, message_events
from harness.drivers.openai_sdk_responses import (
    ResponsesStream,
    response_events,
    responses_input,
    responses_tools,
)
from harness.scenario.load import load_scenarios
from harness.scenario.model import Request, Scenario
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    ReasoningEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.drivers.adapters import installed

RESPONSES = ["openai-sdk-responses", "llama-stack-responses"]
DRIVERS = [*RESPONSES, "anthropic-sdk"]
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
TOOL_TURN = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {"id": "call_p", "name": "get_weather", "arguments": {"city": "Paris"}},
            {"id": "call_r", "name": "get_weather", "arguments": {"city": "Rome"}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_p", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_r", "content": "rain"},
]


# --------------------------------------------------------------------------- request shape


def test_responses_input_carries_calls_and_outputs() -> None:
    request = Request.model_validate({"messages": TOOL_TURN, "tools": [WEATHER]})
    items = responses_input(request)
    assert items[0] == {"type": "message", "role": "system", "content": "Be brief."}
    assert items[2] == {"type": "message", "role": "assistant", "content": "Checking."}
    assert items[4] == {
        "type": "function_call",
        "call_id": "call_r",
        "name": "get_weather",
        "arguments": '{"city": "Rome"}',
    }
    assert items[6] == {"type": "function_call_output", "call_id": "call_r", "output": "rain"}
    assert responses_tools(request)[0] == {"type": "function", **WEATHER, "strict": False}


def test_anthropic_kwargs_group_tool_results_and_lift_the_system_prompt() -> None:
    request = Request.model_validate({"messages": TOOL_TURN, "tools": [WEATHER]})
    kwargs = anthropic_kwargs(request)
    assert kwargs["system"] == "Be brief." and kwargs["max_tokens"] == 1024
    assert [m["role"] for m in kwargs["messages"]] == ["user", "assistant", "user"]
    assert kwargs["messages"][1]["content"][1] == {
        "type": "tool_use", "id": "call_p", "name": "get_weather", "input": {"city": "Paris"}
    }  # fmt: skip
    results = kwargs["messages"][2]["content"]
    assert [(r["tool_use_id"], r["content"]) for r in results] == [
        ("call_p", "sunny"), ("call_r", "rain")
    ]  # fmt: skip
    assert kwargs["tools"][0]["input_schema"] == WEATHER["parameters"]


# --------------------------------------------------------------------------- event mapping


def _responses(items: list[Any]) -> list[Event]:
    mapper = ResponsesStream()
    return [e for item in items for e in mapper.feed(item)]


USAGE = {"input_tokens": 3, "output_tokens": 4,
         "input_tokens_details": {"cached_tokens": 1, "cache_write_tokens": 0}}  # fmt: skip


def test_responses_stream_mapping_reads_objects_and_dicts_alike() -> None:
    call = NS(type="function_call", call_id="call_1", id="fc_1", name="f", arguments='{"a":1}')
    events = _responses(
        [
            NS(type="response.created", response=NS(status="in_progress")),
            NS(type="response.reasoning_summary_text.delta", delta="hm"),
            {"type": "response.output_text.delta", "delta": "Hi"},
            NS(type="response.function_call_arguments.delta", delta='{"a"'),
            NS(type="response.output_item.done", item=NS(type="message")),
            NS(type="response.output_item.done", item=call),
            {"type": "response.completed", "response": {"status": "completed", "usage": USAGE}},
        ]
    )
    assert events == [
        ReasoningEvent(text="hm"),
        TextEvent(text="Hi"),
        ToolCallEvent(id="call_1", name="f", arguments={"a": 1}),
        UsageEvent(input=3, output=4, cache_read=1, cache_write=0),
        FinishEvent(reason="tool_calls", raw="completed"),
    ]


def test_responses_incomplete_failed_and_error_events() -> None:
    incomplete = {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}
    assert _responses([NS(type="response.incomplete", response=incomplete)]) == [
        FinishEvent(reason="length", raw="max_output_tokens")
    ]
    failed = NS(status="failed", error=NS(code="rate_limit_exceeded", message="slow"))
    (error,) = _responses([NS(type="response.failed", response=failed)])
    assert isinstance(error, ErrorEvent) and error.error == "rate_limit"
    assert error.type.endswith("SimpleNamespace") and "slow" in error.message
    (event,) = _responses([NS(type="error", code="server_error", message="boom")])
    assert isinstance(event, ErrorEvent) and event.error == "server"
    (odd,) = _responses([NS(type="error", code="invalid_image_url", message="x")])
    assert isinstance(odd, ErrorEvent) and odd.error == "bad_request"


def test_responses_stream_invents_no_finish() -> None:
    assert _responses([NS(type="response.output_text.delta", delta="x")]) == [TextEvent(text="x")]


def test_response_events_non_streamed() -> None:
    response = NS(
        status="completed",
        usage=USAGE,
        output=[
            NS(type="reasoning", summary=[NS(type="summary_text", text="r")]),
            NS(type="message", content=[NS(type="output_text", text="Hi")]),
        ],
    )
    assert response_events(response) == [
        ReasoningEvent(text="r"),
        TextEvent(text="Hi"),
        UsageEvent(input=3, output=4, cache_read=1, cache_write=0),
        FinishEvent(reason="stop", raw="completed"),
    ]


def test_anthropic_stream_mapping() -> None:
    tool = NS(type="tool_use", id="toolu_1", name="f", input={"a": 1})
    start_usage = NS(input_tokens=9, output_tokens=1, cache_read_input_tokens=2,
                     cache_creation_input_tokens=0)  # fmt: skip
    items = [
        NS(type="message_start", message=NS(usage=start_usage)),
        NS(type="thinking", thinking="hm"),
        NS(type="signature", signature="sig"),
        NS(type="text", text="Hi"),
        NS(type="content_block_stop", content_block=NS(type="text")),
        NS(type="content_block_stop", content_block=tool),
        NS(type="message_delta", delta=NS(stop_reason="tool_use"), usage=NS(output_tokens=7)),
        NS(type="message_stop"),
    ]
    mapper = AnthropicStream()
    events = [e for item in items for e in mapper.feed(item)] + mapper.close()
    assert events == [
        ReasoningEvent(text="hm"),
        TextEvent(text="Hi"),
        ToolCallEvent(id="toolu_1", name="f", arguments={"a": 1}),
        UsageEvent(input=9, output=7, cache_read=2, cache_write=0),
        FinishEvent(reason="tool_calls", raw="tool_use"),
    ]
    assert AnthropicStream().close() == []


def test_anthropic_message_events() -> None:
    message = NS(
        content=[NS(type="thinking", thinking="r"), NS(type="text", text="Hi")],
        usage=NS(input_tokens=5, output_tokens=2),
        stop_reason="max_tokens",
    )
    assert message_events(message) == [
        ReasoningEvent(text="r"),
        TextEvent(text="Hi"),
        UsageEvent(input=5, output=2),
        FinishEvent(reason="length", raw="max_tokens"),
    ]


# --------------------------------------------------------------------------- end to end


def _scenario(sid: str, request: dict[str, Any], attempts: list[Any]) -> Scenario:
    return Scenario.model_validate(
        {"id": sid, "request": request, "attempts": attempts, "expect": {}}
    )


def _run(driver_name: str, scenario: Scenario) -> tuple[list[Event], int]:
    from harness.run.runner import run_scenario

    run = run_scenario(scenario, installed(driver_name), checks=[])
    assert run.transcript is not None, run.na_reason
    return list(run.transcript.events), len(run.transcript.requests)


USER = [{"role": "user", "content": "Hi"}]


@pytest.mark.adapters
@pytest.mark.parametrize("driver_name", RESPONSES)
def test_failed_response_is_an_error_event(driver_name: str) -> None:
    scenario = _scenario(
        "failed",
        {"messages": USER},
        [{"reply": {"parts": [{"text": "partial"}], "outcome": "failed",
                    "error": {"code": "server_error", "message": "boom"}}}],
    )  # fmt: skip
    events, _ = _run(driver_name, scenario)
    assert events[0] == TextEvent(text="partial")
    assert isinstance(events[-1], ErrorEvent) and events[-1].error == "server"
    assert "boom" in events[-1].message and len(events) == 2


@pytest.mark.adapters
def test_anthropic_overloaded_event_raises_a_server_error() -> None:
    payload = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    scenario = _scenario(
        "overloaded",
        {"messages": USER},
        [{"reply": {"parts": [{"text": "abc", "deltas": 3}], "fault": {"error_payload": payload}}}],
    )
    events, _ = _run("anthropic-sdk", scenario)
    assert events[:3] == [TextEvent(text="a"), TextEvent(text="b"), TextEvent(text="c")]
    last = events[-1]
    assert isinstance(last, ErrorEvent) and (last.error, last.leaked) == ("server", False)
    assert last.type.startswith("anthropic.")


# --------------------------------------------------------------------------- bundled scenarios


BUNDLED = {s.id: s for s in load_scenarios(SCENARIOS)}
NEW = [
    "retry-529",
    "fault-overloaded-in-stream",
    "reasoning-signed-text-tool-call",
    "outcome-failed",
    "outcome-incomplete-max-tokens",
    "outcome-incomplete-content-filter",
    "reasoning-then-text",
]
"""The scenarios written for these wires; each runs on every driver here, or is an n/a."""


@pytest.mark.adapters
@pytest.mark.parametrize("driver_name", DRIVERS)
@pytest.mark.parametrize("scenario_id", NEW)
def test_new_scenarios_pass_or_say_why_not(driver_name: str, scenario_id: str) -> None:
    from harness.run.runner import run_scenario

    run = run_scenario(BUNDLED[scenario_id], installed(driver_name))
    if run.status == "n/a":
        assert run.na_reason and "has no" in run.na_reason
        return
    assert run.status == "pass", [f.code for f in run.findings]


@pytest.mark.adapters
@pytest.mark.parametrize(
    ("driver_name", "scenario_id", "code"),
    [
        ("anthropic-sdk", "fault-terminator-only", "empty-stream-accepted"),
        ("anthropic-sdk", "fault-truncated-stream", "truncated-stream-accepted"),
        ("openai-sdk-responses", "fault-truncated-tool-args", "truncated-stream-accepted"),
        ("llama-stack-responses", "retry-429-long-waits", "retry-after-ignored"),
    ],
)
def test_observed_adapter_behaviours_are_reported(
    driver_name: str, scenario_id: str, code: str
) -> None:
    """What these adapter versions do wrong on the wire, named by its finding code."""
    from harness.run.runner import run_scenario

    run = run_scenario(BUNDLED[scenario_id], installed(driver_name))
    assert code in {f.code for f in run.findings}
