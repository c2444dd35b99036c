"""The anthropic-messages dialect: synthesized streams decode to the events the real API
sends, in order, and the Anthropic SDK's own types accept every one of them."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

from harness.dialects import get_dialect
from harness.dialects.anthropic_messages import DIALECT, PATH
from harness.dialects.script import Exchange
from harness.dialects.sse import SSEEvent, decode
from harness.scenario.model import Scenario
from tests.dialects import builders
from tests.dialects.builders import bundled, reply

CORPUS = Path("/work/shared/corpus/anthropic-messages")


def scenario(*attempts: dict[str, Any], stream: bool = True, **extra: Any) -> Scenario:
    return builders.scenario(*attempts, stream=stream, model="claude-sonnet-4-5", **extra)


MIXED = reply(
    parts=[
        {"reasoning": "Think é😀", "deltas": 2, "signature": "EqQBsig=="},
        {"text": "Let me check.", "deltas": 3},
        {"tool_call": {"name": "weather", "arguments": '{"city": "Paris"}',
                       "fragments": ['{"ci', 'ty": "Pa', 'ris"}']}},
    ],
    finish="tool_calls",
    usage={"input": 11, "output": 7, "cache_read": 2, "cache_write": 5},
)  # fmt: skip
TEXT = {"parts": [{"text": "abcdef", "deltas": 3}], "usage": {"input": 1, "output": 3}}


def one(s: Scenario) -> Exchange:
    (exchange,) = DIALECT.synthesize(s).exchanges
    return exchange


def events(s: Scenario) -> list[SSEEvent]:
    return decode(one(s).body)


def datas(s: Scenario) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in events(s)]


# --------------------------------------------------------------------------- stream shape


def test_registered() -> None:
    assert get_dialect("anthropic-messages") is DIALECT
    assert repr(DIALECT) == "AnthropicMessagesDialect()"


def test_event_order_of_a_mixed_reply() -> None:
    evs = events(scenario(MIXED))
    assert [e.event for e in evs] == [json.loads(e.data)["type"] for e in evs]
    kinds = [
        (d["type"], d.get("delta", {}).get("type") or d.get("content_block", {}).get("type"))
        for d in (json.loads(e.data) for e in evs)
    ]
    assert kinds == [
        ("message_start", None),
        ("content_block_start", "thinking"), ("ping", None),
        ("content_block_delta", "thinking_delta"), ("content_block_delta", "thinking_delta"),
        ("content_block_delta", "signature_delta"), ("content_block_stop", None),
        ("content_block_start", "text"), *[("content_block_delta", "text_delta")] * 3,
        ("content_block_stop", None),
        ("content_block_start", "tool_use"), *[("content_block_delta", "input_json_delta")] * 4,
        ("content_block_stop", None),
        ("message_delta", None), ("message_stop", None),
    ]  # fmt: skip


def test_deltas_fragments_and_signature() -> None:
    data = datas(scenario(MIXED))

    def joined(index: int, key: str) -> str:
        return "".join(
            d["delta"].get(key, "")
            for d in data
            if d["type"] == "content_block_delta" and d["index"] == index
        )

    assert joined(0, "thinking") == "Think é😀"
    assert joined(0, "signature") == "EqQBsig=="
    assert joined(1, "text") == "Let me check."
    pieces = [d["delta"]["partial_json"] for d in data if d.get("index") == 2 and "delta" in d]
    assert pieces == ["", '{"ci', 'ty": "Pa', 'ris"}']
    start = next(d for d in data if d["type"] == "content_block_start" and d["index"] == 2)
    assert start["content_block"]["input"] == {}
    assert start["content_block"]["id"].startswith("toolu_01")


def test_usage_and_stop_reason() -> None:
    data = datas(scenario(MIXED))
    start = data[0]["message"]
    assert start["id"].startswith("msg_01") and start["model"] == "claude-sonnet-4-5"
    assert start["usage"] == {"input_tokens": 11, "cache_creation_input_tokens": 5,
                              "cache_read_input_tokens": 2, "output_tokens": 1}  # fmt: skip
    delta = data[-2]
    assert delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert delta["usage"]["output_tokens"] == 7


@pytest.mark.parametrize(
    ("fields", "stop"),
    [
        ({"finish": "stop"}, "end_turn"),
        ({"finish": "length"}, "max_tokens"),
        ({"finish": "content_filter"}, "refusal"),
        ({"outcome": "incomplete"}, "max_tokens"),
        ({"outcome": "incomplete", "incomplete_reason": "content_filter"}, "refusal"),
    ],
)
def test_stop_reasons(fields: dict[str, Any], stop: str) -> None:
    assert datas(scenario(reply(**fields)))[-2]["delta"]["stop_reason"] == stop


def test_empty_reply_pings_after_message_start() -> None:
    assert [e.event for e in events(scenario(reply()))] == [
        "message_start", "ping", "message_delta", "message_stop"
    ]  # fmt: skip


def test_unsigned_thinking_gets_a_stable_signature() -> None:
    def signature(sid: str) -> str:
        s = scenario(reply(parts=[{"reasoning": "r"}]), id=sid)
        (sig,) = [d["delta"]["signature"] for d in datas(s) if "signature" in d.get("delta", {})]
        return str(sig)

    assert signature("a") == signature("a") != signature("b")
    assert len(signature("a")) > 40


# --------------------------------------------------------------------------- faults


def test_fault_indexes_skip_the_ping() -> None:
    cut = one(scenario(reply(**TEXT, fault={"cut_after": 3})))
    assert cut.end == "cut"
    assert [e.event for e in decode(cut.body)] == [
        "message_start", "content_block_start", "ping", "content_block_delta"
    ]  # fmt: skip
    assert len(decode(one(scenario(reply(**TEXT, fault={"stall_after": 1}))).body)) == 1
    bad = events(scenario(reply(**TEXT, fault={"malformed_at": 2})))
    assert bad[2].event == "ping" and bad[3].event == "content_block_delta"
    with pytest.raises(ValueError):
        json.loads(bad[3].data)


def test_truncation_stops_before_the_stop_reason() -> None:
    evs = events(scenario(reply(**TEXT, fault={"truncate_after": 100})))
    assert evs[-1].event == "content_block_stop"


def test_terminator_only_and_empty() -> None:
    assert [e.event for e in events(scenario(reply(**TEXT, fault={"terminator_only": True})))] == [
        "message_stop"
    ]
    assert one(scenario(reply(**TEXT, fault={"empty": True}))).body == b""


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
         "overloaded_error"),
        ({"error": {"message": "m", "type": "server_error", "code": "server_error"}}, "api_error"),
        ({"message": "m", "code": "rate_limit_exceeded"}, "rate_limit_error"),
    ],
)  # fmt: skip
def test_error_payload_becomes_an_error_event_in_anthropic_terms(
    payload: dict[str, Any], kind: str
) -> None:
    evs = events(scenario(reply(**TEXT, fault={"error_payload": payload})))
    assert evs[-1].event == "error"
    data = json.loads(evs[-1].data)
    assert data["type"] == "error" and data["error"]["type"] == kind
    assert "message_delta" not in [e.event for e in evs]


# --------------------------------------------------------------------------- JSON and errors


def test_non_streamed_message() -> None:
    body = json.loads(one(scenario(MIXED, stream=False)).body)
    assert [b["type"] for b in body["content"]] == ["thinking", "text", "tool_use"]
    assert body["content"][2]["input"] == {"city": "Paris"}
    assert body["stop_reason"] == "tool_use" and body["usage"]["output_tokens"] == 7


def test_http_errors_have_anthropic_bodies() -> None:
    s = scenario(
        {"error": {"status": 529}},
        {"error": {"status": 429, "retry_after": 1.2}},
        {"error": {"status": 404}},
        {"error": {"status": 502}},
        reply(**TEXT),
    )
    overloaded, limited, missing, bad_gateway, served = DIALECT.synthesize(s).exchanges
    assert all(e.path == PATH for e in (overloaded, limited, missing, bad_gateway, served))
    assert json.loads(overloaded.body)["error"] == {"type": "overloaded_error",
                                                    "message": "Overloaded"}  # fmt: skip
    assert overloaded.status == 529 and json.loads(overloaded.body)["type"] == "error"
    assert dict(limited.headers)["retry-after"] == "2"  # whole seconds, rounded up
    assert json.loads(limited.body)["error"]["type"] == "rate_limit_error"
    assert json.loads(missing.body)["error"]["message"] == "model: claude-sonnet-4-5"
    assert dict(missing.headers)["x-should-retry"] == "false"
    assert json.loads(bad_gateway.body)["error"]["type"] == "api_error"
    assert str(dict(served.headers)["content-type"]).startswith("text/event-stream")


# --------------------------------------------------------------------------- what it cannot say


@pytest.mark.parametrize(
    ("attempt", "stream", "words"),
    [
        (reply(outcome="failed"), True, "no failed response status"),
        (reply(outcome="cancelled"), True, "no cancelled response status"),
        (reply(polls=1), True, "no polled runs"),
        (reply(finish="error"), True, "no 'error' stop reason"),
        (reply(fault={"cut_after": 1}), False, "streamed request"),
        (reply(parts=[{"tool_call": {"name": "f", "arguments": "{oops"}}]), False, "raw argument"),
        ({"error": {"status": 429, "retry_after": 1, "retry_after_form": "ms"}}, True,
         "no retry-after-ms"),
        ({"error": {"status": 429, "retry_after": 1, "retry_after_form": "http_date"}}, True,
         "no HTTP-date"),
    ],
)  # fmt: skip
def test_honest_not_applicable(attempt: dict[str, Any], stream: bool, words: str) -> None:
    s = scenario(attempt, stream=stream)
    reason = DIALECT.supports(s)
    assert reason is not None and words in reason
    with pytest.raises(ValueError, match="cannot synthesize for anthropic-messages"):
        DIALECT.synthesize(s)


def test_raw_argument_text_streams_as_fragments() -> None:
    s = scenario(reply(parts=[{"tool_call": {"name": "f", "arguments": "{oops", "fragments": 2}}]))
    pieces = [d["delta"]["partial_json"] for d in datas(s) if d["type"] == "content_block_delta"]
    assert "".join(pieces) == "{oops"


# --------------------------------------------------------------------------- determinism, SDK


def test_deterministic_bytes_and_ids_per_scenario() -> None:
    assert one(scenario(MIXED)).body == one(scenario(MIXED)).body
    assert one(scenario(MIXED)).body != one(scenario(MIXED, id="other")).body


def _bundled() -> list[Scenario]:
    return bundled(DIALECT.name)


@pytest.mark.adapters
def test_the_anthropic_sdk_types_accept_every_event() -> None:
    types = pytest.importorskip("anthropic.types")
    union = typing.get_args(typing.get_args(types.RawMessageStreamEvent)[0])
    by_type = {typing.get_args(c.model_fields["type"].annotation)[0]: c for c in union}
    checked = 0
    for s in [*_bundled(), scenario(MIXED), scenario(MIXED, stream=False)]:
        for exchange in DIALECT.synthesize(s).exchanges:
            if exchange.status != 200 or exchange.end == "reset":
                continue
            if not s.request.stream:
                types.Message.model_validate_json(exchange.body)
                continue
            for ev in decode(exchange.body):
                try:
                    data = json.loads(ev.data)
                except ValueError:
                    continue  # a malformed_at fault
                if data["type"] in ("ping", "error", "harness.unknown"):
                    continue  # the SDK reads these before its types (or ignores them)
                by_type[data["type"]].model_validate(data)
                checked += 1
    assert checked > 300


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared recording corpus is not here")
def test_fields_match_a_real_recording() -> None:
    """Every event we send has the keys the API sent in a recorded thinking stream."""
    yaml = pytest.importorskip("yaml")
    path = CORPUS / "llm-anthropic__test_anthropic__test_stream_events_thinking.yaml"
    recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw = recorded["interactions"][0]["response"]["body"]["string"]
    if isinstance(raw, bytes):
        import gzip

        raw = gzip.decompress(raw).decode()
    real = [json.loads(e.data) for e in decode(raw.encode())]
    ours = datas(scenario(reply(parts=[{"reasoning": "r", "signature": "s"}, {"text": "t"}])))
    assert _shape(ours) == _shape(real)
    assert set(ours[0]["message"]) <= set(real[0]["message"])
    assert set(ours[0]["message"]["usage"]) <= set(real[0]["message"]["usage"])
    assert set(ours[-2]["usage"]) <= set(real[-2]["usage"])


def _shape(data: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """Event types with their block or delta type, repeats collapsed."""
    shape: list[tuple[str, str | None]] = []
    for d in data:
        sub = d.get("delta", {}).get("type") or d.get("content_block", {}).get("type")
        if not shape or shape[-1] != (d["type"], sub):
            shape.append((d["type"], sub))
    return shape
