"""The Gemini API wire (``models/{model}:generateContent`` and
``models/{model}:streamGenerateContent?alt=sse``), server side.

A reply is a ``GenerateContentResponse``: ``candidates[0]`` with ``content.parts`` (``text``
parts, ``thought: true`` text parts for reasoning, ``functionCall`` parts with a name and
WHOLE ``args``), its ``finishReason`` and the response's ``usageMetadata``
(``promptTokenCount``, ``candidatesTokenCount``, ``totalTokenCount``,
``cachedContentTokenCount``), ``modelVersion`` and ``responseId``. A stream sends one such
response per SSE ``data:`` event (no ``event:`` names, no ``[DONE]``): one per text delta
and one per function call, the last of them carrying the ``finishReason`` and the usage
(an empty reply: one chunk with an empty text part), as the recordings in
``../shared/corpus/gemini`` show.

Decisions, where a neutral scenario says more than the wire can:

* Function-call arguments are never fragmented on this wire: ``ToolCall.fragments``
  collapse into one ``functionCall`` part. A fault placed by event index in a reply with
  fragmented calls is n/a (its position counts fragments that do not exist here), and so
  is argument text that is not a JSON object. The Gemini Developer API sends no call id
  (``FunctionCall.id`` is optional and it leaves it out): the dialect sends none
  (``call_ids = False``), so no check asks an adapter for one.
* ``finishReason``: ``STOP`` ends a reply, with or without function calls (Gemini has no
  tool-call finish: a ``STOP`` reply holding ``functionCall`` parts is the neutral
  ``tool_calls``); ``MAX_TOKENS`` is ``length``; ``SAFETY`` is ``content_filter``;
  ``MALFORMED_FUNCTION_CALL`` is ``error``. A ``tool_calls`` finish without a call, a
  ``stop`` finish with one, and ``paused`` cannot be said (n/a). An incomplete reply ends
  with ``MAX_TOKENS`` or ``SAFETY``; no run outcome (failed...) exists.
* Errors are Google's ``{"error": {"code", "message", "status"}}`` bodies (``status`` the
  canonical code name: ``RESOURCE_EXHAUSTED`` for 429...). The retry hint is in the body:
  a ``google.rpc.RetryInfo`` detail with ``retryDelay`` (``"3s"``), and the API sends no
  ``Retry-After`` header; a scenario's ``retry_after`` in seconds becomes that detail, the
  ``retry-after-ms`` and HTTP-date forms are n/a. Headers a scenario names are sent as
  it names them.
* An in-stream failure is a ``data: {"error": {...}}`` event in that shape, after which the
  stream ends. A stream has no terminator: a stream of only its terminator is n/a; a
  stream that ends without the ``finishReason`` chunk is truncated.
* No refusal field, no several candidates (``candidateCount``), no OpenAI chat shapes, no
  named events (n/a, :func:`~harness.dialects.framing.framing_support`); thinking
  signatures are Anthropic's (a reasoning part that carries one is n/a).

Stream faults count the data events (every chunk, the ``finishReason`` one last), from 0;
a truncation or an error payload ends the stream before that last chunk.
Output is a pure function of the scenario.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import JsonValue

from harness.dialects.chunking import split_text
from harness.dialects.common import (
    AttemptIds,
    End,
    WireDialect,
    alnum,
    apply_data_fault,
    compact_json,
    encode_data_stream,
    header_number,
)
from harness.dialects.exchanges import Headers, error_reply, json_reply, streamed_reply
from harness.dialects.framing import framing_support
from harness.dialects.script import Exchange, Script
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
    Usage,
)

__all__ = [
    "FINISH",
    "GENERATE",
    "STATUS_NAMES",
    "STREAM",
    "GeminiDialect",
    "gemini_error",
    "gemini_model",
    "model_path",
]

GENERATE = ":generateContent"
STREAM = ":streamGenerateContent"

FINISH = {
    "stop": "STOP",
    "tool_calls": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "error": "MALFORMED_FUNCTION_CALL",
}
"""Neutral finish reasons as Gemini's ``finishReason``."""
_INCOMPLETE = {"max_output_tokens": "MAX_TOKENS", "content_filter": "SAFETY"}

STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""HTTP statuses as the ``google.rpc.Code`` names Google's error bodies carry."""

_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: "API key not valid. Please pass a valid API key.",
    403: "The caller does not have permission",
    404: "models/{model} is not found for API version v1beta, or is not supported for "
    "generateContent.",
    429: "You exceeded your current quota, please check your plan and billing details.",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

_FROM_TYPES = {
    "server_error": 500,
    "api_error": 500,
    "overloaded_error": 503,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
}
"""Error types (OpenAI's, Anthropic's) an error payload may name, as an HTTP status."""


def gemini_model(model: str) -> str:
    """The Gemini model a scenario's ``request.model`` names: itself if it is a Gemini
    model (``gemini-...``), else ``gemini-<model>`` (neutral scenarios name OpenAI's
    models, and a client may route a model by its name: litellm sends ``gemini/gpt-4o-mini``
    to its OpenAI handler, ``litellm/main.py:2560-2561``). Drivers of this wire send it."""
    return model if model.startswith("gemini") else f"gemini-{model}"


def model_path(model: str, method: str) -> str:
    """The scripted path of ``method`` for the scenario's ``model`` (the API version or a
    Vertex prefix before it are the client's: the replay matches a path that ends with
    this one)."""
    return f"/models/{gemini_model(model)}{method}"


class GeminiDialect(WireDialect):
    """Compiles scenarios into Gemini ``generateContent`` exchanges."""

    name = "gemini"

    def wire_support(self, scenario: Scenario) -> str | None:
        for attempt in scenario.attempts:
            if isinstance(attempt, ErrorAttempt):
                reason = _error_support(attempt.error)
                if reason is not None:
                    return reason
        for reply in scenario.replies():
            reason = _reply_support(reply, scenario.request.stream)
            if reason is not None:
                return reason
        return framing_support(scenario, named_events=False)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _error_exchange, _reply_exchange)


def _error_support(error: HttpErrorReply) -> str | None:
    if error.retry_after is not None and error.retry_after_form != "seconds":
        form = "retry-after-ms" if error.retry_after_form == "ms" else "HTTP-date"
        return f"gemini's retry hint is RetryInfo.retryDelay in the error body (no {form} form)"
    return None


_WORDING = Wording(
    wire="gemini",
    finish="finish reason",
    tool_finish="finish",
    stop_alone="STOP without a functionCall is a plain stop",
    stop_with_calls="STOP with a functionCall reads as tool_calls",
    arguments="functionCall.args",
    thinking="gemini thought parts carry none",
    last="its last chunk",
    whole="function-call args",
)
"""The Gemini wire's words in the reasons a reply cannot be said on it."""


def _reply_support(reply: ReplyAttempt, stream: bool) -> str | None:
    """Why this reply cannot be said on the Gemini wire, or None."""
    return whole_call_support(reply, stream, FINISH, _WORDING)


# --------------------------------------------------------------------------- replies


def _finish(reply: ReplyAttempt) -> str:
    if reply.outcome == "incomplete":
        return _INCOMPLETE[reply.incomplete_reason]
    return FINISH[reply.finish]


