"""The openai-agents drivers: how their stream events are read (no network), then the REAL
models end to end through the runner (``adapters`` marker): what they pass on, their
retries, and the defects of this openai-agents version, each named by its finding code on a
bundled scenario."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest

from harness.drivers.base import get_driver
from harness.drivers.openai_agents import AgentsStream, function_tools
from harness.scenario.load import load_scenarios
from harness.scenario.model import Request
from harness.vocab.events import (
    ErrorEvent,
    FinishEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.drivers.adapters import events_of, installed, scenario_of
from tests.drivers.one_attempt import single_attempt

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = {s.id: s for s in load_scenarios(SCENARIOS)}
DRIVERS = ["openai-agents-chat", "openai-agents-responses"]
WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
USER = [{"role": "user", "content": "Hi"}]


# --------------------------------------------------------------------------- reading events


def _completed(status: str | None) -> Any:
    from openai.types.responses import Response, ResponseCompletedEvent

    response = Response.model_construct(status=status, output=[], usage=None)
    return ResponseCompletedEvent.model_construct(
        type="response.completed", response=response, sequence_number=3
    )


def test_a_completed_event_without_status_is_the_end_of_the_turn() -> None:
    """The chat model's synthesized response has no status; its Runner reads the type."""
    stream = AgentsStream()
    assert stream.feed(NS(type="response.output_text.delta", delta="Hi")) == [TextEvent(text="Hi")]
    assert stream.feed(NS(type="response.refusal.delta", delta="No.")) == [RefusalEvent(text="No.")]
    assert stream.feed(_completed(None)) == []  # held until the stream ends
    assert stream.close() == [FinishEvent(reason="stop", raw="completed")]
    assert stream.close() == []


def test_a_refusal_part_of_a_response_is_a_refusal() -> None:
    from harness.drivers.openai_sdk_responses import response_events

    message = NS(type="message", content=[NS(type="refusal", refusal="I can't help.")])
    response = NS(output=[message], status="completed", usage=None)
    assert response_events(response) == [
        RefusalEvent(text="I can't help."),
        FinishEvent(reason="stop", raw="completed"),
    ]


def test_terminal_events_are_held_so_a_later_exception_decides() -> None:
    stream = AgentsStream()
    failed = NS(
        type="response.failed",
        response=NS(status="failed", error=NS(code="server_error", message="boom"), usage=None),
    )
    assert stream.feed(failed) == []
    (held,) = stream.close()
    assert isinstance(held, ErrorEvent) and held.error == "server"


def test_tools_are_function_tools_never_invoked() -> None:
    request = Request.model_validate({"messages": USER, "tools": [WEATHER]})
    (tool,) = function_tools(request)
    assert (tool.name, tool.params_json_schema, tool.strict_json_schema) == (
        "get_weather",
        WEATHER["parameters"],
        False,
    )


def test_declared_as_documented() -> None:
    for name, dialect in zip(DRIVERS, ["openai-chat", "openai-responses"], strict=True):
        driver = get_driver(name)
        assert (driver.dialect, driver.extra, driver.http_library) == (
            dialect,
            "openai-agents",
            "httpx",
        )
        assert driver.supports(BUNDLED["nonstream-tool-call"]) is not None
        assert driver.supports(BUNDLED["text-plain"]) is None


# --------------------------------------------------------------------------- real adapters


@pytest.mark.adapters
@pytest.mark.parametrize("name", DRIVERS)
def test_text_and_a_tool_call_come_through(name: str) -> None:
    call = {"id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"},
            "fragments": ['{"ci', 'ty":', '"Paris"}']}  # fmt: skip
    scenario = scenario_of(
        "text-then-call",
        {"messages": USER, "tools": [WEATHER]},
        [{"reply": {"parts": [{"text": "Let me see.", "deltas": ["Let ", "me see."]},
                              {"tool_call": call}],
                    "finish": "tool_calls", "usage": {"input": 9, "output": 7}}}],
    )  # fmt: skip
    events, requests = events_of(name, scenario)
    assert [e for e in events if isinstance(e, TextEvent)] == [
        TextEvent(text="Let "),
        TextEvent(text="me see."),
    ]
    assert [e for e in events if isinstance(e, ToolCallEvent)] == [
        ToolCallEvent(id="call_w1", name="get_weather", arguments={"city": "Paris"})
    ]
    usage = next(e for e in events if isinstance(e, UsageEvent))
    assert (usage.input, usage.output) == (9, 7)
    assert events[-1] == FinishEvent(reason="tool_calls", raw="completed") and requests == 1


@pytest.mark.adapters
@pytest.mark.parametrize("name", DRIVERS)
def test_the_sdk_retries_apply_and_max_retries_overrides_them(name: str) -> None:
    error = {"error": {"status": 503}}
    scenario = scenario_of("unavailable", {"messages": USER}, [error, error, error])
    events, requests = events_of(name, scenario)
    last = events[-1]
    assert isinstance(last, ErrorEvent) and (last.error, last.status) == ("server", 503)
    assert last.type == "openai.InternalServerError" and requests == 3
    assert single_attempt(installed(name), scenario) == 1


@pytest.mark.adapters
@pytest.mark.parametrize(
    ("name", "scenario_id", "code"),
    [
        # finish_reason length after some text becomes response.completed: a cut reads whole
        ("openai-agents-chat", "finish-length-partial-text", "finish-mismatch"),
        ("openai-agents-chat", "finish-length-empty", "finish-mismatch"),
        ("openai-agents-chat", "finish-refusal", "finish-mismatch"),
        # a stream that ended without finish_reason or [DONE] becomes response.completed
        ("openai-agents-chat", "fault-truncated-stream", "truncated-stream-accepted"),
        ("openai-agents-chat", "fault-empty-stream", "empty-stream-accepted"),
        # content "" deltas are passed on as empty output_text.delta events
        ("openai-agents-chat", "chat-empty-deltas", "empty-text-event"),
        # response.incomplete (max_output_tokens) raises a generic ModelBehaviorError
        (
            "openai-agents-responses",
            "outcome-incomplete-max-tokens",
            "incomplete-reported-as-generic-error",
        ),
        # a failed response's server_error reaches the caller as that same generic error
        ("openai-agents-responses", "outcome-failed", "error-kind-mismatch"),
    ],
)
def test_observed_openai_agents_defects_are_reported(
    name: str, scenario_id: str, code: str
) -> None:
    from harness.run.runner import run_scenario

    run = run_scenario(BUNDLED[scenario_id], installed(name))
    assert code in {f.code for f in run.findings}
