"""The pydantic-ai drivers: the conversation as pydantic-ai messages and the mapping of its
responses (no network, pydantic-ai imported), then the REAL models end to end through the
runner (``adapters`` marker): what they pass on, their retries, and the defects of this
pydantic-ai version, each named by its finding code on a bundled scenario."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.drivers.base import get_driver
from harness.drivers.pydantic_ai_agent import SnapshotDeltas
from harness.drivers.pydantic_ai_common import (
    PydanticAIStream,
    pydantic_messages,
    refusal_of,
    request_parameters,
    response_end_events,
    response_events,
)
from harness.matrix.envs import is_built
from harness.scenario.load import load_scenarios
from harness.scenario.model import Request
from harness.vocab.events import (
    ErrorEvent,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.drivers.adapters import events_of, installed, scenario_of
from tests.drivers.one_attempt import single_attempt
from tests.drivers.standalone import as_in_a_reproducer

pytest.importorskip("pydantic_ai")  # the unit tests build pydantic-ai objects

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = {s.id: s for s in load_scenarios(SCENARIOS)}
MAIN_ENV = ["pydantic-ai-openai-chat", "pydantic-ai-openai-responses", "pydantic-ai-agent"]
WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
USER = [{"role": "user", "content": "Hi"}]
TOOL_TURN = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [{"id": "call_p", "name": "get_weather", "arguments": {"city": "Paris"}}],
    },
    {"role": "tool", "tool_call_id": "call_p", "content": "sunny"},
]


# --------------------------------------------------------------------------- request


def test_conversation_becomes_requests_and_responses() -> None:
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    request = Request.model_validate({"messages": TOOL_TURN, "tools": [WEATHER]})
    first, answer, results = pydantic_messages(request)
    assert isinstance(first, ModelRequest) and isinstance(answer, ModelResponse)
    assert [type(p) for p in first.parts] == [SystemPromptPart, UserPromptPart]
    assert isinstance(answer.parts[0], TextPart) and answer.parts[0].content == "Checking."
    call = answer.parts[1]
    assert isinstance(call, ToolCallPart)
    assert (call.tool_name, call.args, call.tool_call_id) == (
        "get_weather",
        {"city": "Paris"},
        "call_p",
    )
    (result,) = results.parts
    assert isinstance(result, ToolReturnPart)
    assert (result.tool_name, result.tool_call_id, result.content) == (
        "get_weather",
        "call_p",
        "sunny",
    )
    (tool,) = request_parameters(request).function_tools
    assert (tool.name, tool.parameters_json_schema) == ("get_weather", WEATHER["parameters"])


# --------------------------------------------------------------------------- events


def _response(parts: list[Any], **fields: Any) -> Any:
    from pydantic_ai.messages import ModelResponse
    from pydantic_ai.usage import RequestUsage

    usage = RequestUsage(**fields.pop("usage", {}))
    return ModelResponse(parts=parts, usage=usage, **fields)


def test_stream_events_are_the_text_and_thinking_deltas() -> None:
    from pydantic_ai.messages import (
        PartDeltaEvent,
        PartStartEvent,
        TextPart,
        TextPartDelta,
        ThinkingPart,
        ThinkingPartDelta,
        ToolCallPart,
    )

    stream = PydanticAIStream()
    items = [
        PartStartEvent(index=0, part=ThinkingPart(content="Hm")),
        PartDeltaEvent(index=0, delta=ThinkingPartDelta(content_delta="m.")),
        PartStartEvent(index=1, part=TextPart(content="He")),
        PartDeltaEvent(index=1, delta=TextPartDelta(content_delta="llo")),
        PartStartEvent(index=2, part=ToolCallPart(tool_name="get_weather", args="{")),
    ]
    assert [e for item in items for e in stream.feed(item)] == [
        ReasoningEvent(text="Hm"),
        ReasoningEvent(text="m."),
        TextEvent(text="He"),
        TextEvent(text="llo"),
    ]


def test_finished_response_gives_calls_refusal_usage_and_its_own_finish() -> None:
    from pydantic_ai.messages import TextPart, ToolCallPart

    call = ToolCallPart(tool_name="get_weather", args='{"city":"Paris"}', tool_call_id="c1")
    response = _response(
        [TextPart(content="ok"), call],
        usage={"input_tokens": 9, "output_tokens": 0, "cache_read_tokens": 2},
        finish_reason="tool_call",
        provider_details={"refusal": "No."},
    )
    assert response_events(response) == [
        TextEvent(text="ok"),
        ToolCallEvent(id="c1", name="get_weather", arguments={"city": "Paris"}),
        RefusalEvent(text="No."),
        UsageEvent(input=9, output=0, cache_read=2),
        FinishEvent(reason="tool_calls", raw="tool_call"),
    ]


def test_no_finish_reason_and_no_usage_are_passed_on_as_none() -> None:
    """pydantic-ai counts unreported usage as 0 and may give no finish reason: the driver
    invents neither."""
    assert response_end_events(_response([])) == [FinishEvent(reason=None, raw=None)]


def test_a_response_left_incomplete_is_the_error_item() -> None:
    from pydantic_ai.messages import ToolCallPart

    partial = ToolCallPart(tool_name="get_weather", args='{"ci', tool_call_id="c1")
    events = response_end_events(_response([partial], state="incomplete"))
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    assert (events[0].error, events[0].type) == ("protocol", "pydantic_ai.messages.ModelResponse")


def test_agent_snapshots_become_deltas() -> None:
    from pydantic_ai.messages import TextPart, ThinkingPart

    deltas = SnapshotDeltas()
    seen = [
        deltas.feed(_response(parts))
        for parts in (
            [ThinkingPart(content="a")],
            [ThinkingPart(content="ab"), TextPart(content="Hel")],
            [ThinkingPart(content="ab"), TextPart(content="Hello")],
            [ThinkingPart(content="ab"), TextPart(content="Hello")],
        )
    ]
    assert seen == [
        [ReasoningEvent(text="a")],
        [ReasoningEvent(text="b"), TextEvent(text="Hel")],
        [TextEvent(text="lo")],
        [],
    ]


@pytest.mark.parametrize("find", [refusal_of, as_in_a_reproducer(refusal_of)])
def test_the_refusal_inside_a_content_filter_error_is_found(find: Any) -> None:
    from pydantic_ai.exceptions import ContentFilterError
    from pydantic_ai.messages import ModelMessagesTypeAdapter

    refused = _response([], provider_details={"refusal": "I can't."})
    body = ModelMessagesTypeAdapter.dump_json([refused]).decode()
    assert find(ContentFilterError("Content filter triggered.", body=body)) == "I can't."
    assert find(ContentFilterError("Content filter triggered.", body="not json")) == ""


def test_declared_as_documented() -> None:
    for name in MAIN_ENV:
        driver = get_driver(name)
        assert (driver.extra, driver.http_library) == ("pydantic-ai", "httpx")
        assert not getattr(driver, "environment", ())
    anthropic = get_driver("pydantic-ai-anthropic")
    assert anthropic.dialect == "anthropic-messages"
    assert getattr(anthropic, "environment", ()) == (
        "pydantic-ai-slim[anthropic]==2.31.1",
        "anthropic>=0.108,<1",
    )
    agent = get_driver("pydantic-ai-agent")
    assert agent.supports(BUNDLED["nonstream-tool-call"]) is not None
    assert agent.supports(BUNDLED["text-plain"]) is None


# --------------------------------------------------------------------------- real adapters


@pytest.mark.adapters
@pytest.mark.parametrize("name", MAIN_ENV)
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
    assert "".join(e.text for e in events if isinstance(e, TextEvent)) == "Let me see."
    assert [e for e in events if isinstance(e, ToolCallEvent)] == [
        ToolCallEvent(id="call_w1", name="get_weather", arguments={"city": "Paris"})
    ]
    assert UsageEvent(input=9, output=7) in events and requests == 1


@pytest.mark.adapters
@pytest.mark.parametrize("name", MAIN_ENV)
def test_the_sdk_retries_apply_and_max_retries_overrides_them(name: str) -> None:
    error = {"error": {"status": 503}}
    scenario = scenario_of("unavailable", {"messages": USER}, [error, error, error])
    events, requests = events_of(name, scenario)
    last = events[-1]
    assert isinstance(last, ErrorEvent) and (last.error, last.status) == ("server", 503)
    assert last.type == "pydantic_ai.exceptions.ModelHTTPError" and requests == 3
    assert single_attempt(installed(name), scenario) == 1


@pytest.mark.adapters
@pytest.mark.parametrize(
    ("name", "scenario_id", "code"),
    [
        # a cut stream is a complete response: state 'complete', no finish, no error
        ("pydantic-ai-openai-chat", "fault-truncated-stream", "truncated-stream-accepted"),
        ("pydantic-ai-agent", "fault-truncated-stream", "truncated-stream-accepted"),
        # usage repeated on two chunks is added up
        ("pydantic-ai-openai-chat", "chat-usage-repeated", "usage-wrong"),
        # parallel calls that reuse index 0 are merged into one
        (
            "pydantic-ai-openai-chat",
            "chat-tool-calls-index-zero",
            "tool-call-index-reused-mishandled",
        ),
        # a refusal with finish_reason stop is reported as content_filter
        ("pydantic-ai-openai-chat", "chat-refusal", "finish-mismatch"),
        # streamed response.incomplete / response.failed: no finish, no error
        ("pydantic-ai-openai-responses", "finish-length-partial-text", "finish-mismatch"),
        ("pydantic-ai-openai-responses", "outcome-failed", "failed-run-reported-as-success"),
        # the arguments of function_call_arguments.done are ignored
        ("pydantic-ai-openai-responses", "tool-call-args-done-only", "tool-args-done-ignored"),
    ],
)
def test_observed_pydantic_ai_defects_are_reported(name: str, scenario_id: str, code: str) -> None:
    from harness.run.runner import run_scenario

    run = run_scenario(BUNDLED[scenario_id], installed(name))
    assert code in {f.code for f in run.findings}


@pytest.mark.adapters
def test_a_completed_responses_reply_of_calls_may_say_stop_as_declared() -> None:
    """pydantic-ai maps a Responses status ``completed`` to 'stop', calls or not
    (openai.py:300-306); the wire names no tool-call finish, so the contract declares it and
    the cell passes, the relaxation listed; on chat completions, 'tool_calls' is still due."""
    from harness.run.runner import run_scenario

    driver = installed("pydantic-ai-openai-responses")
    run = run_scenario(BUNDLED["tool-call-fragmented"], driver)
    assert run.status == "pass", run.reason()
    assert any("tool calls finish" in line for line in driver.contract.deviations())
    chat = run_scenario(BUNDLED["tool-call-fragmented"], installed("pydantic-ai-openai-chat"))
    assert chat.status == "pass", chat.reason()


needs_env = pytest.mark.skipif(
    not (is_built("pydantic-ai-anthropic") or os.environ.get("HARNESS_SLOW") == "1"),
    reason="pydantic-ai-anthropic's environment is not built (make conformance, or HARNESS_SLOW=1)",
)


@pytest.mark.adapters
@pytest.mark.slow
@needs_env
def test_anthropic_model_in_its_own_environment() -> None:
    """pydantic-ai 2.31.1's AnthropicModel on the anthropic 0.x SDK: text, a paused turn,
    and the defects it shows there (a cut stream accepted, a bare AssertionError)."""
    from harness.matrix.run import run_matrix

    ids = ["text-plain", "finish-pause-turn", "fault-truncated-stream", "fault-terminator-only"]
    m = run_matrix(["pydantic-ai-anthropic"], [SCENARIOS / f"{s}.yaml" for s in ids], ids)
    cells = {sid: m.cell("pydantic-ai-anthropic", sid) for sid in ids}
    assert all(c is not None and c.status != "error" for c in cells.values())
    assert cells["text-plain"].status == cells["finish-pause-turn"].status == "pass"  # type: ignore[union-attr]
    codes = {sid: {f.code for f in c.findings} for sid, c in cells.items() if c is not None}
    assert "truncated-stream-accepted" in codes["fault-truncated-stream"]
    assert "error-type-undeclared" in codes["fault-terminator-only"]
    transcript = cells["text-plain"].transcript  # type: ignore[union-attr]
    assert transcript is not None and transcript.versions["anthropic"].startswith("0.")
