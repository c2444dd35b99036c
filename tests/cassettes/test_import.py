"""Recording -> neutral scenario: dialect detection, the readers (recorded pieces kept
exactly), requests in neutral terms, errors, and the ``harness import`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes.detect import detect_dialect
from harness.cassettes.format import dump_cassette
from harness.cassettes.import_ import REPEATS, scenario_for
from harness.cassettes.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from harness.cassettes.reply import read_interaction
from harness.cli.app import main
from harness.scenario.load import load_scenario
from harness.scenario.model import ErrorAttempt, ReasoningPart, ReplyWrapper, TextPart, ToolCallPart

SSE = (("content-type", "text/event-stream"),)
JSON = (("content-type", "application/json"),)


def sse(*events: dict[str, Any] | str, named: bool = False) -> bytes:
    out = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
        if named and isinstance(event, dict):
            out.append(f"event: {event['type']}\ndata: {data}\n\n")
        else:
            out.append(f"data: {data}\n\n")
    return "".join(out).encode()


def interaction(
    uri: str,
    body: bytes,
    *,
    request: dict[str, Any] | None = None,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = SSE,
) -> Interaction:
    payload = json.dumps(request or {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    return Interaction(
        RecordedRequest("POST", uri, (), payload.encode()),
        RecordedResponse(status, "", headers, body),
    )


def chat_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


CHAT_STREAM = sse(
    chat_chunk({"role": "assistant", "content": ""}),
    chat_chunk({"content": "Hel"}),
    chat_chunk({"content": "lo"}),
    chat_chunk(
        {
            "tool_calls": [
                {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"ci'}}
            ]
        }
    ),
    chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]}),
    chat_chunk({}, "tool_calls"),
    {
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4},
    },
    "[DONE]",
)


def test_chat_stream_keeps_the_recorded_pieces_exactly() -> None:
    found = scenario_for(
        interaction("https://api.openai.com/v1/chat/completions", CHAT_STREAM), "c.yaml", "x-1"
    )
    assert found.dialect == "openai-chat" and found.scenario is not None
    reply = found.scenario.attempts[0]
    assert isinstance(reply, ReplyWrapper)
    text, call = reply.reply.parts
    assert isinstance(text, TextPart) and text.deltas == ["Hel", "lo"]
    assert isinstance(call, ToolCallPart)
    assert call.tool_call.fragments == ['{"ci', 'ty": "Paris"}']
    assert call.tool_call.arguments == '{"city": "Paris"}'  # not compact JSON: kept as text
    expect = found.scenario.expect
    assert expect.text == "Hello" and expect.finish == "tool_calls" and expect.requests == 1
    assert expect.tool_calls is not None and expect.tool_calls[0].arguments == {"city": "Paris"}
    assert expect.usage is not None and (expect.usage.input, expect.usage.output) == (9, 4)
    assert found.scenario.request.stream is True


def test_compact_arguments_become_an_object_and_unparseable_ones_stay_text() -> None:
    body = sse(
        chat_chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x":1}'}}
                ]
            }
        ),
        chat_chunk(
            {
                "tool_calls": [
                    {"index": 1, "id": "b", "function": {"name": "g", "arguments": '{"y":'}}
                ]
            }
        ),
        chat_chunk({}, "tool_calls"),
        "[DONE]",
    )
    found = scenario_for(interaction("https://h/v1/chat/completions", body), "c", "x-1")
    assert found.scenario is not None
    parts = found.scenario.attempts[0].reply.parts  # type: ignore[union-attr]
    calls = [p.tool_call.arguments for p in parts if isinstance(p, ToolCallPart)]
    assert calls == [{"x": 1}, '{"y":']
    assert found.scenario.expect.tool_calls is None  # '{"y":' cannot be expected as an object


def test_groq_error_event_ends_the_stream_as_a_fault() -> None:
    body = sse(chat_chunk({"content": "a"}), {"error": {"message": "bad tool", "status_code": 400}})
    found = scenario_for(
        interaction("https://api.groq.com/openai/v1/chat/completions", body), "c", "x-1"
    )
    assert found.scenario is not None
    reply = found.scenario.attempts[0].reply  # type: ignore[union-attr]
    assert reply.fault is not None and reply.fault.error_payload is not None
    assert found.scenario.expect.error == "bad_request"


def test_responses_stream() -> None:
    body = sse(
        {"type": "response.created", "response": {}},
        {"type": "response.reasoning_summary_text.delta", "delta": "Think"},
        {"type": "response.output_text.delta", "delta": "Hi"},
        {
            "type": "response.output_item.added",
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "f",
                "arguments": "",
            },
        },
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"a":'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "2}"},
        {
            "type": "response.completed",
            "response": {
                "status": "completed",
                "usage": {
                    "input_tokens": 3,
                    "output_tokens": 5,
                    "input_tokens_details": {"cached_tokens": 1},
                },
            },
        },
        named=True,
    )
    found = scenario_for(interaction("https://api.openai.com/v1/responses", body), "c", "x-1")
    assert found.dialect == "openai-responses" and found.scenario is not None
    reply = found.scenario.attempts[0].reply  # type: ignore[union-attr]
    reasoning, text, call = reply.parts
    assert isinstance(reasoning, ReasoningPart) and reasoning.reasoning == "Think"
    assert isinstance(text, TextPart) and text.text == "Hi"
    assert isinstance(call, ToolCallPart) and call.tool_call.id == "call_1"
    assert call.tool_call.arguments == {"a": 2} and call.tool_call.fragments == ['{"a":', "2}"]
    assert reply.finish == "tool_calls" and reply.usage is not None and reply.usage.cache_read == 1


def test_responses_incomplete() -> None:
    body = sse(
        {"type": "response.output_text.delta", "delta": "Once upon"},
        {
            "type": "response.incomplete",
            "response": {
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
            },
        },
        named=True,
    )
    reading = read_interaction(interaction("https://h/v1/responses", body), "openai-responses")
    assert (reading.outcome, reading.finish) == ("incomplete", "length")


def test_anthropic_stream_with_thinking_signature_and_tool_use() -> None:
    body = sse(
        {
            "type": "message_start",
            "message": {
                "usage": {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 4}
            },
        },
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Hmm"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "sig=="},
        },
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ""},
        },
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_2", "name": "g", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"q": '},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '"x"}'},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 42},
        },
        {"type": "message_stop"},
        named=True,
    )
    found = scenario_for(interaction("https://api.anthropic.com/v1/messages", body), "c", "x-1")
    assert found.dialect == "anthropic-messages" and found.scenario is not None
    reply = found.scenario.attempts[0].reply  # type: ignore[union-attr]
    thinking, no_args, args = reply.parts
    assert isinstance(thinking, ReasoningPart) and thinking.signature == "sig=="
    assert no_args.tool_call.arguments == {}  # type: ignore[union-attr]
    assert args.tool_call.fragments == ['{"q": ', '"x"}']  # type: ignore[union-attr]
    assert reply.finish == "tool_calls"
    assert reply.usage is not None and (reply.usage.input, reply.usage.output) == (10, 42)
    assert reply.usage.cache_read == 4

    from harness.dialects import get_dialect

    assert (
        get_dialect("openai-chat").supports(found.scenario)
        == "openai-chat has no thinking signatures"
    )
    portable = scenario_for(
        interaction("https://api.anthropic.com/v1/messages", body), "c", "x-1", portable=True
    )
    assert (
        portable.scenario is not None and "thinking signatures (portable import)" in portable.notes
    )
    assert get_dialect("openai-chat").supports(portable.scenario) is None


def test_gateway_stream() -> None:
    body = sse(
        {
            "content": "Hi",
            "tool_calls": [],
            "usage": None,
            "is_final": False,
            "finish_reason": None,
        },
        {
            "content": "",
            "tool_calls": [{"id": "c1", "name": "f", "arguments": {"a": 1}}],
            "usage": None,
            "is_final": False,
            "finish_reason": None,
        },
        {
            "content": "",
            "tool_calls": [],
            "usage": {"prompt_tokens": 2, "completion_tokens": 3},
            "is_final": True,
            "finish_reason": "tool_calls",
        },
        "[DONE]",
    )
    found = scenario_for(interaction("https://gw/api/v1/llm/chat/stream", body), "c", "x-1")
    assert found.dialect == "gateway" and found.scenario is not None
    expect = found.scenario.expect
    assert expect.text == "Hi" and expect.finish == "tool_calls"
    assert expect.tool_calls is not None and expect.tool_calls[0].arguments == {"a": 1}


def test_non_streamed_json_replies() -> None:
    body = json.dumps(
        {
            "choices": [
                {"message": {"content": "Hi", "tool_calls": None}, "finish_reason": "length"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2},
        }
    ).encode()
    found = scenario_for(
        interaction("https://api.openai.com/v1/chat/completions", body, headers=JSON), "c", "x-1"
    )
    assert found.scenario is not None and found.scenario.request.stream is False
    assert (found.scenario.expect.text, found.scenario.expect.finish) == ("Hi", "length")


@pytest.mark.parametrize(
    ("status", "body", "kind", "attempts"),
    [
        (401, {"error": {"message": "Incorrect API key"}}, "auth", 1),
        (404, {"error": {"message": "no such model"}}, "not_found", 1),
        (400, {"error": {"message": "maximum context_length exceeded"}}, "context_window", 1),
        (429, {"error": {"message": "slow down"}}, "rate_limit", REPEATS),
        (503, None, "server", REPEATS),
    ],
)
def test_http_errors(status: int, body: Any, kind: str, attempts: int) -> None:
    data = json.dumps(body).encode() if body else b""
    found = scenario_for(
        interaction(
            "https://api.openai.com/v1/chat/completions", data, status=status, headers=JSON
        ),
        "c",
        "x-1",
    )
    assert found.scenario is not None
    assert found.scenario.expect.error == kind
    assert len(found.scenario.attempts) == attempts
    assert all(
        isinstance(a, ErrorAttempt) and a.error.status == status for a in found.scenario.attempts
    )


def test_neutral_requests_from_each_dialect() -> None:
    responses = {
        "model": "gpt-4o",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "w",
                "arguments": '{"city": "Oslo"}',
            },
            {"type": "function_call_output", "call_id": "c1", "output": "rain"},
        ],
        "tools": [
            {"type": "function", "name": "w", "parameters": {"type": "object"}},
            {"type": "web_search"},
        ],
        "max_output_tokens": 50,
    }
    found = scenario_for(
        interaction("https://h/v1/responses", b"", request=responses, headers=JSON), "c", "x-1"
    )
    assert found.scenario is not None
    request = found.scenario.request
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool"]
    assert request.messages[2].tool_calls[0].arguments == {"city": "Oslo"}
    assert [t.name for t in request.tools] == ["w"] and request.max_tokens == 50
    assert any("web_search" in note for note in found.notes)

    anthropic = {
        "model": "claude",
        "system": [{"type": "text", "text": "Sys"}],
        "max_tokens": 9,
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Q"}, {"type": "image", "source": {}}],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {"a": 1}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
            },
        ],
        "tools": [{"name": "w", "input_schema": {"type": "object"}}],
    }
    found = scenario_for(
        interaction("https://api.anthropic.com/v1/messages", b"", request=anthropic, headers=JSON),
        "c",
        "x-1",
    )
    assert found.scenario is not None
    messages = found.scenario.request.messages
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[3].tool_call_id == "t1" and messages[3].content == "ok"
    assert any("image" in note for note in found.notes)


@pytest.mark.parametrize(
    ("uri", "body", "dialect"),
    [
        (
            "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=1",
            b"",
            "openai-chat",
        ),
        ("https://api.groq.com/openai/v1/chat/completions", b"", "openai-chat"),
        ("https://api.openai.com/v1/responses", b"", "openai-responses"),
        ("https://api.anthropic.com/v1/messages?beta=true", b"", "anthropic-messages"),
        ("https://x.api.azureml.ms/agents/v1.0/threads/t/runs", b"", "azure-agents"),
        ("https://api.openai.com/v1/threads/t/messages", b"", "azure-agents"),
        ("https://gw.example/api/v1/llm/chat", b"", "gateway"),
        (
            "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent",
            b"{}",
            "gemini",
        ),
        (
            "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/l/"
            "publishers/google/models/g:streamGenerateContent?alt=sse",
            b"",
            "gemini",
        ),
        ("http://localhost:11434/api/chat", b"", "ollama"),
        (
            "http://localhost:8080/proxy",
            b'{"model":"m","message":{"role":"assistant","content":"a"},"done":false}\n',
            "ollama",
        ),
        (
            "http://localhost:8080/proxy",
            b"event: message_start\ndata: {}\n\n",
            "anthropic-messages",
        ),
        (
            "http://localhost:8080/proxy",
            b'data: {"object":"chat.completion.chunk"}\n\n',
            "openai-chat",
        ),
    ],
)
def test_detect_dialect(uri: str, body: bytes, dialect: str) -> None:
    assert detect_dialect(interaction(uri, body)) == dialect


def test_harness_import_writes_valid_scenario_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = Cassette(
        (
            interaction("https://api.openai.com/v1/chat/completions", CHAT_STREAM),
            interaction("https://generativelanguage.googleapis.com/v1beta/x", b"{}", headers=JSON),
        ),
        source="My Cassette.yaml",
    )
    source = tmp_path / "My Cassette.yaml"
    source.write_text(dump_cassette(cassette), encoding="utf-8")
    out = tmp_path / "scenarios"
    assert main(["import", str(source), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        "#2 other: skipped (generativelanguage.googleapis.com/v1beta/x: a provider harness "
        "has no dialect for (no neutral reader))"
    ) in printed
    written = sorted(out.iterdir())
    assert [p.name for p in written] == ["my-cassette-1.yaml"]
    text = written[0].read_text(encoding="utf-8")
    schema = (
        Path(__file__).resolve().parents[2] / "harness/vocab/schema/scenario.schema.json"
    ).resolve()
    header = text.splitlines()[0]
    assert header.startswith("# yaml-language-server: $schema=")
    assert (out / header.split("=", 1)[1]).resolve() == schema
    scenario = load_scenario(written[0])
    assert scenario.id == "my-cassette-1" and scenario.expect.text == "Hello"


def test_harness_import_of_a_bad_file_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: [\n", encoding="utf-8")
    assert main(["import", str(bad), "-o", str(tmp_path)]) == 2
    assert f"harness: {bad}:2: YAML error" in capsys.readouterr().err
