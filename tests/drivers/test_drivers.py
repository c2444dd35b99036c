"""The three OpenAI-chat drivers: request building and event mapping (no adapter needed),
and the openai SDK's own behaviour on a truncated stream. What every driver must do end to
end is the contract test, ``test_driver_contract.py``."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import pytest

from harness.drivers.common import (
    ChatStream,
    completion_events,
    openai_messages,
    openai_tools,
    parse_arguments,
)
from harness.drivers.strands_litellm import StrandsEvents, strands_messages
from harness.scenario.model import Request, Scenario
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.drivers.adapters import events_of, scenario_of

WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
TOOL_TURN = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "tool_calls": [
            {"id": "call_p", "name": "get_weather", "arguments": {"city": "Paris"}},
            {"id": "call_r", "name": "get_weather", "arguments": {"city": "Rome"}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_p", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_r", "content": "rain"},
]


# --------------------------------------------------------------------------- request shape


def test_openai_messages_carry_tool_calls_and_results() -> None:
    request = Request.model_validate({"messages": TOOL_TURN, "tools": [WEATHER]})
    messages = openai_messages(request)
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[2]["content"] is None
    assert messages[2]["tool_calls"][1] == {
        "id": "call_r",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
    }
    assert messages[4] == {"role": "tool", "content": "rain", "tool_call_id": "call_r"}
    assert openai_tools(request)[0]["function"]["parameters"] == WEATHER["parameters"]


def test_strands_messages_group_tool_results_in_one_user_turn() -> None:
    request = Request.model_validate({"messages": TOOL_TURN})
    messages, system = strands_messages(request)
    assert system == [{"text": "Be brief."}]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"][0] == {
        "toolUse": {"toolUseId": "call_p", "name": "get_weather", "input": {"city": "Paris"}}
    }
    results = [block["toolResult"] for block in messages[2]["content"]]
    assert [(r["toolUseId"], r["content"]) for r in results] == [
        ("call_p", [{"text": "sunny"}]),
        ("call_r", [{"text": "rain"}]),
    ]


# --------------------------------------------------------------------------- chunk mapping


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None, usage: Any = None) -> NS:
    choices = [] if delta is None else [NS(index=0, delta=NS(**delta), finish_reason=finish)]
    return NS(choices=choices, usage=usage)


def _call(index: int, args: str, call_id: str | None = None, name: str | None = None) -> NS:
    return NS(index=index, id=call_id, function=NS(name=name, arguments=args))


def _stream(chunks: list[NS]) -> list[Event]:
    mapper = ChatStream()
    events = [e for chunk in chunks for e in mapper.feed(chunk)]
    return events + mapper.close()


def test_chat_stream_assembles_fragments_by_index_and_ends_with_the_finish() -> None:
    events = _stream(
        [
            _chunk({"content": "", "reasoning_content": "hm"}),
            _chunk({"content": "Hi", "tool_calls": [_call(0, "", "call_a", "f")]}),
            _chunk({"tool_calls": [_call(1, '{"b"', "call_b", "g"), _call(0, '{"a":')]}),
            _chunk({"tool_calls": [_call(0, "1}", None, "f"), _call(1, ":2}")]}),
            _chunk({}, finish="tool_calls"),
            _chunk(None, usage=NS(prompt_tokens=3, completion_tokens=4)),
        ]
    )
    assert events == [
        ReasoningEvent(text="hm"),
        TextEvent(text="Hi"),
        ToolCallEvent(id="call_a", name="f", arguments={"a": 1}),
        ToolCallEvent(id="call_b", name="g", arguments={"b": 2}),
        UsageEvent(input=3, output=4),
        FinishEvent(reason="tool_calls", raw="tool_calls"),
    ]


def test_chat_stream_invents_no_finish_and_keeps_unparseable_arguments() -> None:
    events = _stream([_chunk({"content": "x", "tool_calls": [_call(0, '{"a": 1', "c", "f")]})])
    assert events == [
        TextEvent(text="x"),
        ToolCallEvent(id="c", name="f", arguments=None, raw='{"a": 1'),
    ]


def test_chat_stream_counts_the_first_finish_only() -> None:
    events = _stream([_chunk({}, finish="length"), _chunk({}, finish="stop")])
    assert events == [FinishEvent(reason="length", raw="length")]


def test_chat_stream_unknown_finish_keeps_the_raw_reason() -> None:
    assert _stream([_chunk({}, finish="eos")]) == [FinishEvent(reason=None, raw="eos")]


def test_chat_stream_maps_refusal_and_a_legacy_function_call() -> None:
    """delta.refusal pieces are refusal events (never text); a legacy delta.function_call
    (no id, no index) is one call whose arguments are its pieces joined."""
    events = _stream(
        [
            _chunk({"content": None, "refusal": "I can"}),
            _chunk({"refusal": "'t."}),
            _chunk({"function_call": NS(name="f", arguments='{"a"')}),
            _chunk({"function_call": NS(name=None, arguments=":1}")}),
            _chunk({}, finish="function_call"),
        ]
    )
    assert events == [
        RefusalEvent(text="I can"),
        RefusalEvent(text="'t."),
        ToolCallEvent(id=None, name="f", arguments={"a": 1}),
        FinishEvent(reason="tool_calls", raw="function_call"),
    ]


def test_completion_events_read_refusal_where_litellm_keeps_it() -> None:
    message = NS(content=None, provider_specific_fields={"refusal": "No."})
    response = NS(choices=[NS(message=message, finish_reason="stop")], usage=None)
    assert completion_events(response) == [
        RefusalEvent(text="No."),
        FinishEvent(reason="stop", raw="stop"),
    ]


def test_completion_events_end_a_choice_without_a_reason_with_a_reasonless_finish() -> None:
    response = NS(choices=[NS(message=NS(content="Hi"), finish_reason=None)], usage=None)
    assert completion_events(response) == [TextEvent(text="Hi"), FinishEvent(reason=None)]
    assert completion_events(NS(choices=[], usage=None)) == []  # no choice: no reply


def test_completion_events() -> None:
    call = NS(id="c1", function=NS(name="f", arguments='{"x": [1]}'))
    message = NS(content="Hi", tool_calls=[call], model_extra={"reasoning": "r"})
    usage = NS(
        prompt_tokens=5,
        completion_tokens=2,
        prompt_tokens_details=NS(cached_tokens=4),
    )
    response = NS(choices=[NS(message=message, finish_reason="stop")], usage=usage)
    assert completion_events(response) == [
        ReasoningEvent(text="r"),
        TextEvent(text="Hi"),
        ToolCallEvent(id="c1", name="f", arguments={"x": [1]}),
        UsageEvent(input=5, output=2, cache_read=4),
        FinishEvent(reason="stop", raw="stop"),
    ]


def test_parse_arguments() -> None:
    assert parse_arguments('{"a": "é"}') == ({"a": "é"}, None)
    # servers that send arguments "" mean a call without arguments (issue 16)
    assert parse_arguments("") == ({}, None)
    assert parse_arguments(" ") == ({}, None)
    assert parse_arguments("[1]") == ([1], None)


def test_strands_events_mapping() -> None:
    mapper = StrandsEvents()
    stream: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"start": {}}},
        {"contentBlockDelta": {"delta": {"reasoningContent": {"text": "hm"}}}},
        {"contentBlockDelta": {"delta": {"text": "Hi"}}},
        {"contentBlockStop": {}},
        {"contentBlockStart": {"start": {"toolUse": {"name": "f", "toolUseId": "c1"}}}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"a"'}}}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": ": 1}"}}}},
        {"contentBlockStop": {}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}}},
    ]
    events = [e for item in stream for e in mapper.feed(item)] + mapper.close()
    assert events == [
        ReasoningEvent(text="hm"),
        TextEvent(text="Hi"),
        ToolCallEvent(id="c1", name="f", arguments={"a": 1}),
        UsageEvent(input=3, output=4),
        FinishEvent(reason="tool_calls", raw="tool_use"),
    ]


# --------------------------------------------------------------------------- end to end


def _run(driver_name: str, scenario: Scenario) -> tuple[list[Event], int]:
    return events_of(driver_name, scenario)


USER = [{"role": "user", "content": "Hi"}]


@pytest.mark.adapters
def test_openai_sdk_truncated_stream_has_no_terminal_event() -> None:
    """The driver invents nothing: the SDK ends quietly, so the transcript has no finish."""
    scenario = scenario_of(
        "truncated",
        {"messages": USER},
        [{"reply": {"parts": [{"text": "Hello there", "deltas": ["Hello", " there"]}],
                    "fault": {"truncate_after": 2}}}],
    )  # fmt: skip
    events, _ = _run("openai-sdk-chat", scenario)
    assert events == [TextEvent(text="Hello")]
