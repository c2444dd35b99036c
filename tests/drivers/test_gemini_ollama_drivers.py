"""The Gemini and Ollama drivers (google-genai, ollama-sdk, litellm-gemini, litellm-ollama):
registry and lazy imports, the request each builds (no adapter needed), then the REAL
adapters end to end through the runner, their dialect and the replay transport
(``adapters`` marker; a driver whose library is missing skips).

The end-to-end tests pin what the pinned libraries do, findings included: they check that
harness reports each adapter's behaviour correctly, not that the adapter is right."""

from __future__ import annotations

from typing import Any

import pytest

from harness.drivers.base import get_driver
from harness.drivers.google_genai import genai_config, genai_contents
from harness.drivers.ollama_sdk import ollama_kwargs
from harness.scenario.model import Request, Scenario
from harness.vocab.events import ErrorEvent, Event, FinishEvent, TextEvent, ToolCallEvent
from tests.drivers.adapters import events_of, imported_by_lookup, installed, scenario_of

DRIVERS = {
    "google-genai": ("gemini", "httpx2", "gemini"),
    "ollama-sdk": ("ollama", "httpx", "ollama"),
    "litellm-gemini": ("gemini", "httpx", "litellm"),
    "litellm-ollama": ("ollama", "httpx", "litellm"),
}
WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
HISTORY: list[dict[str, Any]] = [
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


def test_registered_as_declared_and_lazy() -> None:
    for name, (dialect, library, extra) in DRIVERS.items():
        driver = get_driver(name)
        assert (driver.dialect, driver.http_library, driver.extra) == (dialect, library, extra)
    assert imported_by_lookup(sorted(DRIVERS), ("google.genai", "ollama", "litellm")) == []


def test_genai_request_keeps_the_tool_turn() -> None:
    request = Request.model_validate({"messages": HISTORY, "tools": [WEATHER], "max_tokens": 9})
    contents = genai_contents(request)
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"] == [
        {"text": "Checking."},
        {"function_call": {"name": "get_weather", "args": {"city": "Paris"}}},
        {"function_call": {"name": "get_weather", "args": {"city": "Rome"}}},
    ]
    answers = [p["function_response"] for p in contents[2]["parts"]]
    assert answers == [
        {"name": "get_weather", "response": {"result": "sunny"}},
        {"name": "get_weather", "response": {"result": "rain"}},
    ]
    config = genai_config(request)
    assert config["system_instruction"] == "Be brief." and config["max_output_tokens"] == 9
    declared = config["tools"][0]["function_declarations"][0]
    assert declared["parameters_json_schema"] == WEATHER["parameters"]


def test_ollama_request_names_the_tool_a_result_answers() -> None:
    request = Request.model_validate({"messages": HISTORY, "tools": [WEATHER], "max_tokens": 9})
    kwargs = ollama_kwargs(request)
    assert kwargs["model"] == "gpt-4o-mini:latest" and kwargs["options"] == {"num_predict": 9}
    tool_turns = [m for m in kwargs["messages"] if m["role"] == "tool"]
    assert [m["tool_name"] for m in tool_turns] == ["get_weather", "get_weather"]
    assistant = kwargs["messages"][2]
    assert assistant["tool_calls"][0] == {
        "function": {"name": "get_weather", "arguments": {"city": "Paris"}}
    }


# --------------------------------------------------------------------------- end to end


def _events(name: str, request: dict[str, Any], attempts: list[Any]) -> tuple[list[Event], int]:
    return events_of(name, scenario_of("s", request, attempts))


def _plain(events: list[Event]) -> list[Event]:
    """The events without usage, and tool-call ids left out (litellm invents its own)."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, ToolCallEvent):
            out.append(event.model_copy(update={"id": None}))
        elif event.kind != "usage":
            out.append(event)
    return out


@pytest.mark.adapters
@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_text_stream(name: str) -> None:
    reply = {"parts": [{"text": "Héllo, wörld", "deltas": ["Hé", "llo, ", "wörld"]}],
             "usage": {"input": 5, "output": 3}}  # fmt: skip
    events, requests = _events(name, {"messages": [HISTORY[1]]}, [{"reply": reply}])
    assert _plain(events)[:3] == [
        TextEvent(text="Hé"),
        TextEvent(text="llo, "),
        TextEvent(text="wörld"),
    ]
    assert isinstance(events[-1], FinishEvent) and events[-1].reason == "stop"
    assert requests == 1


@pytest.mark.adapters
@pytest.mark.parametrize("name", ["google-genai", "ollama-sdk"])
@pytest.mark.parametrize("stream", [True, False])
def test_a_fragmented_tool_call_arrives_whole_after_a_tool_turn(name: str, stream: bool) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Oslo"},
            "fragments": ['{"ci', 'ty":', '"Oslo"}']}  # fmt: skip
    reply = {"parts": [{"tool_call": call}], "finish": "tool_calls",
             "usage": {"input": 9, "output": 7}}  # fmt: skip
    request = {"messages": HISTORY, "tools": [WEATHER], "stream": stream}
    events, _ = _events(name, request, [{"reply": reply}])
    assert _plain(events) == [
        ToolCallEvent(name="get_weather", arguments={"city": "Oslo"}),
        FinishEvent(reason="tool_calls", raw="STOP" if name == "google-genai" else "stop"),
    ]


@pytest.mark.adapters
@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_a_429_with_the_retry_hint_is_not_retried_as_shipped(name: str) -> None:
    """None of these retries by default (google-genai: retry_options unset; ollama: no
    retry at all; litellm: num_retries unset): one request, a rate-limit error."""
    events, requests = _events(
        name,
        {"messages": [HISTORY[1]]},
        [{"error": {"status": 429, "retry_after": 3}}, {"reply": {"parts": [{"text": "ok"}]}}],
    )
    assert requests == 1 and len(events) == 1 and isinstance(events[0], ErrorEvent)
    # litellm's ollama_chat maps HTTP errors by their text only and raises the rest as
    # APIConnectionError with status 500 (litellm/litellm_core_utils/
    # exception_mapping_utils.py:2032-2068): the kind survives in the message alone
    status = 500 if name == "litellm-ollama" else 429
    assert (events[0].error, events[0].status, events[0].leaked) == ("rate_limit", status, False)


@pytest.mark.adapters
def test_google_genai_retries_when_asked_but_never_reads_retry_info() -> None:
    from harness.dialects import get_dialect
    from harness.drivers.base import DriverContext
    from harness.transport.clock import Clock
    from harness.transport.core import Replay

    scenario = Scenario.model_validate(
        {
            "id": "s",
            "request": {"messages": [HISTORY[1]]},
            "attempts": [
                {"error": {"status": 429, "retry_after": 30}},
                {"reply": {"parts": [{"text": "ok"}]}},
            ],
            "expect": {},
        }
    )
    clock = Clock()
    replay = Replay(get_dialect("gemini").synthesize(scenario), clock)
    ctx = DriverContext(
        scenario=scenario, replay=replay, clock=clock, options={"retry_attempts": 2}
    )

    async def collect() -> list[Event]:
        return [event async for event in installed("google-genai").run(ctx)]

    events = clock.run(collect)
    assert [e.kind for e in events][:1] == ["text"] and len(replay.log) == 2
    waited = replay.log[1].at - replay.log[0].at
    assert waited < 30  # its backoff (about 1 s), not the 30 s RetryInfo asks for
