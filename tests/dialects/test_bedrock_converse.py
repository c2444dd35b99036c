"""The bedrock-converse dialect: synthesized ConverseStream bodies are the event-stream
frames the real API sends, botocore's own parser accepts every one of them (and fails on
each fault the way the real API's would make it fail), and real recordings import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.import_ import scenarios_from
from harness.dialects import get_dialect
from harness.dialects.bedrock_converse import DIALECT, path_for
from harness.dialects.bedrock_converse.eventstream import CONTENT_TYPE, Frame, decode
from harness.dialects.bedrock_converse.normalize import ConverseNormalizer
from harness.dialects.script import Exchange
from harness.scenario.model import ReplyWrapper, Scenario, ToolCallPart
from harness.vocab.events import Event, FinishEvent, TextEvent, ToolCallEvent, UsageEvent
from tests.dialects import builders
from tests.dialects.builders import bundled, error, reply

CORPUS = Path("/work/shared/corpus/bedrock")
MODEL = "anthropic.claude-3-haiku:0"

TOOL = reply(
    parts=[
        {"text": "Let me check.", "deltas": 2},
        {"tool_call": {"name": "weather", "arguments": '{"city": "Paris"}',
                       "fragments": ['{"ci', 'ty": "Pa', 'ris"}']}},
    ],
    finish="tool_calls",
    usage={"input": 11, "output": 7},
)  # fmt: skip
TEXT = reply(parts=[{"text": "abcdef", "deltas": 3}], usage={"input": 1, "output": 3})


def scenario(*attempts: dict[str, Any], stream: bool = True, **extra: Any) -> Scenario:
    return builders.scenario(*attempts, stream=stream, model=MODEL, **extra)


def exchange(s: Scenario, n: int = 0) -> Exchange:
    return DIALECT.synthesize(s).exchanges[n]


def frames(s: Scenario) -> list[Frame]:
    return decode(exchange(s).body)


# --------------------------------------------------------------------------- botocore


class _Raw:
    """What botocore's EventStream reads: a raw body that streams the given chunks."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def stream(self) -> Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        return None


def botocore_events(chunks: list[bytes]) -> list[dict[str, Any]]:
    """The events boto3's ``converse_stream()["stream"]`` yields for these body chunks."""
    import botocore.session
    from botocore.eventstream import EventStream
    from botocore.parsers import EventStreamJSONParser

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("ConverseStream").output_shape.members["stream"]
    stream = EventStream(_Raw(chunks), shape, EventStreamJSONParser(), "ConverseStream")
    return list(stream)


def normalized(items: list[Any]) -> list[Event]:
    normalizer = ConverseNormalizer()
    out: list[Event] = []
    for item in items:
        out += normalizer.feed(item)
    return out + normalizer.close()


# --------------------------------------------------------------------------- tests


def test_registered_and_recognised_by_path() -> None:
    assert get_dialect("bedrock-converse") is DIALECT
    assert DIALECT.recognise("/model/x/converse-stream", b"") == 100
    assert DIALECT.recognise("/model/x/converse", b"") == 100
    assert DIALECT.recognise("/model/x/invoke-with-response-stream", b"") == 0
    assert path_for(MODEL, True) == "/model/anthropic.claude-3-haiku:0/converse-stream"