def _usage(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    out = {
        "promptTokenCount": usage.input,
        "candidatesTokenCount": usage.output,
        "totalTokenCount": usage.input + usage.output,
    }
    if usage.cache_read is not None:
        out["cachedContentTokenCount"] = usage.cache_read
    return out


def _parts(reply: ReplyAttempt, stream: bool) -> list[list[dict[str, Any]]]:
    """The reply's parts, grouped as they are sent: one group per stream chunk (a text
    delta, a function call), or one group per reply part unstreamed."""
    groups: list[list[dict[str, Any]]] = []
    for part in reply.parts:
        if isinstance(part, TextPart):
            pieces = split_text(part.text, part.deltas) if stream else [part.text]
            groups.extend([{"text": piece}] for piece in pieces)
        elif isinstance(part, ReasoningPart):
            pieces = split_text(part.reasoning, part.deltas) if stream else [part.reasoning]
            groups.extend([{"text": piece, "thought": True}] for piece in pieces)
        else:
            call = part.tool_call
            groups.append([{"functionCall": {"name": call.name, "args": arguments_object(call)}}])
    return groups


def _response(
    scenario: Scenario,
    ids: AttemptIds,
    parts: list[dict[str, Any]],
    finish: str | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    body: dict[str, Any] = {"candidates": [candidate]}
    if usage is not None:
        body["usageMetadata"] = usage
    body["modelVersion"] = gemini_model(scenario.request.model)
    body["responseId"] = alnum(f"response:{ids.seed}", 23)
    return body


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = AttemptIds(scenario, n)
    groups = _parts(reply, scenario.request.stream)
    usage = _usage(reply.usage)
    model = scenario.request.model
    if not scenario.request.stream:
        body = _response(scenario, ids, [p for g in groups for p in g], _finish(reply), usage)
        headers: Headers = (("content-type", "application/json; charset=UTF-8"),)
        return json_reply(model_path(model, GENERATE), headers, compact_json(body), n, reply.wire)
    groups = groups or [[{"text": ""}]]  # an empty reply is one chunk with no text
    content = [compact_json(_response(scenario, ids, group)) for group in groups[:-1]]
    last = _response(scenario, ids, groups[-1], _finish(reply), usage)
    events, end = _stream_events(reply, content, [compact_json(last)])
    headers = (
        ("content-type", "text/event-stream"),
        ("content-disposition", "attachment"),
    )
    chunks = encode_data_stream(events, reply.wire)
    exchange = streamed_reply(model_path(model, STREAM), headers, chunks, end, n, reply.wire)
    return replace(exchange, query=(("alt", "sse"),))


def _stream_events(
    reply: ReplyAttempt, content: list[str], tail: list[str]
) -> tuple[list[str], End]:
    """The data events after the fault, and how the body ends. ``apply_data_fault`` is for
    data-only streams; Gemini's has no terminator (``terminator_only`` is n/a)."""
    return apply_data_fault(reply.fault, content, tail, _stream_error)


def gemini_error(status: int, message: str, retry_delay: float | None = None) -> dict[str, Any]:
    """Google's error body for an HTTP status, with a ``RetryInfo`` detail when a retry
    delay is given."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": STATUS_NAMES.get(status, "UNKNOWN" if status >= 500 else "FAILED_PRECONDITION"),
    }
    if retry_delay is not None:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{header_number(retry_delay)}s",
            }
        ]
    return {"error": error}


def _stream_error(payload: dict[str, JsonValue]) -> str:
    """An error payload as Gemini's in-stream error event (kept when it already has
    Google's shape; another provider's type or code is translated to a status)."""
    inner = payload.get("error", payload)
    if isinstance(inner, dict) and isinstance(inner.get("status"), str):
        return compact_json(payload)
    inner = inner if isinstance(inner, dict) else {"message": str(inner)}
    code = inner.get("code")
    status = code if isinstance(code, int) else None
    if status is None:
        status = _FROM_TYPES.get(str(inner.get("type")), _FROM_TYPES.get(str(code), 500))
    message = str(inner.get("message") or _MESSAGES.get(status, _MESSAGES[500]))
    return compact_json(gemini_error(status, message))


# --------------------------------------------------------------------------- errors


def _error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    headers: dict[str, str] = {"content-type": "application/json; charset=UTF-8"}
    for name, value in error.headers.items():
        headers[name.lower()] = value
    if error.body is not None:
        body: JsonValue = error.body
    else:
        status = error.status
        text = _MESSAGES.get(status) or _MESSAGES[500 if status >= 500 else 400]
        body = gemini_error(status, text.format(model=scenario.request.model), error.retry_after)
    stream = scenario.request.stream
    path = model_path(scenario.request.model, STREAM if stream else GENERATE)
    exchange = error_reply(path, error.status, headers, compact_json(body), n)
    return replace(exchange, query=(("alt", "sse"),)) if stream else exchange
