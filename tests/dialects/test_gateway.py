"""The gateway dialect: JSON replies, SSE chunks with whole tool calls, FastAPI-style errors,
and an honest n/a for what the gateway cannot say."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import JsonValue

from harness.dialects import get_dialect
from harness.dialects.gateway import (
    CHAT_PATH,
    DIALECT,
    STREAM_PATH,
    GatewayDialect,
    gateway_error_payload,
)
from harness.dialects.script import Exchange, HttpDate
from harness.dialects.sse import decode
from harness.scenario.load import load_scenarios
from harness.scenario.model import Scenario
from tests.dialects import builders
from tests.dialects.builders import SCENARIOS, error, reply


def scenario(*attempts: dict[str, Any], stream: bool = True, **extra: Any) -> Scenario:
    return builders.scenario(*attempts, stream=stream, model="gpt-4o-mini", **extra)


TOOLS_REPLY = reply(
    parts=[
        {"text": "Let me check é😀.", "deltas": 3},
        {"tool_call": {"name": "weather", "arguments": {"city": "Paris"}, "fragments": 3}},
        {"tool_call": {"id": "call_given", "name": "time", "arguments": '{"tz": "CET"}'}},
    ],
    finish="tool_calls",
    usage={"input": 11, "output": 7, "cache_read": 2},
)


def one(s: Scenario) -> Exchange:
    (exchange,) = DIALECT.synthesize(s).exchanges
    return exchange


def header(exchange: Exchange, name: str) -> str | HttpDate:
    return dict(exchange.headers)[name]


def data_events(exchange: Exchange) -> list[str]:
    return [e.data for e in decode(exchange.body)]


def chunks_json(exchange: Exchange) -> list[dict[str, Any]]:
    return [json.loads(d) for d in data_events(exchange) if d != "[DONE]"]


def test_registered() -> None:
    assert get_dialect("gateway") is DIALECT
    assert isinstance(DIALECT, GatewayDialect)
    assert repr(DIALECT) == "GatewayDialect()"


def test_stream_structure() -> None:
    exchange = one(scenario(TOOLS_REPLY))
    assert (exchange.method, exchange.path, exchange.status, exchange.end) == (
        "POST",
        STREAM_PATH,
        200,
        "close",
    )
    assert str(header(exchange, "content-type")).startswith("text/event-stream")
    assert data_events(exchange)[-1] == "[DONE]"
    chunks = chunks_json(exchange)
    for c in chunks:
        assert set(c) == {"content", "tool_calls", "usage", "is_final", "finish_reason"}
    *deltas, final = chunks
    assert final == {
        "content": "",
        "tool_calls": [],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7},
        "is_final": True,
        "finish_reason": "tool_calls",
    }
    assert all(not c["is_final"] and c["usage"] is None for c in deltas)
    assert "".join(c["content"] for c in deltas) == "Let me check é😀."
    # each call comes whole, once, alone in its chunk; fragments collapse
    with_calls = [c for c in deltas if c["tool_calls"]]
    assert [len(c["tool_calls"]) for c in with_calls] == [1, 1]
    assert all(c["content"] == "" for c in with_calls)
    first, second = (c["tool_calls"][0] for c in with_calls)
    assert first["id"].startswith("call_") and first["name"] == "weather"
    assert first["arguments"] == {"city": "Paris"}
    assert second == {"id": "call_given", "name": "time", "arguments": {"tz": "CET"}}
    assert len(deltas) == 3 + 2


def test_reply_body_when_not_streamed() -> None:
    exchange = one(scenario(TOOLS_REPLY, stream=False))
    assert (exchange.path, exchange.status) == (CHAT_PATH, 200)
    assert header(exchange, "content-type") == "application/json"
    body = json.loads(exchange.body)
    assert body["id"].startswith("gen-")
    assert body["model"] == "gpt-4o-mini"
    assert body["content"] == "Let me check é😀."
    assert [c["name"] for c in body["tool_calls"]] == ["weather", "time"]
    assert body["tool_calls"][1]["arguments"] == {"tz": "CET"}
    assert body["finish_reason"] == "tool_calls"
    assert body["usage"] == {"prompt_tokens": 11, "completion_tokens": 7}


def test_reply_without_usage_sends_null() -> None:
    exchange = one(scenario(reply(parts=[{"text": "hi"}]), stream=False))
    assert json.loads(exchange.body)["usage"] is None
    final = chunks_json(one(scenario(reply(parts=[{"text": "hi"}]))))[-1]
    assert final["usage"] is None and final["finish_reason"] == "stop"


def test_output_is_deterministic_and_ids_differ_per_attempt() -> None:
    s = scenario(TOOLS_REPLY, TOOLS_REPLY)
    a, b = DIALECT.synthesize(s).exchanges
    again = DIALECT.synthesize(s).exchanges
    assert (a.body, b.body) == (again[0].body, again[1].body)
    call_a = chunks_json(a)[3]["tool_calls"][0]["id"]
    call_b = chunks_json(b)[3]["tool_calls"][0]["id"]
    assert call_a != call_b


@pytest.mark.parametrize(
    ("wire", "marker"),
    [
        ({"line_ending": "crlf"}, b"\r\n\r\n"),
        ({"data_space": False}, b"data:{"),
        ({"keepalive_every": 1}, b": keep-alive"),
    ],
)
def test_wire_options_apply(wire: dict[str, Any], marker: bytes) -> None:
    s = scenario(reply(parts=[{"text": "One, two.", "deltas": 3}], wire=wire))
    exchange = one(s)
    assert marker in exchange.body
    assert "".join(c["content"] for c in chunks_json(exchange)) == "One, two."


def test_chunking_and_delays() -> None:
    wire = {"chunking": {"every": 7}, "event_delay": 0.5, "first_byte_delay": 2}
    exchange = one(scenario(reply(parts=[{"text": "abcdef", "deltas": 3}], wire=wire)))
    assert exchange.delay == 2
    assert all(len(c.data) <= 7 for c in exchange.chunks)
    assert sum(c.delay for c in exchange.chunks) == pytest.approx(0.5 * 5)  # 3 + final + DONE


# --------------------------------------------------------------------------- faults


TEXT = reply(parts=[{"text": "abcdef", "deltas": 3}], usage={"input": 1, "output": 2})


def faulted(**fault: Any) -> Exchange:
    return one(scenario({"reply": {**TEXT["reply"], "fault": fault}}))


def test_faults_count_data_events() -> None:
    cut = faulted(cut_after=2)
    assert (len(data_events(cut)), cut.end) == (2, "cut")
    stall = faulted(stall_after=4)
    assert (data_events(stall)[-1] != "[DONE]", stall.end) == (True, "stall")
    truncated = faulted(truncate_after=10)  # at most the content events: no final, no DONE
    assert [c["is_final"] for c in chunks_json(truncated)] == [False] * 3
    assert data_events(truncated)[-1] != "[DONE]"
    assert faulted(empty=True).body == b""
    assert data_events(faulted(terminator_only=True)) == ["[DONE]"]


def test_malformed_event_and_its_bounds() -> None:
    events = data_events(faulted(malformed_at=1))
    with pytest.raises(ValueError):
        json.loads(events[1])
    with pytest.raises(ValueError, match=r"malformed_at=5 is past the end.*5 data events"):
        faulted(malformed_at=5)


def test_error_payload_in_gateway_shape_is_sent_as_is() -> None:
    payload = {"error": "upstream_error", "detail": "Provider returned HTTP 500"}
    events = data_events(faulted(error_payload=payload))
    assert json.loads(events[-1]) == payload
    assert len(events) == 4 and "[DONE]" not in events


def test_provider_shaped_error_payload_is_translated() -> None:
    openai: dict[str, JsonValue] = {
        "error": {"message": "Boom.", "type": "server_error", "code": None}
    }
    assert gateway_error_payload(openai) == {"error": "server_error", "detail": "Boom."}
    assert gateway_error_payload({"message": "x", "code": "overloaded"}) == {
        "error": "overloaded",
        "detail": "x",
    }
    assert gateway_error_payload({"error": "plain"}) == {"error": "plain", "detail": ""}
    assert gateway_error_payload({}) == {"error": "upstream_error", "detail": ""}


# --------------------------------------------------------------------------- errors


def test_401_says_token_expired() -> None:
    exchange = one(scenario(error(401), dialects=["gateway"]))
    assert exchange.status == 401 and exchange.path == STREAM_PATH
    assert json.loads(exchange.body) == {"detail": "Token expired"}
    assert 'error="invalid_token"' in str(header(exchange, "www-authenticate"))


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (404, "Model 'gpt-4o-mini' not found"),
        (502, "Upstream provider error: the provider returned HTTP 500 for model 'gpt-4o-mini'"),
        (418, "Invalid request: messages must not be empty"),
        (599, "Internal gateway error"),
    ],
)
def test_default_error_details(status: int, detail: str) -> None:
    exchange = one(scenario(error(status), stream=False, dialects=["gateway"]))
    assert exchange.path == CHAT_PATH
    assert json.loads(exchange.body) == {"detail": detail}


def test_error_body_headers_and_retry_after_forms() -> None:
    s = scenario(
        error(429, retry_after=2),
        error(429, retry_after=1.5, retry_after_form="ms"),
        error(429, retry_after=3, retry_after_form="http_date"),
        error(502, body={"detail": "custom"}, headers={"X-Trace": "t1"}),
        reply(),
    )
    a, b, c, d, _ = DIALECT.synthesize(s).exchanges
    assert header(a, "retry-after") == "2"
    assert header(b, "retry-after-ms") == "1500"
    assert header(c, "retry-after") == HttpDate(3)
    assert json.loads(d.body) == {"detail": "custom"} and header(d, "x-trace") == "t1"


# --------------------------------------------------------------------------- n/a


@pytest.mark.parametrize(
    ("s", "reason"),
    [
        (scenario(reply(parts=[{"reasoning": "hm"}])), "no reasoning"),
        (scenario(reply(outcome="failed")), "no run outcome"),
        (scenario(reply(finish="error")), "no 'error' finish"),
        (
            scenario(reply(parts=[{"tool_call": {"name": "f", "arguments": "{oops"}}])),
            "JSON object",
        ),
        (
            scenario(reply(parts=[{"tool_call": {"name": "f", "arguments": "[1]"}}])),
            "JSON object",
        ),
        (
            scenario(reply(parts=[{"tool_call": {"name": "f", "fragments": 3}}])),
            "nothing but argument fragments",
        ),
        (
            scenario(
                reply(
                    parts=[{"text": "a"}, {"tool_call": {"name": "f", "fragments": 3}}],
                    fault={"cut_after": 2},
                )
            ),
            "counts argument fragments",
        ),
        (scenario(reply(wire={"usage_chunk": True})), "no separate usage chunk"),
        (scenario(error(401), reply()), "written for static API keys"),
        (scenario(reply(fault={"empty": True}), stream=False), "streamed request"),
        (scenario(reply(), dialects=["openai-chat"]), "limited to dialects"),
    ],
)
def test_not_applicable(s: Scenario, reason: str) -> None:
    found = DIALECT.supports(s)
    assert found is not None and reason in found
    with pytest.raises(ValueError, match=r"scenario demo: cannot synthesize for gateway"):
        DIALECT.synthesize(s)


def test_what_the_gateway_can_say() -> None:
    fragmented_with_text = reply(
        parts=[{"text": "a"}, {"tool_call": {"name": "f", "fragments": 3}}],
        finish="tool_calls",
    )
    assert DIALECT.supports(scenario(fragmented_with_text)) is None
    assert DIALECT.supports(scenario(error(401), reply(), dialects=["gateway"])) is None
    # non-streamed: fragments and the usage chunk mean nothing
    nonstream = reply(parts=[{"tool_call": {"name": "f", "fragments": 3}}], wire={"usage_chunk": 1})
    assert DIALECT.supports(scenario(nonstream, stream=False)) is None


def test_bundled_scenarios_compile_or_say_why() -> None:
    not_applicable = {}
    for s in load_scenarios(SCENARIOS):
        reason = DIALECT.supports(s)
        if reason is None:
            assert DIALECT.synthesize(s).exchanges
        elif s.dialects is None:
            not_applicable[s.id] = reason
    # others may be added; these are n/a for the reasons documented in the dialect
    assert set(not_applicable) >= {
        "fault-http-401",
        "fault-truncated-tool-args",
        "tool-call-fragmented",
        "tool-calls-parallel",
        "usage-separate-chunk",
    }
