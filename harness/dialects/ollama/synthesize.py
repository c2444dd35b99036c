"""Ollama's chat API (``POST /api/chat``), server side.

A streamed reply is NDJSON, not SSE: one JSON object per line (``application/x-ndjson``)::

    {"model":"llama3.2","created_at":"...","message":{"role":"assistant","content":"The"},"done":false}
    ...
    {"model":"llama3.2","created_at":"...","message":{"role":"assistant","content":""},
     "done":true,"done_reason":"stop","total_duration":...,"prompt_eval_count":26,
     "eval_count":298,...}

Text streams as ``message.content`` pieces, reasoning as ``message.thinking`` pieces, each
tool call whole in ``message.tool_calls`` (``function.name`` and ``function.arguments``, a
JSON object); the last line has ``done: true``, the ``done_reason`` and the counts
(``prompt_eval_count`` in, ``eval_count`` out). Unstreamed, the same last object holds the
whole message. As documented in Ollama's ``docs/api.md`` ("Generate a chat completion").

Decisions, where a neutral scenario says more than the wire can:

* Tool-call arguments are never fragmented (``ToolCall.fragments`` collapse into one
  call); a fault placed by event index in a reply with fragmented calls is n/a, as is
  argument text that is not a JSON object. Ollama sends no call id (a tool result names
  its tool, ``tool_name``): ``call_ids = False``.
* ``done_reason``: ``stop`` ends a reply, with or without tool calls (a ``stop`` reply with
  ``tool_calls`` is the neutral ``tool_calls``); ``length`` is ``length``. Content filters,
  pauses, errors and run outcomes do not exist (n/a); a reply cut short by
  ``max_output_tokens`` is ``length``.
* Errors are ``{"error": "message"}`` bodies, in-stream too (a line with ``error`` and no
  ``done``, after which the stream ends). Ollama has no retry hint of its own: a
  scenario's ``Retry-After`` (seconds or HTTP date, the generic HTTP header a proxy in
  front of it sends) is sent as the header; ``retry-after-ms`` is n/a.
* No terminator line exists apart from the ``done`` object, which is a complete (empty)
  reply alone: ``terminator_only`` is n/a. The NDJSON framing options
  (:func:`~harness.dialects.framing.ndjson_support`): LF or CRLF line ends, any chunking;
  SSE options are n/a.

Stream faults count lines (the ``done`` line last), from 0. Output is a pure function of
the scenario.
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue

from harness.dialects.chunking import chunk_events, split_text
from harness.dialects.common import (
    WireDialect,
    apply_data_fault,
    compact_json,
    error_headers,
)
from harness.dialects.exchanges import Headers, error_reply, json_reply, streamed_reply
from harness.dialects.framing import frame_lines, ndjson_support
from harness.dialects.script import Chunk, Exchange, HttpDate, Script
from harness.dialects.whole_calls import (
    Wording,
    arguments_object,
    whole_call_support,
)
from harness.scenario.model import (
    ErrorAttempt,
    HttpErrorReply,
    ReasoningPart,
    ReplyAttempt,
    Scenario,
    TextPart,
    ToolCallPart,
    Usage,
    Wire,
)

__all__ = ["PATH", "OllamaDialect", "go_json", "ollama_error", "ollama_model"]

PATH = "/api/chat"

_DONE = {"stop": "stop", "tool_calls": "stop", "length": "length"}
"""Neutral finish reasons as ``done_reason``."""

_CREATED = "2026-01-01T00:00:00.000000000Z"

_ERRORS: dict[int, str] = {
    400: "invalid request: messages must not be empty",
    401: "unauthorized",
    403: "forbidden",
    404: 'model "{model}" not found, try pulling it first',
    429: "too many requests",
    500: "llama runner process has terminated: exit status 2",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


def ollama_model(model: str) -> str:
    """The Ollama model a scenario's ``request.model`` names, with its tag: itself if it
    has one (``llama3.2:3b``), else ``<model>:latest``, the tag Ollama gives an untagged
    name (and answers with). Neutral scenarios name OpenAI's models, and a client may route
    a model by its bare name: litellm sends ``ollama_chat/gpt-4o-mini`` to its OpenAI
    handler (``litellm/main.py:2560-2561``). Drivers of this wire send it."""
    return model if ":" in model else f"{model}:latest"


class OllamaDialect(WireDialect):
    """Compiles scenarios into Ollama ``/api/chat`` exchanges."""

    name = "ollama"

    def wire_support(self, scenario: Scenario) -> str | None:
        for attempt in scenario.attempts:
            if isinstance(attempt, ErrorAttempt):
                error = attempt.error
                if error.retry_after is not None and error.retry_after_form == "ms":
                    return "retry-after-ms is OpenAI's header; ollama has no retry hint of its own"
        for reply in scenario.replies():
            reason = _reply_support(reply, scenario.request.stream)
            if reason is not None:
                return reason
        return ndjson_support(scenario)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _error_exchange, _reply_exchange)


_WORDING = Wording(
    wire="ollama",
    finish="done_reason",
    tool_finish="done_reason",
    stop_alone="stop without a call is a plain stop",
    stop_with_calls="stop with tool_calls reads as tool_calls",
    arguments="function.arguments",
    thinking="ollama's thinking carries none",
    last="the done line",
    whole="tool-call arguments",
)
"""The Ollama wire's words in the reasons a reply cannot be said on it."""


