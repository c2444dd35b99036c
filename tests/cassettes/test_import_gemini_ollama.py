"""Recordings of Gemini and Ollama import into scenarios of their dialect: Gemini's SSE
(CRLF, as the API ends its events), its JSON-array stream, its errors with a RetryInfo
hint; Ollama's NDJSON lines; and a recorder's re-indented JSON body is not a cut one."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from harness.cassettes.format import load_cassette
from harness.cassettes.import_ import scenario_for
from harness.cassettes.model import CassetteError, Interaction, RecordedRequest, RecordedResponse
from harness.scenario.model import ErrorAttempt, ReplyWrapper, TextPart, ToolCallPart

GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash"
OLLAMA = "http://localhost:11434/api/chat"
GEMINI_REQUEST = {
    "contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"c": 1}}}]},
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 21}}}],
        },
    ],
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "tools": [
        {"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT"}}]},
        {"googleSearch": {}},
    ],
    "generationConfig": {"maxOutputTokens": 64},
}


def _interaction(
    uri: str, body: bytes, request: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> Interaction:
    return Interaction(
        RecordedRequest("POST", uri, (), json.dumps(request).encode()),
        RecordedResponse(200, "", headers, body),
    )


def _chunk(parts: list[dict[str, Any]], finish: str | None = None, **more: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], **more}


USAGE = {"promptTokenCount": 9, "candidatesTokenCount": 4, "totalTokenCount": 13}


def test_a_gemini_sse_stream_with_crlf_imports_its_pieces_calls_and_usage() -> None:
    chunks = [
        _chunk([{"text": "It is "}], usageMetadata={"promptTokenCount": 9}),
        _chunk([{"text": "sunny."}]),
        _chunk([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]),
        _chunk([{"text": ""}], "STOP", usageMetadata=USAGE),
    ]
    body = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks).encode()
    found = scenario_for(
        _interaction(f"{GEMINI}:streamGenerateContent?alt=sse", body, GEMINI_REQUEST), "c", "g-1"
    )
    assert found.dialect == "gemini" and found.scenario is not None
    scenario = found.scenario
    assert scenario.request.model == "gemini-2.0-flash" and scenario.request.max_tokens == 64
    assert [t.name for t in scenario.request.tools] == ["get_weather"]
    roles = [m.role for m in scenario.request.messages]
    assert roles == ["system", "user", "assistant", "tool"]
    assert scenario.request.messages[3].tool_call_id == "get_weather"
    reply = scenario.attempts[0]
    assert isinstance(reply, ReplyWrapper)
    text, call = reply.reply.parts
    assert isinstance(text, TextPart) and text.deltas == ["It is ", "sunny."]
    assert isinstance(call, ToolCallPart) and call.tool_call.arguments == {"city": "Paris"}
    assert scenario.expect.finish == "tool_calls"
    assert scenario.expect.usage is not None and scenario.expect.usage.output == 4


def test_a_gemini_json_array_stream_and_an_error_event_in_it() -> None:
    body = json.dumps(
        [
            _chunk([{"text": "Hel"}]),
            {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}},
        ]
    ).encode()
    found = scenario_for(
        _interaction(f"{GEMINI}:streamGenerateContent", body, GEMINI_REQUEST), "c", "g-2"
    )
    assert found.scenario is not None
    reply = found.scenario.attempts[0]
    assert isinstance(reply, ReplyWrapper) and reply.reply.fault is not None
    assert reply.reply.fault.error_payload is not None
    assert found.scenario.expect.error == "server"


def test_a_gemini_429_keeps_its_retry_info() -> None:
    error = {
        "error": {
            "code": 429,
            "message": "quota",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}],
        }
    }
    interaction = Interaction(
        RecordedRequest(
            "POST", f"{GEMINI}:generateContent", (), json.dumps(GEMINI_REQUEST).encode()
        ),
        RecordedResponse(
            429, "", (("content-type", "application/json"),), json.dumps(error).encode()
        ),
    )
    found = scenario_for(interaction, "c", "g-3")
    assert found.dialect == "gemini" and found.scenario is not None
    first = found.scenario.attempts[0]
    assert isinstance(first, ErrorAttempt) and first.error.body == error
    assert found.scenario.expect.error == "rate_limit"


def test_an_ollama_ndjson_stream_imports_its_lines() -> None:
    lines = [
        {"model": "llama3.2", "message": {"role": "assistant", "content": "Hi"}, "done": False},
        {"model": "llama3.2", "message": {"role": "assistant", "content": " there"}, "done": False},
        {
            "model": "llama3.2",
            "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}}],
            },
            "done": False,
        },
        {
            "model": "llama3.2",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 5,
            "eval_count": 3,
        },
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    request = {
        "model": "llama3.2",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "content": "42", "tool_name": "f"},
        ],
        "options": {"num_predict": 32},
    }
    # no content type kept (some recorders strip headers): the lines say NDJSON
    found = scenario_for(_interaction(OLLAMA, body, request), "c", "o-1")
    assert found.dialect == "ollama" and found.scenario is not None
    scenario = found.scenario
    assert scenario.request.max_tokens == 32 and scenario.request.messages[1].tool_call_id == "f"
    reply = scenario.attempts[0]
    assert isinstance(reply, ReplyWrapper)
    text, call = reply.reply.parts
    assert isinstance(text, TextPart) and text.deltas == ["Hi", " there"]
    assert isinstance(call, ToolCallPart) and call.tool_call.arguments == {"x": 1}
    assert (scenario.expect.finish, scenario.expect.usage) == ("tool_calls", scenario.expect.usage)
    assert scenario.expect.usage is not None and scenario.expect.usage.input == 5


def _cassette(tmp_path: Any, body: str, length: int) -> Any:
    path = tmp_path / f"c{length}-{len(body)}.yaml"
    doc = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": f"{GEMINI}:generateContent", "body": "{}"},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Length": [str(length)]},
                    "body": {"string": body},
                },
            }
        ],
        "version": 1,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_re_indented_json_body_is_not_a_cut_one(tmp_path: Any) -> None:
    whole = json.dumps(_chunk([{"text": "Hi"}], "STOP"))
    cassette = load_cassette(_cassette(tmp_path, whole, len(whole) + 40))
    assert len(cassette.interactions) == 1
    with pytest.raises(CassetteError, match="the body was cut"):
        load_cassette(_cassette(tmp_path, whole[:-5], len(whole)))
