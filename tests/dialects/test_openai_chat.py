"""The openai-chat dialect: synthesized streams decode to the chunks the real API sends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.dialects import get_dialect
from harness.dialects.openai_chat import DIALECT, OpenAIChatDialect
from harness.dialects.script import Exchange, HttpDate
from harness.dialects.sse import decode
from harness.scenario.model import Scenario
from tests.dialects import builders
from tests.dialects.builders import reply


def scenario(*attempts: dict[str, Any], stream: bool = True, **extra: Any) -> Scenario:
    return builders.scenario(*attempts, stream=stream, model="gpt-4o-mini", **extra)


TOOLS_REPLY = reply(
    parts=[
        {"text": "Let me check é😀.", "deltas": 3},
        {"tool_call": {"name": "weather", "arguments": {"city": "Paris"}, "fragments": 3}},
        {
            "tool_call": {
                "id": "call_given",
                "name": "time",
                "arguments": {"tz": "CET"},
                "fragments": ['{"tz"', ':"CET"}'],
            }
        },
    ],
    finish="tool_calls",
    usage={"input": 11, "output": 7, "cache_read": 2},
)


def one(s: Scenario) -> Exchange:
    (exchange,) = DIALECT.synthesize(s).exchanges
    return exchange


def header(exchange: Exchange, name: str) -> str:
    value = dict(exchange.headers)[name]
    assert isinstance(value, str)
    return value


def data_events(exchange: Exchange) -> list[str]:
    return [e.data for e in decode(exchange.body)]


def chunks_json(exchange: Exchange) -> list[dict[str, Any]]:
    return [json.loads(d) for d in data_events(exchange) if d != "[DONE]"]


def test_registered() -> None:
    assert get_dialect("openai-chat") is DIALECT
    assert isinstance(DIALECT, OpenAIChatDialect)
    assert DIALECT.name == "openai-chat"


def test_stream_structure() -> None:
    exchange = one(scenario(TOOLS_REPLY))
    assert (exchange.method, exchange.path, exchange.status, exchange.end) == (
        "POST",
        "/v1/chat/completions",
        200,
        "close",
    )
    assert header(exchange, "content-type").startswith("text/event-stream")
    events = data_events(exchange)
    assert events[-1] == "[DONE]"
    chunks = chunks_json(exchange)
    for c in chunks:
        assert c["object"] == "chat.completion.chunk"
        assert c["id"] == chunks[0]["id"] and c["id"].startswith("chatcmpl-")
        assert c["model"] == "gpt-4o-mini" and isinstance(c["created"], int)
        assert c["system_fingerprint"].startswith("fp_")
    first, *deltas, finish, usage = chunks
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert finish["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}
    ]
    assert usage["choices"] == []
    assert usage["usage"] == {
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
        "prompt_tokens_details": {"cached_tokens": 2},
    }
    assert all(c["usage"] is None for c in chunks[:-1])

    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in deltas)
    assert text == "Let me check é😀."
    calls: dict[int, dict[str, Any]] = {}
    for c in deltas:
        for frag in c["choices"][0]["delta"].get("tool_calls", []):
            if frag["index"] not in calls:
                assert set(frag) == {"index", "id", "type", "function"}
                assert frag["type"] == "function"
                calls[frag["index"]] = {
                    "id": frag["id"],
                    "name": frag["function"]["name"],
                    "arguments": frag["function"]["arguments"],
                }
            else:
                assert set(frag) == {"index", "function"}
                assert set(frag["function"]) == {"arguments"}
                calls[frag["index"]]["arguments"] += frag["function"]["arguments"]
    assert sorted(calls) == [0, 1]
    assert calls[0]["id"].startswith("call_") and calls[1]["id"] == "call_given"
    assert [calls[i]["name"] for i in (0, 1)] == ["weather", "time"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris"}
    assert json.loads(calls[1]["arguments"]) == {"tz": "CET"}
    # 3 text + 3 + 2 tool-call fragments between role and finish chunks.
    assert len(deltas) == 8


def test_tool_call_only_reply_has_null_content() -> None:
    s = scenario(reply(parts=[{"tool_call": {"name": "f"}}], finish="tool_calls"))
    first = chunks_json(one(s))[0]
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": None}
    assert "usage" not in first


def test_reasoning_is_reasoning_content() -> None:
    s = scenario(reply(parts=[{"reasoning": "think hard", "deltas": 2}, {"text": "42"}]))
    deltas = [c["choices"][0]["delta"] for c in chunks_json(one(s))[1:-1]]
    assert deltas == [
        {"content": None, "reasoning_content": "think"},
        {"content": None, "reasoning_content": " hard"},
        {"content": "42", "reasoning_content": None},
    ]


def test_usage_on_finish_chunk_without_usage_chunk() -> None:
    s = scenario(
        reply(parts=[{"text": "x"}], usage={"input": 1, "output": 2}, wire={"usage_chunk": False})
    )
    chunks = chunks_json(one(s))
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] == 3
    assert all("usage" not in c for c in chunks[:-1])


@pytest.mark.parametrize("finish", ["stop", "length", "content_filter"])
def test_finish_reasons(finish: str) -> None:
    s = scenario(reply(parts=[{"text": "x"}], finish=finish))
    assert chunks_json(one(s))[-1]["choices"][0]["finish_reason"] == finish


def test_per_event_gives_one_chunk_per_event() -> None:
    exchange = one(scenario(TOOLS_REPLY))
    assert len(exchange.chunks) == len(decode(exchange.body)) == 12
    assert all(c.data.endswith(b"\n\n") for c in exchange.chunks)


@pytest.mark.parametrize(
    "wire",
    [
        {"chunking": "whole"},
        {"chunking": "mid_utf8"},
        {"chunking": {"every": 1}},
        {"chunking": {"every": 7}},
        {"chunking": {"at": [1, 50, 51, 300]}},
        {"line_ending": "crlf"},
        {"line_ending": "cr", "data_space": False},
        {"keepalive_every": 1},
    ],
)
def test_wire_variants_decode_to_the_same_events(wire: dict[str, Any]) -> None:
    plain = data_events(one(scenario(TOOLS_REPLY)))
    varied = one(scenario({"reply": {**TOOLS_REPLY["reply"], "wire": wire}}))
    assert data_events(varied) == plain


def test_mid_utf8_really_cuts_characters() -> None:
    exchange = one(scenario({"reply": {**TOOLS_REPLY["reply"], "wire": {"chunking": "mid_utf8"}}}))
    broken = 0
    for chunk in exchange.chunks:
        try:
            chunk.data.decode()
        except UnicodeDecodeError:
            broken += 1
    assert broken >= 2


def test_wire_bytes() -> None:
    s = scenario(
        reply(
            parts=[{"text": "x"}],
            wire={"line_ending": "crlf", "data_space": False, "keepalive_every": 2},
        )
    )
    body = one(s).body
    assert body.startswith(b'data:{"id":"chatcmpl-')
    assert body.endswith(b"\r\n\r\ndata:[DONE]\r\n\r\n")
    assert body.count(b": keep-alive\r\n\r\n") == 1  # 4 events: after the 2nd only
    assert b"\n\n" not in body.replace(b"\r\n", b"")


def test_delays() -> None:
    s = scenario(
        reply(
            parts=[{"text": "abc", "deltas": 3}],
            wire={"event_delay": 0.5, "first_byte_delay": 2.0, "keepalive_every": 2},
        )
    )
    exchange = one(s)
    assert exchange.delay == 2.0
    n = len(decode(exchange.body))
    assert n == 6
    assert sum(c.delay for c in exchange.chunks) == pytest.approx(0.5 * n)


# --------------------------------------------------------------------------- faults


def faulted(fault: dict[str, Any]) -> Exchange:
    return one(scenario({"reply": {**TOOLS_REPLY["reply"], "fault": fault}}))


FULL = data_events(one(scenario(TOOLS_REPLY)))


def test_cut_and_stall_after() -> None:
    cut = faulted({"cut_after": 3})
    assert (cut.end, data_events(cut)) == ("cut", FULL[:3])
    assert len(cut.chunks) == 3
    stall = faulted({"stall_after": 0})
    assert (stall.end, stall.chunks) == ("stall", ())


def test_truncate_after_never_sends_finish_or_done() -> None:
    short = faulted({"truncate_after": 2})
    assert (short.end, data_events(short)) == ("close", FULL[:2])
    capped = faulted({"truncate_after": 100})
    events = data_events(capped)
    assert events == FULL[:9]
    assert "[DONE]" not in events
    assert all(json.loads(e)["choices"][0]["finish_reason"] is None for e in events)


def test_malformed_at() -> None:
    events = data_events(faulted({"malformed_at": 1}))
    assert len(events) == len(FULL)
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[1])
    assert FULL[1].startswith(events[1])
    assert events[2:] == FULL[2:]
    with pytest.raises(ValueError, match="past the end"):
        faulted({"malformed_at": len(FULL)})


def test_error_payload_ends_the_stream() -> None:
    error = {"error": {"message": "overloaded", "type": "server_error", "code": None}}
    exchange = faulted({"error_payload": error})
    events = data_events(exchange)
    assert exchange.end == "close"
    assert events[:-1] == FULL[:9]  # role chunk and every delta
    assert json.loads(events[-1]) == error
    bare = data_events(faulted({"error_payload": {"message": "boom"}}))
    assert json.loads(bare[-1]) == {"error": {"message": "boom"}}


def test_empty_and_terminator_only() -> None:
    empty = faulted({"empty": True})
    assert (empty.status, empty.chunks, empty.end) == (200, (), "close")
    assert data_events(faulted({"terminator_only": True})) == ["[DONE]"]


# --------------------------------------------------------------------------- errors


def error_exchange(**error: Any) -> Exchange:
    return one(scenario({"error": error}))


def test_retry_after_forms() -> None:
    assert dict(error_exchange(status=429, retry_after=2).headers)["retry-after"] == "2"
    assert dict(error_exchange(status=429, retry_after=1.5).headers)["retry-after"] == "1.5"
    ms = dict(error_exchange(status=429, retry_after=0.25, retry_after_form="ms").headers)
    assert ms["retry-after-ms"] == "250" and "retry-after" not in ms
    date = dict(error_exchange(status=503, retry_after=3, retry_after_form="http_date").headers)
    assert date["retry-after"] == HttpDate(3.0)
    assert "retry-after" not in dict(error_exchange(status=429).headers)


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (400, "invalid_request_error", None),
        (401, "invalid_request_error", "invalid_api_key"),
        (404, "invalid_request_error", "model_not_found"),
        (429, "requests", "rate_limit_exceeded"),
        (500, "server_error", None),
        (502, "server_error", None),
        (529, "server_error", None),
        (422, "invalid_request_error", None),
    ],
)
def test_default_error_bodies(status: int, kind: str, code: str | None) -> None:
    exchange = error_exchange(status=status)
    assert exchange.status == status
    assert header(exchange, "content-type").startswith("application/json")
    error = json.loads(exchange.body)["error"]
    assert (error["type"], error["code"], error["param"]) == (kind, code, None)
    assert error["message"]


def test_given_error_body_and_headers() -> None:
    body = {"error": {"message": "context too long", "code": "context_length_exceeded"}}
    exchange = error_exchange(status=400, body=body, headers={"X-Custom": "1"})
    assert json.loads(exchange.body) == body
    assert dict(exchange.headers)["x-custom"] == "1"
    assert not any(name.startswith("x-ratelimit") for name, _ in exchange.headers)


# --------------------------------------------------------------------------- non-streaming


def test_non_streaming_json() -> None:
    exchange = one(scenario(TOOLS_REPLY, stream=False))
    assert header(exchange, "content-type") == "application/json"
    assert len(exchange.chunks) == 1
    body = json.loads(exchange.body)
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["role"] == "assistant" and message["content"] == "Let me check é😀."
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["weather", "time"]
    assert message["tool_calls"][1]["id"] == "call_given"
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert body["usage"]["total_tokens"] == 18


def test_non_streaming_tool_calls_only_and_reasoning() -> None:
    s = scenario(
        reply(parts=[{"reasoning": "hmm"}, {"tool_call": {"name": "f"}}], finish="tool_calls"),
        stream=False,
    )
    message = json.loads(one(s).body)["choices"][0]["message"]
    assert message["content"] is None
    assert message["reasoning_content"] == "hmm"
    assert message["tool_calls"][0]["function"]["arguments"] == "{}"


def test_non_streaming_chunking() -> None:
    s = scenario(reply(parts=[{"text": "x"}], wire={"chunking": {"every": 10}}), stream=False)
    exchange = one(s)
    assert len(exchange.chunks) > 1
    assert json.loads(exchange.body)["choices"][0]["message"]["content"] == "x"


# --------------------------------------------------------------------------- whole scripts


def test_one_exchange_per_attempt_and_determinism() -> None:
    s = scenario({"error": {"status": 429, "retry_after": 1}}, TOOLS_REPLY, TOOLS_REPLY)
    script = DIALECT.synthesize(s)
    assert [e.status for e in script.exchanges] == [429, 200, 200]
    assert script == DIALECT.synthesize(s)
    assert script.exchanges[1].chunks == DIALECT.synthesize(s).exchanges[1].chunks
    # Attempts get their own completion ids; another scenario gets other ids.
    ids = [chunks_json(e)[0]["id"] for e in script.exchanges[1:]]
    assert ids[0] != ids[1]
    other = DIALECT.synthesize(scenario(TOOLS_REPLY, id="other")).exchanges[0]
    assert chunks_json(other)[0]["id"] not in ids


@pytest.mark.parametrize(
    ("attempt", "extra", "reason"),
    [
        (reply(outcome="failed"), {}, "no failed/incomplete"),
        (reply(outcome="incomplete"), {}, "no failed/incomplete"),
        (reply(parts=[{"reasoning": "r", "signature": "sig"}]), {}, "thinking signatures"),
        (reply(finish="error"), {}, "finish reason"),
        (reply(), {"dialects": ["anthropic-messages"]}, "limited to dialects"),
    ],
)
def test_supports_says_why_not(attempt: dict[str, Any], extra: dict[str, Any], reason: str) -> None:
    s = scenario(attempt, **extra)
    why = DIALECT.supports(s)
    assert why is not None and reason in why
    with pytest.raises(ValueError, match=reason):
        DIALECT.synthesize(s)


def test_supports() -> None:
    assert DIALECT.supports(scenario(TOOLS_REPLY)) is None
    assert DIALECT.supports(scenario(TOOLS_REPLY, dialects=["openai-chat"])) is None
    faulty = scenario(reply(fault={"cut_after": 1}), stream=False)
    assert "stream" in (DIALECT.supports(faulty) or "")
