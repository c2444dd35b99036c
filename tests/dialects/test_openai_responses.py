"""The openai-responses dialect: synthesized streams decode to the events the real API
sends, numbered, in order, and the OpenAI SDK's own types accept every one of them."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

from harness.dialects import get_dialect
from harness.dialects.openai_responses import DIALECT, PATH
from harness.dialects.script import Exchange, HttpDate
from harness.dialects.sse import SSEEvent, decode
from harness.scenario.model import Scenario
from tests.dialects.builders import bundled, reply, scenario

CORPUS = Path("/work/shared/corpus/openai-responses")


MIXED = reply(
    parts=[
        {"reasoning": "Think é😀", "deltas": 2},
        {"text": "Let me check.", "deltas": 3},
        {"tool_call": {"name": "weather", "arguments": {"city": "Paris"}, "fragments": 3}},
        {"tool_call": {"id": "call_given", "name": "time", "arguments": '{"tz":"CET"}',
                       "fragments": ['{"tz"', ':"CET"}']}},
    ],
    finish="tool_calls",
    usage={"input": 11, "output": 7, "cache_read": 2},
)  # fmt: skip


def one(s: Scenario) -> Exchange:
    (exchange,) = DIALECT.synthesize(s).exchanges
    return exchange


def events(s: Scenario) -> list[SSEEvent]:
    return decode(one(s).body)


def datas(s: Scenario) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in events(s)]


def header(exchange: Exchange, name: str) -> str | HttpDate:
    return dict(exchange.headers)[name]


# --------------------------------------------------------------------------- stream shape


def test_registered() -> None:
    assert get_dialect("openai-responses") is DIALECT
    assert repr(DIALECT) == "OpenAIResponsesDialect()"


def test_event_names_match_types_and_sequence_numbers_count_from_zero() -> None:
    evs = events(scenario(MIXED))
    data = [json.loads(e.data) for e in evs]
    assert [e.event for e in evs] == [d["type"] for d in data]
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    assert all(ev.data != "[DONE]" for ev in evs)


def test_event_order_of_a_mixed_reply() -> None:
    names = [e.event for e in events(scenario(MIXED))]
    added, done = "response.output_item.added", "response.output_item.done"
    assert names == [
        "response.created", "response.in_progress",
        added, "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * 2,
        "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", done,
        added, "response.content_part.added", *["response.output_text.delta"] * 3,
        "response.output_text.done", "response.content_part.done", done,
        added, *["response.function_call_arguments.delta"] * 3,
        "response.function_call_arguments.done", done,
        added, *["response.function_call_arguments.delta"] * 2,
        "response.function_call_arguments.done", done,
        "response.completed",
    ]  # fmt: skip


def test_deltas_and_fragments_reassemble() -> None:
    data = datas(scenario(MIXED))

    def joined(kind: str, index: int) -> str:
        return "".join(d["delta"] for d in data if d["type"] == kind and d["output_index"] == index)

    assert joined("response.reasoning_summary_text.delta", 0) == "Think é😀"
    assert joined("response.output_text.delta", 1) == "Let me check."
    assert json.loads(joined("response.function_call_arguments.delta", 2)) == {"city": "Paris"}
    assert joined("response.function_call_arguments.delta", 3) == '{"tz":"CET"}'
    done = [d["item"] for d in data if d["type"] == "response.output_item.done"]
    assert [i["type"] for i in done] == ["reasoning", "message", "function_call", "function_call"]
    assert done[3]["call_id"] == "call_given" and done[2]["call_id"].startswith("call_")
    items = {d["item"]["id"] for d in data if d["type"] == "response.output_item.added"}
    assert {d["item_id"] for d in data if "item_id" in d} == items


def test_completed_carries_output_and_usage() -> None:
    final = datas(scenario(MIXED))[-1]["response"]
    assert final["status"] == "completed" and final["error"] is None
    assert [i["type"] for i in final["output"]] == [
        "reasoning", "message", "function_call", "function_call"
    ]  # fmt: skip
    assert final["usage"]["input_tokens"] == 11
    assert final["usage"]["output_tokens"] == 7
    assert final["usage"]["total_tokens"] == 18
    assert final["usage"]["input_tokens_details"]["cached_tokens"] == 2
    created = datas(scenario(MIXED))[0]["response"]
    assert (created["status"], created["output"], created["usage"]) == ("in_progress", [], None)


def test_length_finish_is_an_incomplete_response() -> None:
    data = datas(scenario(reply(parts=[{"text": "cut"}], finish="length"),
                          request={"max_tokens": 3}))  # fmt: skip
    final = data[-1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["response"]["max_output_tokens"] == 3
    assert final["response"]["output"][0]["status"] == "incomplete"


def test_incomplete_outcome_with_content_filter() -> None:
    s = scenario(reply(parts=[{"text": "x"}], outcome="incomplete",
                       incomplete_reason="content_filter"))  # fmt: skip
    final = datas(s)[-1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "content_filter"}


def test_failed_outcome_carries_the_error() -> None:
    error = {"code": "rate_limit_exceeded", "message": "slow down"}
    final = datas(scenario(reply(parts=[{"text": "x"}], outcome="failed", error=error)))[-1]
    assert final["type"] == "response.failed"
    assert final["response"]["status"] == "failed"
    assert final["response"]["error"] == error
    default = datas(scenario(reply(outcome="failed")))[-1]["response"]["error"]
    assert default["code"] == "server_error"


# --------------------------------------------------------------------------- faults


TEXT = {"parts": [{"text": "abcdef", "deltas": 3}], "usage": {"input": 1, "output": 3}}


def test_cut_and_stall_keep_the_first_events() -> None:
    cut = one(scenario(reply(**TEXT, fault={"cut_after": 4})))
    assert cut.end == "cut" and len(decode(cut.body)) == 4
    stall = one(scenario(reply(**TEXT, fault={"stall_after": 2})))
    assert stall.end == "stall" and len(decode(stall.body)) == 2


def test_truncation_never_reaches_the_terminal_event() -> None:
    evs = events(scenario(reply(**TEXT, fault={"truncate_after": 100})))
    assert evs[-1].event == "response.output_item.done"
    assert len(events(scenario(reply(**TEXT, fault={"truncate_after": 3})))) == 3


def test_empty_body() -> None:
    assert one(scenario(reply(**TEXT, fault={"empty": True}))).body == b""


def test_error_payload_becomes_an_error_event_in_openai_terms() -> None:
    payload = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    evs = events(scenario(reply(**TEXT, fault={"error_payload": payload})))
    last = json.loads(evs[-1].data)
    assert evs[-1].event == "error"
    assert last == {"type": "error", "sequence_number": len(evs) - 1, "code": "server_error",
                    "message": "Overloaded", "param": None}  # fmt: skip
    openai_shape = {"error": {"message": "m", "type": "server_error", "code": "boom"}}
    evs = events(scenario(reply(**TEXT, fault={"error_payload": openai_shape})))
    assert json.loads(evs[-1].data)["code"] == "boom"


def test_malformed_event_is_cut_in_half() -> None:
    evs = events(scenario(reply(**TEXT, fault={"malformed_at": 2})))
    assert evs[2].event == "response.output_item.added"
    with pytest.raises(ValueError):
        json.loads(evs[2].data)
    json.loads(evs[3].data)
    with pytest.raises(ValueError, match="past the end"):
        DIALECT.synthesize(scenario(reply(**TEXT, fault={"malformed_at": 99})))


def test_wire_options() -> None:
    crlf = one(scenario(reply(**TEXT, wire={"line_ending": "crlf"}))).body
    assert b"event: response.created\r\ndata: " in crlf
    tight = one(scenario(reply(**TEXT, wire={"data_space": False}))).body
    assert tight.startswith(b"event:response.created\ndata:{")
    kept = one(scenario(reply(**TEXT, wire={"keepalive_every": 1}))).body
    assert kept.count(b": keep-alive") == len(decode(kept)) - 1
    plain = one(scenario(reply(**TEXT))).body
    split = one(scenario(reply(**TEXT, wire={"chunking": {"every": 7}})))
    assert split.body == plain and all(len(c.data) <= 7 for c in split.chunks)


# --------------------------------------------------------------------------- JSON and errors


def test_non_streamed_response_object() -> None:
    exchange = one(scenario(MIXED, stream=False))
    assert dict(exchange.headers)["content-type"] == "application/json"
    body = json.loads(exchange.body)
    assert body["object"] == "response" and body["status"] == "completed"
    assert body["output"][1]["content"][0]["text"] == "Let me check."
    assert body["output"][2]["arguments"] == '{"city":"Paris"}'


def test_http_errors_use_openai_bodies_and_every_retry_after_form() -> None:
    s = scenario(
        {"error": {"status": 429, "retry_after": 1.5}},
        {"error": {"status": 429, "retry_after": 2, "retry_after_form": "ms"}},
        {"error": {"status": 503, "retry_after": 3, "retry_after_form": "http_date"}},
        {"error": {"status": 404, "headers": {"X-Extra": "1"}}},
        reply(**TEXT),
    )
    first, second, third, fourth, last = DIALECT.synthesize(s).exchanges
    assert all(e.path == PATH for e in (first, second, third, fourth, last))
    assert header(first, "retry-after") == "1.5"
    assert header(second, "retry-after-ms") == "2000"
    assert header(third, "retry-after") == HttpDate(3)
    assert header(fourth, "x-extra") == "1"
    body = json.loads(fourth.body)
    assert body["error"]["code"] == "model_not_found"
    assert json.loads(first.body)["error"]["code"] == "rate_limit_exceeded"


# --------------------------------------------------------------------------- what it cannot say


@pytest.mark.parametrize(
    ("attempt", "stream", "words"),
    [
        (reply(outcome="cancelled"), True, "no cancelled terminal event"),
        (reply(outcome="expired"), True, "no expired terminal event"),
        (reply(polls=2), True, "polling"),
        (reply(parts=[{"reasoning": "r", "signature": "sig"}]), True, "no thinking signatures"),
        (reply(fault={"terminator_only": True}), True, "no stream terminator"),
        (reply(fault={"empty": True}), False, "streamed request"),
        (reply(finish="error"), True, "no 'error' finish"),
        (reply(parts=[{"text": "x"}], finish="tool_calls"), True, "has none"),
        (reply(parts=[{"tool_call": {"name": "f"}}], finish="stop"), True, "never stop"),
    ],
)
def test_honest_not_applicable(attempt: dict[str, Any], stream: bool, words: str) -> None:
    s = scenario(attempt, stream=stream)
    reason = DIALECT.supports(s)
    assert reason is not None and words in reason
    with pytest.raises(ValueError, match="cannot synthesize for openai-responses"):
        DIALECT.synthesize(s)


def test_limited_to_other_dialects() -> None:
    assert "limited" in str(DIALECT.supports(scenario(reply(), dialects=["openai-chat"])))


def test_a_failed_or_incomplete_reply_may_carry_any_finish() -> None:
    assert DIALECT.supports(scenario(reply(outcome="failed", finish="error"))) is None
    assert DIALECT.supports(scenario(reply(outcome="incomplete", finish="stop"))) is None


# --------------------------------------------------------------------------- determinism, SDK


def test_deterministic_bytes_and_ids_per_scenario() -> None:
    assert one(scenario(MIXED)).body == one(scenario(MIXED)).body
    assert one(scenario(MIXED)).body != one(scenario(MIXED, id="other")).body


def _bundled() -> list[Scenario]:
    return bundled(DIALECT.name)


def test_every_bundled_scenario_that_fits_compiles() -> None:
    compiled = _bundled()
    assert {"text-plain", "outcome-failed", "outcome-incomplete-max-tokens"} <= {
        s.id for s in compiled
    }
    for s in compiled:
        assert DIALECT.synthesize(s).exchanges


@pytest.mark.adapters
def test_the_openai_sdk_types_accept_every_event() -> None:
    responses = pytest.importorskip("openai.types.responses")
    union = typing.get_args(typing.get_args(responses.ResponseStreamEvent)[0])
    by_type = {typing.get_args(c.model_fields["type"].annotation)[0]: c for c in union}
    checked = 0
    for s in [*_bundled(), scenario(MIXED), scenario(MIXED, stream=False)]:
        for exchange in DIALECT.synthesize(s).exchanges:
            if exchange.status != 200 or exchange.end == "reset":
                continue
            if not s.request.stream:
                responses.Response.model_validate_json(exchange.body)
                continue
            for ev in decode(exchange.body):
                try:
                    data = json.loads(ev.data)
                except ValueError:
                    continue  # a malformed_at fault
                if data["type"] == "harness.unknown":
                    continue  # an unknown event type (wire option): clients ignore it
                by_type[data["type"]].model_validate(data)
                checked += 1
    assert checked > 300


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared recording corpus is not here")
def test_fields_match_a_real_recording() -> None:
    """Every event type we send has the keys the API sent in a recorded stream."""
    yaml = pytest.importorskip("yaml")
    path = CORPUS / "dd-trace-py__v1__response_stream_incomplete.yaml"
    recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
    body = recorded["interactions"][0]["response"]["body"]["string"]
    real = {json.loads(e.data)["type"]: json.loads(e.data) for e in decode(body.encode())}
    ours = {d["type"]: d for d in datas(scenario(reply(parts=[{"text": "a b", "deltas": 2}],
                                                         finish="length")))}  # fmt: skip
    assert set(real) == set(ours)
    for kind, data in real.items():
        assert set(data) == set(ours[kind]), kind
        if "item" in data:
            assert set(data["item"]) == set(ours[kind]["item"]), kind
    real_response = real["response.incomplete"]["response"]
    assert set(real_response) <= set(ours["response.incomplete"]["response"])