def test_stream_frames_in_the_apis_order() -> None:
    found = frames(scenario(TOOL))
    assert [f.event_type for f in found] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "contentBlockStart",
        *["contentBlockDelta"] * 4,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert all(f.header(":content-type") == "application/json" for f in found)
    start = found[4].json()
    assert start["start"]["toolUse"]["name"] == "weather"
    assert start["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    pieces = [f.json()["delta"]["toolUse"]["input"] for f in found[5:9]]
    assert pieces == ["", '{"ci', 'ty": "Pa', 'ris"}']
    assert found[-2].json()["stopReason"] == "tool_use"
    assert found[-1].json()["usage"] == {"inputTokens": 11, "outputTokens": 7, "totalTokens": 18}
    headers = dict(exchange(scenario(TOOL)).headers)
    assert headers["content-type"] == CONTENT_TYPE


STREAMED = [s for s in bundled("bedrock-converse") if s.request.stream]


@pytest.mark.parametrize("s", STREAMED, ids=lambda s: s.id)
def test_botocore_parses_every_bundled_stream(s: Scenario) -> None:
    """Every fault-free streamed reply parses with botocore's own event-stream parser, in
    the scenario's chunks, into the events the scenario describes."""
    script = DIALECT.synthesize(s)
    for attempt, ex in zip(s.attempts, script.exchanges, strict=True):
        if not isinstance(attempt, ReplyWrapper) or attempt.reply.fault is not None:
            continue
        events = normalized(botocore_events([c.data for c in ex.chunks]))
        calls = [e for e in events if isinstance(e, ToolCallEvent)]
        want = [p.tool_call for p in attempt.reply.parts if isinstance(p, ToolCallPart)]
        assert [c.name for c in calls] == [w.name for w in want]
        finish = [e for e in events if isinstance(e, FinishEvent)]
        assert len(finish) == 1


def test_normalized_tool_call_text_and_usage() -> None:
    events = normalized(botocore_events([c.data for c in exchange(scenario(TOOL)).chunks]))
    assert "".join(e.text for e in events if isinstance(e, TextEvent)) == "Let me check."
    (call,) = [e for e in events if isinstance(e, ToolCallEvent)]
    assert call.arguments == {"city": "Paris"} and call.id and call.id.startswith("tooluse_")
    assert [e for e in events if isinstance(e, UsageEvent)] == [UsageEvent(input=11, output=7)]
    assert events[-1] == FinishEvent(reason="tool_calls", raw="tool_use")


def test_malformed_at_sends_a_bad_crc_botocore_rejects() -> None:
    from botocore.eventstream import ChecksumMismatch

    s = scenario({"reply": {**TEXT["reply"], "fault": {"malformed_at": 2}}})
    chunks = [c.data for c in exchange(s).chunks]
    with pytest.raises(ChecksumMismatch):
        botocore_events(chunks)
    with pytest.raises(ValueError, match=r"event-stream frame 2 .*message CRC mismatch"):
        decode(exchange(s).body)


def test_cut_after_drops_the_connection_inside_a_frame() -> None:
    s = scenario({"reply": {**TEXT["reply"], "fault": {"cut_after": 2}}})
    ex = exchange(s)
    assert ex.end == "cut"
    with pytest.raises(ValueError, match=r"frame 2 .* ends inside a frame"):
        decode(ex.body)


def test_truncate_after_ends_cleanly_on_a_frame_boundary() -> None:
    s = scenario({"reply": {**TEXT["reply"], "fault": {"truncate_after": 3}}})
    ex = exchange(s)
    assert ex.end == "close"
    assert [f.event_type for f in decode(ex.body)] == ["messageStart", *["contentBlockDelta"] * 2]


@pytest.mark.parametrize(
    ("payload", "exception"),
    [
        ({"error": {"type": "rate_limit_exceeded", "message": "slow"}}, "throttlingException"),
        ({"type": "error", "error": {"type": "overloaded_error"}}, "serviceUnavailableException"),
        ({"error": {"type": "server_error", "message": "x"}}, "internalServerException"),
        ({"error": {"type": "modelStreamErrorException"}}, "modelStreamErrorException"),
        ({"message": "?"}, "modelStreamErrorException"),
    ],
)
def test_error_payload_is_an_exception_frame_botocore_raises(
    payload: dict[str, Any], exception: str
) -> None:
    from botocore.exceptions import EventStreamError

    s = scenario({"reply": {**TEXT["reply"], "fault": {"error_payload": payload}}})
    last = frames(s)[-1]
    assert last.message_type == "exception" and last.event_type == exception
    with pytest.raises(EventStreamError) as caught:
        botocore_events([c.data for c in exchange(s).chunks])
    assert caught.value.response["Error"]["Code"] == exception


def test_http_429_is_a_throttling_exception_botocore_recognises() -> None:
    import botocore.session
    from botocore.parsers import RestJSONParser

    ex = exchange(scenario(error(429), TEXT))
    headers = dict(ex.headers)
    assert ex.status == 429 and ex.path.endswith("/converse-stream")
    assert str(headers["x-amzn-errortype"]).startswith("ThrottlingException:")
    assert "retry-after" not in headers
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    parsed = RestJSONParser().parse(
        {"status_code": 429, "headers": headers, "body": ex.body},
        model.operation_model("ConverseStream").output_shape,
    )
    assert parsed["Error"]["Code"] == "ThrottlingException"
    assert parsed["Error"]["Message"].startswith("Too many requests")


def test_retry_after_in_milliseconds_is_awss_x_amz_retry_after() -> None:
    headers = dict(
        exchange(scenario(error(429, retry_after=1.5, retry_after_form="ms"), TEXT)).headers
    )
    assert headers["x-amz-retry-after"] == "1500"
    assert "retry-after-ms" not in headers and "retry-after" not in headers


def test_non_streamed_reply_is_a_converse_body() -> None:
    import json

    ex = exchange(scenario(TOOL, stream=False))
    assert ex.path == "/model/anthropic.claude-3-haiku:0/converse"
    body = json.loads(ex.body)
    assert body["stopReason"] == "tool_use"
    content = body["output"]["message"]["content"]
    assert content[0] == {"text": "Let me check."}
    assert content[1]["toolUse"]["input"] == {"city": "Paris"}
    events = normalized([body])
    assert [e.kind for e in events] == ["text", "tool_call", "usage", "finish"]


@pytest.mark.parametrize(
    ("attempt", "words"),
    [
        (error(429, retry_after=2), "no Retry-After"),
        (error(429, retry_after=2, retry_after_form="http_date"), "no Retry-After"),
        (error(401), "never answers HTTP 401"),
        (reply(parts=[{"text": "x"}], finish="paused"), "no 'paused' stop reason"),
        (reply(parts=[{"text": "x"}], wire={"line_ending": "crlf"}), "binary AWS event stream"),
        (reply(parts=[{"text": "x"}], fault={"terminator_only": True}), "no terminator"),
    ],
)
def test_honest_not_applicable(attempt: dict[str, Any], words: str) -> None:
    reason = DIALECT.supports(scenario(attempt))
    assert reason is not None and words in reason


def test_deterministic_bytes_per_scenario() -> None:
    assert exchange(scenario(TOOL)).body == exchange(scenario(TOOL)).body


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared recording corpus is not here")
def test_a_real_converse_stream_imports() -> None:
    path = CORPUS / "openllmetry__test_anthropic__test_anthropic_converse_stream_with_tool_use.yaml"
    (found,) = scenarios_from(load_cassette(path))
    assert found.dialect == "bedrock-converse"
    assert found.scenario is not None
    request = found.scenario.request
    assert request.model == "anthropic.claude-3-sonnet-20240229-v1:0"
    assert [t.name for t in request.tools] == ["get_weather"]
    (attempt,) = found.scenario.attempts
    assert isinstance(attempt, ReplyWrapper)
    _text, call = attempt.reply.parts
    assert isinstance(call, ToolCallPart)
    assert call.tool_call.arguments == '{"location": "Barcelona"}'
    assert call.tool_call.fragments == ['{"locati', 'on": "Bar', "ce", 'lona"}']
    assert attempt.reply.finish == "tool_calls"
    assert attempt.reply.usage is not None and attempt.reply.usage.input == 236


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared recording corpus is not here")
def test_our_frames_have_the_keys_the_api_sent() -> None:
    import yaml

    path = CORPUS / "openllmetry__test_anthropic__test_anthropic_converse_stream_with_tool_use.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    real = decode(raw["interactions"][0]["response"]["body"]["string"])
    ours = frames(scenario(TOOL))

    def shape(found: list[Frame]) -> dict[str, set[str]]:
        keys: dict[str, set[str]] = {}
        for f in found:
            keys.setdefault(str(f.event_type), set()).update(f.json())
        return keys

    assert shape(ours) == shape(real)
    assert [f.headers for f in ours[:1]] == [f.headers for f in real[:1]]
