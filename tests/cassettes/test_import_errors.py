"""Errors stay errors on import: a recording that says the call failed (an in-stream error,
a 200 body with an error and no reply, a body no reader of the dialect can parse, an HTTP
error status) becomes a scenario that expects that failure, and replaying it into the real
SDK shows the failure again. Nothing becomes a success it was not."""

from __future__ import annotations

import json

import pytest

from harness.cassettes.import_ import scenario_for
from harness.cassettes.model import Interaction
from harness.dialects import get_dialect
from harness.drivers.base import get_driver
from harness.run.runner import run_scenario
from harness.scenario.model import ErrorAttempt, RawAttempt, ReplyWrapper
from tests.cassettes.test_import import JSON, chat_chunk, interaction, sse

CHAT = "https://openrouter.ai/api/v1/chat/completions"
TEXT = (("content-type", "text/plain; charset=utf-8"),)


def imported(found_interaction: Interaction) -> tuple[object, ...]:
    found = scenario_for(found_interaction, "rec.yaml", "rec-1")
    assert found.scenario is not None, found.skipped
    return found.scenario, found.notes


def test_an_openrouter_error_chunk_beside_choices_is_an_expected_failure() -> None:
    error = {"code": 502, "message": "Token limit reached"}
    body = sse(
        chat_chunk({"content": "Hel"}),
        {
            "object": "chat.completion.chunk",
            "error": error,
            "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
        },
    )
    scenario, _ = imported(interaction(CHAT, body))
    assert scenario.expect.error == "server"  # type: ignore[attr-defined]
    reply = scenario.attempts[0].reply  # type: ignore[attr-defined]
    assert reply.fault is not None and reply.fault.error_payload == {"error": error}


def test_a_finish_reason_error_alone_is_a_failure_too() -> None:
    body = sse(chat_chunk({"content": "Hel"}), chat_chunk({}, "error"), "[DONE]")
    scenario, _ = imported(interaction(CHAT, body))
    assert scenario.expect.error is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"error": {"message": "Rate limit exceeded", "code": 429}}, "rate_limit"),
        ({"error": {"message": "upstream failed", "code": 502}}, "server"),
        ({"id": "gen-1", "object": "chat.completion", "model": "m"}, "protocol"),
    ],
)
def test_a_200_json_body_with_no_choices_is_served_raw_and_expected_to_fail(
    payload: dict[str, object], kind: str
) -> None:
    data = json.dumps(payload).encode()
    scenario, notes = imported(interaction(CHAT, data, headers=JSON))
    [attempt] = scenario.attempts  # type: ignore[attr-defined]
    assert isinstance(attempt, RawAttempt) and attempt.raw.body == data.decode()
    assert scenario.expect.error == kind  # type: ignore[attr-defined]
    assert scenario.dialects == ["openai-chat"]  # type: ignore[attr-defined]
    assert any("no choices" in note for note in notes)


def test_a_text_plain_body_is_served_byte_for_byte_with_a_protocol_error_expected() -> None:
    body = b"upstream connect error or disconnect/reset before headers\n"
    scenario, notes = imported(interaction(CHAT, body, headers=TEXT))
    assert scenario.expect.error == "protocol"  # type: ignore[attr-defined]
    assert any("text/plain" in note and "byte for byte" in note for note in notes)
    [exchange] = get_dialect("openai-chat").synthesize(scenario).exchanges  # type: ignore[arg-type]
    assert exchange.body == body and exchange.status == 200
    assert dict(exchange.headers)["content-type"] == "text/plain; charset=utf-8"


def test_a_stream_with_an_event_that_is_not_json_is_served_raw() -> None:
    body = sse(chat_chunk({"content": "Hi"}), "{not json", "[DONE]")
    scenario, _ = imported(interaction(CHAT, body))
    [attempt] = scenario.attempts  # type: ignore[attr-defined]
    assert isinstance(attempt, RawAttempt) and attempt.raw.body.encode() == body
    assert scenario.expect.error == "protocol"  # type: ignore[attr-defined]


def test_an_http_error_with_a_text_body_stays_an_http_error() -> None:
    found = interaction(CHAT, b"Bad Gateway", status=502, headers=TEXT)
    scenario, _ = imported(found)
    assert all(isinstance(a, ErrorAttempt) for a in scenario.attempts)  # type: ignore[attr-defined]
    assert scenario.expect.error == "server"  # type: ignore[attr-defined]


def test_a_readable_reply_is_still_a_reply() -> None:
    body = sse(chat_chunk({"content": "Hi"}), chat_chunk({}, "stop"), "[DONE]")
    scenario, _ = imported(interaction(CHAT, body))
    assert isinstance(scenario.attempts[0], ReplyWrapper)  # type: ignore[attr-defined]
    assert scenario.expect.error is None and scenario.dialects is None  # type: ignore[attr-defined]


STREAM = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
OPENROUTER_ERROR = {
    "object": "chat.completion.chunk",
    "error": {"code": 502, "message": "Token limit reached"},
    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(sse(chat_chunk({"content": "Hi"}), "{not json", "[DONE]"), id="not-json"),
        pytest.param(sse(chat_chunk({"content": "Hel"}), OPENROUTER_ERROR), id="error-chunk"),
    ],
)
def test_the_real_sdk_fails_on_the_replayed_stream_as_the_recording_did(body: bytes) -> None:
    """Before, both were imported as a clean "Hi"/"Hel" reply; the SDK fails on both."""
    pytest.importorskip("openai")
    scenario, _ = imported(interaction(CHAT, body, request=STREAM))
    run = run_scenario(scenario, get_driver("openai-sdk-chat"))  # type: ignore[arg-type]
    assert [e.kind for e in run.transcript.events][-1] == "error"
    assert scenario.expect.error is not None  # type: ignore[attr-defined]
    if b"not json" in body:
        assert run.status == "pass", run.reason()


def test_a_tool_call_name_repeated_on_every_delta_is_noted() -> None:
    def delta(args: str) -> dict[str, object]:
        call = {"index": 0, "id": "call_1", "function": {"name": "get_weather", "arguments": args}}
        return chat_chunk({"tool_calls": [call]})

    body = sse(delta('{"city":'), delta('"Paris"}'), chat_chunk({}, "tool_calls"), "[DONE]")
    _, notes = imported(interaction(CHAT, body))
    assert any("'get_weather' is repeated" in note for note in notes)