def _reply_support(reply: ReplyAttempt, stream: bool) -> str | None:
    if reply.outcome == "incomplete" and reply.incomplete_reason != "max_output_tokens":
        return f"ollama has no {reply.incomplete_reason} done_reason"
    return whole_call_support(reply, stream, _DONE, _WORDING)


# --------------------------------------------------------------------------- replies


def _done_reason(reply: ReplyAttempt) -> str:
    return "length" if reply.outcome == "incomplete" else _DONE[reply.finish]


def _counts(usage: Usage | None) -> dict[str, int]:
    """The last object's durations (nanoseconds) and counts, as Ollama reports them."""
    out = {"total_duration": 1_250_000_000, "load_duration": 12_000_000}
    if usage is not None:
        out |= {
            "prompt_eval_count": usage.input,
            "prompt_eval_duration": 80_000_000,
            "eval_count": usage.output,
            "eval_duration": 1_100_000_000,
        }
    return out


def _message(content: str = "", **more: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content, **more}


def _calls(reply: ReplyAttempt) -> list[dict[str, Any]]:
    return [
        {"function": {"name": p.tool_call.name, "arguments": arguments_object(p.tool_call)}}
        for p in reply.parts
        if isinstance(p, ToolCallPart)
    ]


def _line(model: str, message: dict[str, Any], done: bool = False, **more: Any) -> dict[str, Any]:
    return {"model": model, "created_at": _CREATED, "message": message, "done": done, **more}


def go_json(value: object) -> str:
    """JSON as Ollama's Go server writes it: compact, UTF-8 kept, but U+2028 and U+2029
    escaped (Go's encoding/json always escapes them; U+0085 and the rest stay raw)."""
    return compact_json(value).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    model = ollama_model(scenario.request.model)
    final = {"done_reason": _done_reason(reply), **_counts(reply.usage)}
    if not scenario.request.stream:
        message = _message("".join(p.text for p in reply.parts if isinstance(p, TextPart)))
        thinking = "".join(p.reasoning for p in reply.parts if isinstance(p, ReasoningPart))
        if thinking:
            message["thinking"] = thinking
        if _calls(reply):
            message["tool_calls"] = _calls(reply)
        body = go_json(_line(model, message, True, **final))
        headers: Headers = (("content-type", "application/json; charset=utf-8"),)
        return json_reply(PATH, headers, body, n, reply.wire)
    content: list[str] = []
    calls = iter(_calls(reply))
    for part in reply.parts:
        if isinstance(part, TextPart):
            for piece in split_text(part.text, part.deltas):
                content.append(go_json(_line(model, _message(piece))))
        elif isinstance(part, ReasoningPart):
            for piece in split_text(part.reasoning, part.deltas):
                content.append(go_json(_line(model, _message(thinking=piece))))
        else:
            message = _message(tool_calls=[next(calls)])
            content.append(go_json(_line(model, message)))
    tail = [go_json(_line(model, _message(), True, **final))]
    lines, end = apply_data_fault(reply.fault, content, tail, _stream_error)
    headers = (("content-type", "application/x-ndjson"),)
    return streamed_reply(PATH, headers, encode_lines(lines, reply.wire), end, n, reply.wire)


def encode_lines(lines: list[str], wire: Wire) -> tuple[Chunk, ...]:
    """NDJSON-encode the lines as the wire's options say, then chunk."""
    encoded, delays = frame_lines(lines, wire)
    return chunk_events(encoded, wire.chunking, event_delay=delays)


def ollama_error(message: str) -> dict[str, str]:
    """Ollama's error body (and in-stream error line)."""
    return {"error": message}


def _stream_error(payload: dict[str, JsonValue]) -> str:
    """An error payload as Ollama's ``{"error": "message"}`` line."""
    inner = payload.get("error", payload)
    if isinstance(inner, str):
        return go_json(ollama_error(inner))
    message = inner.get("message") if isinstance(inner, dict) else None
    return go_json(ollama_error(str(message or _ERRORS[500])))


# --------------------------------------------------------------------------- errors


def _error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    base: dict[str, str | HttpDate] = {"content-type": "application/json; charset=utf-8"}
    headers = error_headers(error, base)
    text = _ERRORS.get(error.status) or _ERRORS[500 if error.status >= 500 else 400]
    usual = ollama_error(text.format(model=scenario.request.model))
    body = error.body if error.body is not None else usual
    return error_reply(PATH, error.status, headers, compact_json(body), n)
