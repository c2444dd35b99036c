"""SSE framing options change the bytes, never the events: decoded by the spec-exact decoder,
every dialect's stream with an option is the stream without it (unknown events aside)."""

from __future__ import annotations

import json

import pytest

from harness.dialects import dialect_names, get_dialect
from harness.dialects.framing import framing_support
from harness.dialects.sse import decode
from harness.scenario.model import Expect as _Expect
from harness.scenario.model import (
    Message,
    ReplyAttempt,
    ReplyWrapper,
    Request,
    Scenario,
    TextPart,
    Usage,
    Wire,
)

OPTIONS = [
    {"multiline_data": True},
    {"extra_fields": True},
    {"unknown_events": True},
    {"comment_in_event": True},
    {"bom": True},
    {"unterminated_tail": True},
    {"line_ending": "cr"},
    {"line_ending": "crlf", "chunking": "crlf_split"},
]


def _scenario(wire: Wire) -> Scenario:
    reply = ReplyAttempt(
        parts=[TextPart(text="One, two, three.", deltas=3)],
        usage=Usage(input=3, output=4),
        wire=wire,
    )
    return Scenario(
        id="framing",
        request=Request(messages=[Message(role="user", content="Count.")]),
        attempts=[ReplyWrapper(reply=reply)],
        expect=_Expect(text="One, two, three.", finish="stop"),
    )


def _events(scenario: Scenario, dialect: str) -> list[tuple[str | None, object]]:
    script = get_dialect(dialect).synthesize(scenario)
    body = script.exchanges[-1].body
    if dict(script.exchanges[-1].headers).get("content-type") == "application/x-ndjson":
        return [(None, json.loads(line)) for line in body.splitlines() if line.strip()]
    out = []
    for event in decode(body):
        if event.event == "harness.unknown":
            continue
        try:
            data: object = json.loads(event.data)
        except ValueError:
            data = event.data
        out.append((event.event, data))
    return out


@pytest.mark.parametrize("dialect", dialect_names())
@pytest.mark.parametrize(
    "option", OPTIONS, ids=lambda o: "+".join(f"{k}={v}" for k, v in o.items())
)
def test_an_option_keeps_the_events(dialect: str, option: dict[str, object]) -> None:
    framed = _scenario(Wire.model_validate(option))
    speaker = get_dialect(dialect)
    reason = speaker.supports(framed)
    if getattr(speaker.reader, "decode_stream", None) is not None:  # a stream that is not SSE
        assert reason is not None and "SSE framing options" in reason, reason
        return
    if reason is not None:
        data_only = ("openai-chat", "gateway", "gemini", "ollama")
        ndjson = dialect == "ollama" and option.get("line_ending") != "crlf"  # SSE-only options
        assert (option.get("unknown_events") and dialect in data_only) or ndjson, reason
        return
    plain = _events(_scenario(Wire()), dialect)
    events = _events(framed, dialect)
    if option.get("bom") and dialect == "openai-chat":
        # the role rides on the first content delta, so the first event carries content
        first = events[0][1]
        assert isinstance(first, dict) and first["choices"][0]["delta"]["role"] == "assistant"
        assert len(events) == len(plain) - 1
        return
    assert events == plain


def test_unknown_events_are_n_a_on_data_only_wires() -> None:
    framed = _scenario(Wire(unknown_events=True))
    for dialect in ("openai-chat", "gateway"):
        reason = framing_support(framed, named_events=False)
        assert reason is not None and "data-only" in reason
        assert get_dialect(dialect).supports(framed) == reason
