"""The cohere-v2 dialect: synthesized /v2/chat streams are the named events Cohere sends,
the cohere SDK's own event types accept every one, and a fault's error payload ends the
stream with ``message-end`` ``finish_reason: ERROR``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.dialects import get_dialect
from harness.dialects.cohere_v2 import DIALECT, PATH
from harness.dialects.sse import decode
from harness.scenario.model import ReplyWrapper, Scenario
from tests.dialects import builders
from tests.dialects.builders import bundled, error, reply

TOOL = reply(
    parts=[
        {"text": "Let me check.", "deltas": 2},
        {"tool_call": {"name": "weather", "arguments": '{"city": "Paris"}',
                       "fragments": ['{"ci', 'ty": "Pa', 'ris"}']}},
    ],
    finish="tool_calls",
    usage={"input": 11, "output": 7},
)  # fmt: skip


def scenario(*attempts: dict[str, Any], stream: bool = True) -> Scenario:
    return builders.scenario(*attempts, stream=stream, model="command-a-03-2025")


def datas(s: Scenario, n: int = 0) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in decode(DIALECT.synthesize(s).exchanges[n].body)]


def test_registered_and_recognised() -> None:
    assert get_dialect("cohere-v2") is DIALECT
    assert DIALECT.recognise(PATH, b"") == 100
    assert DIALECT.recognise("/x", b'event: message-start\ndata: {"type":"message-start"}') > 0


def test_event_order_of_text_then_a_fragmented_call() -> None:
    events = datas(scenario(TOOL))
    assert [e["type"] for e in events] == [
        "message-start",
        "content-start",
        "content-delta",
        "content-delta",
        "content-end",
        "tool-call-start",
        *["tool-call-delta"] * 3,
        "tool-call-end",
        "message-end",
    ]
    start = events[5]["delta"]["message"]["tool_calls"]
    assert start["function"] == {"name": "weather", "arguments": ""}
    pieces = [e["delta"]["message"]["tool_calls"]["function"]["arguments"] for e in events[6:9]]
    assert pieces == ['{"ci', 'ty": "Pa', 'ris"}']
    end = events[-1]["delta"]
    assert end["finish_reason"] == "TOOL_CALL"
    assert end["usage"]["tokens"] == {"input_tokens": 11, "output_tokens": 7}


def test_error_payload_is_message_end_with_finish_reason_error() -> None:
    s = scenario(
        {"reply": {**TOOL["reply"], "fault": {"error_payload": {"error": {"message": "boom"}}}}}
    )
    end = datas(s)[-1]
    assert end["type"] == "message-end"
    assert end["delta"] == {"finish_reason": "ERROR", "error": "boom"}


def test_http_429_keeps_the_retry_hint() -> None:
    ex = DIALECT.synthesize(scenario(error(429, retry_after=2), TOOL)).exchanges[0]
    assert ex.status == 429 and dict(ex.headers)["retry-after"] == "2"
    assert "Trial key" in json.loads(ex.body)["message"]


def test_text_after_a_tool_call_is_n_a() -> None:
    parts = [{"tool_call": {"name": "f", "arguments": {}}}, {"text": "after"}]
    reason = DIALECT.supports(scenario(reply(parts=parts, finish="tool_calls")))
    assert reason is not None and "before its tool calls" in reason


@pytest.mark.parametrize(
    "s", [s for s in bundled("cohere-v2") if s.request.stream], ids=lambda s: s.id
)
def test_the_cohere_sdk_types_accept_every_event(s: Scenario) -> None:
    pytest.importorskip("cohere")
    from cohere.core.unchecked_base_model import construct_type
    from cohere.v2.types.v2chat_stream_response import V2ChatStreamResponse
    from pydantic import TypeAdapter

    script = DIALECT.synthesize(s)
    for attempt, ex in zip(s.attempts, script.exchanges, strict=True):
        if not isinstance(attempt, ReplyWrapper) or attempt.reply.fault is not None:
            continue
        for event in decode(ex.body):
            if event.event == "harness.unknown":  # wire-unknown-events: for no client to know
                continue
            data = json.loads(event.data)
            TypeAdapter(V2ChatStreamResponse).validate_python(data)
            assert construct_type(type_=V2ChatStreamResponse, object_=data).type == data["type"]
