"""An LLM gateway's wire, server side: the JSON API many agent frameworks put in front of
their providers, with Bearer JWT auth.

``POST /api/v1/llm/chat`` answers one JSON object::

    {"id": ..., "model": ..., "content": "...",
     "tool_calls": [{"id": ..., "name": ..., "arguments": {...}}],
     "finish_reason": "stop", "usage": {"prompt_tokens": 14, "completion_tokens": 7}}

``POST /api/v1/llm/chat/stream`` answers server-sent events, every one a full chunk::

    data: {"content": "Hel", "tool_calls": [], "usage": null, "is_final": false,
           "finish_reason": null}
    ...
    data: {"content": "", "tool_calls": [], "usage": {...}, "is_final": true,
           "finish_reason": "stop"}
    data: [DONE]

Requests (the client's side, not checked by the replay) carry ``{"model", "messages":
[{"role", "content", "tool_call_id"?, "tool_calls"?: [{"id", "name", "arguments"}]}],
"tools"?: [{"name", "description", "parameters"}]}`` and ``Authorization: Bearer <JWT>``.

Decisions, where the gateway differs from a provider's own wire:

* Tool calls stream whole: each complete call is sent once, alone in one chunk's
  ``tool_calls``, with ``arguments`` as a JSON object. ``ToolCall.fragments`` collapse, so
  a scenario whose streamed reply is nothing but fragmented calls (what it tests is the
  joining) is n/a, and so is a fault placed by event index in a reply with fragmented
  calls (its position counts fragments that do not exist here). Argument text that is not
  a JSON object cannot be sent at all (n/a).
* ``finish_reason`` rides on the final chunk (``is_final: true``), which also carries the
  usage; there is no separate usage chunk, so a scenario that asks for OpenAI's usage
  chunk explicitly (``wire.usage_chunk`` set) is n/a. The gateway reports no cache counts.
* ``finish_reason`` is nullable (null on every chunk but the final one; the reference
  client reads it as ``str | None`` in both the reply and the chunks,
  examples/gateway_client/client.py:157-166), so a reply that is not streamed says it has
  no finish reason with ``"finish_reason": null`` (``finish: none``). A streamed reply
  without one is a stream with no final chunk (the fault-* scenarios): n/a here, as on
  :mod:`harness.dialects.openai_chat`.
* No reasoning text, no run outcome (failed/incomplete), no ``error`` finish: n/a.
* An in-stream failure is one ``data: {"error": CODE, "detail": MESSAGE}`` event and no
  terminator. ``StreamFault.error_payload`` is sent as is when it has that shape;
  a provider-shaped payload (``{"error": {"message", "type", "code"}}``) is translated to
  it (code, else type, else ``upstream_error``; the message becomes ``detail``). It means
  the upstream provider failed mid-reply: a server error, not a wire defect.
* Errors are FastAPI-style ``{"detail": ...}`` bodies: 401 ``{"detail": "Token expired"}``
  with a ``WWW-Authenticate: Bearer error="invalid_token"`` header (RFC 6750), 404 for an
  unknown model, 502 when the upstream provider failed (the gateway has already retried it;
  ``detail`` says why). A client refreshes its token once on 401, so a neutral scenario
  with a 401 (written for static API keys, which must not retry) is n/a here; the
  token-refresh flow has its own scenarios (``gateway-401-*``).

Stream faults count data events (every chunk plus ``[DONE]``; keep-alive comments do
not count), from 0, as in :mod:`harness.dialects.openai_chat`. Output is a pure function
of the scenario.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import JsonValue

from harness.dialects.chunking import split_text
from harness.dialects.common import (
    DONE,
    AttemptIds,
    End,
    WireDialect,
    apply_data_fault,
    compact_json,
    encode_data_stream,
    error_headers,
)
from harness.dialects.exchanges import Headers, error_reply, json_reply, streamed_reply
from harness.dialects.framing import framing_support
from harness.dialects.script import Exchange, HttpDate, Script
from harness.scenario.model import (
    NO_FINISH,
    ErrorAttempt,
    HttpErrorReply,
    ReasoningPart,
    ReplyAttempt,
    Scenario,
    TextPart,
    ToolCall,
    ToolCallPart,
    Usage,
)

__all__ = ["CHAT_PATH", "STREAM_PATH", "GatewayDialect", "gateway_error_payload"]

CHAT_PATH = "/api/v1/llm/chat"
STREAM_PATH = "/api/v1/llm/chat/stream"


_FINISH = {"stop", "length", "tool_calls", "content_filter"}

# status -> detail, when the scenario gives no body ({model} is the requested model).
_DETAILS: dict[int, str] = {
    400: "Invalid request: messages must not be empty",
    401: "Token expired",
    403: "Not authorized to use model '{model}'",
    404: "Model '{model}' not found",
    422: "Invalid request body",
    429: "Rate limit exceeded for model '{model}'",
    500: "Internal gateway error",
    502: "Upstream provider error: the provider returned HTTP 500 for model '{model}'",
    503: "Gateway temporarily unavailable",
    504: "Upstream provider timed out",
}


def _usage(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {"prompt_tokens": usage.input, "completion_tokens": usage.output}


def _arguments(call: ToolCall) -> dict[str, JsonValue] | None:
    """The call's arguments as the JSON object the gateway sends, or None if they are not one."""
    if isinstance(call.arguments, dict):
        return call.arguments
    try:
        parsed = json.loads(call.arguments)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def gateway_error_payload(payload: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """``StreamFault.error_payload`` in the gateway's ``{"error": CODE, "detail": MESSAGE}``
    shape: kept when it already has it, translated from a provider-shaped payload else."""
    if isinstance(payload.get("error"), str) and "detail" in payload:
        return payload
    inner = payload.get("error", payload)
    if not isinstance(inner, dict):
        return {"error": str(inner), "detail": str(payload.get("detail", ""))}
    code = inner.get("code") or inner.get("type") or "upstream_error"
    message = inner.get("message") or inner.get("detail") or ""
    return {"error": str(code), "detail": str(message)}


class GatewayDialect(WireDialect):
    """Compiles scenarios into the gateway's JSON and SSE exchanges."""

    name = "gateway"
    no_finish = True  # finish_reason is nullable: null on every chunk but the final one

    def wire_support(self, scenario: Scenario) -> str | None:
        if scenario.dialects is None and any(
            isinstance(a, ErrorAttempt) and a.error.status == 401 for a in scenario.attempts
        ):
            return (
                "gateway tokens are refreshed once on 401; this 401 scenario is written for "
                "static API keys (see the gateway-401-* scenarios)"
            )
        for reply in scenario.replies():
            reason = _reply_reason(reply, scenario.request.stream)
            if reason is not None:
                return reason
        return framing_support(scenario, named_events=False)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _error_exchange, _reply_exchange)


def _reply_reason(reply: ReplyAttempt, stream: bool) -> str | None:
    """Why the gateway cannot send this reply, or None."""
    if reply.outcome != "completed":
        return f"gateway has no run outcome (outcome {reply.outcome!r}); use an error payload fault"
    if reply.finish == NO_FINISH and stream:
        return (
            "a streamed reply without a finish reason is a stream with no final chunk (the "
            "fault-* scenarios); this wire says it in one body only"
        )
    if reply.finish != NO_FINISH and reply.finish not in _FINISH:
        return f"gateway has no {reply.finish!r} finish reason; use an error payload fault"
    if any(isinstance(p, ReasoningPart) for p in reply.parts):
        return "gateway carries no reasoning text"
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    if any(_arguments(c) is None for c in calls):
        return "gateway sends tool arguments as a JSON object; raw argument text cannot be sent"
    if reply.fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if not stream:
        return None
    if "usage_chunk" in reply.wire.model_fields_set:
        return "gateway sends usage on its final chunk; it has no separate usage chunk"
    fragmented = [c for c in calls if c.fragments != 1]
    if fragmented and len(fragmented) == len(reply.parts):
        return (
            "gateway streams each tool call whole; a reply of nothing but argument "
            "fragments tests joining them, which this wire cannot express"
        )
    fault = reply.fault
    positioned = fault is not None and any(
        v is not None
        for v in (fault.cut_after, fault.truncate_after, fault.malformed_at, fault.stall_after)
    )
    if fragmented and positioned:
        return (
            "gateway streams each tool call whole; this fault's position counts argument "
            "fragments the gateway never sends"
        )
    return None


# --------------------------------------------------------------------------- replies


def _calls(reply: ReplyAttempt, ids: AttemptIds) -> list[dict[str, Any]]:
    """The reply's tool calls as the gateway sends them; their ids are hex, unlike OpenAI's."""
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    return [
        {
            "id": call.id or "call_" + ids.hashed("call", 24, i),
            "name": call.name,
            "arguments": _arguments(call),
        }
        for i, call in enumerate(calls)
    ]


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = AttemptIds(scenario, n)
    if scenario.request.stream:
        events, end = _stream_events(ids, reply)
        headers: Headers = (
            ("content-type", "text/event-stream; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("x-request-id", ids.request),
        )
        chunks = encode_data_stream(events, reply.wire)
        return streamed_reply(STREAM_PATH, headers, chunks, end, n, reply.wire)
    body = {
        "id": "gen-" + ids.hashed("generation", 24),
        "model": scenario.request.model,
        "content": "".join(p.text for p in reply.parts if isinstance(p, TextPart)),
        "tool_calls": _calls(reply, ids),
        "finish_reason": None if reply.finish == NO_FINISH else reply.finish,
        "usage": _usage(reply.usage),
    }
    headers = (("content-type", "application/json"), ("x-request-id", ids.request))
    return json_reply(CHAT_PATH, headers, compact_json(body), n, reply.wire)


def _chunk(
    content: str = "",
    tool_calls: list[dict[str, Any]] | None = None,
    usage: dict[str, int] | None = None,
    finish: str | None = None,
) -> str:
    return compact_json(
        {
            "content": content,
            "tool_calls": tool_calls or [],
            "usage": usage,
            "is_final": finish is not None,
            "finish_reason": finish,
        }
    )


def _stream_events(ids: AttemptIds, reply: ReplyAttempt) -> tuple[list[str], End]:
    """The data of each SSE event, after the fault, and how the body ends."""
    calls = iter(_calls(reply, ids))
    content: list[str] = []
    for part in reply.parts:
        if isinstance(part, TextPart):
            content.extend(_chunk(piece) for piece in split_text(part.text, part.deltas))
        elif isinstance(part, ToolCallPart):
            content.append(_chunk(tool_calls=[next(calls)]))
    final = _chunk(usage=_usage(reply.usage), finish=reply.finish)
    return apply_data_fault(reply.fault, content, [final, DONE], _stream_error)


def _stream_error(payload: dict[str, JsonValue]) -> str:
    """The gateway's in-stream error, ``{"error": ..., "detail": ...}``."""
    return compact_json(gateway_error_payload(payload))


# --------------------------------------------------------------------------- errors


def _error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    ids = AttemptIds(scenario, n)
    headers: dict[str, str | HttpDate] = {
        "content-type": "application/json",
        "x-request-id": ids.request,
    }
    if error.status == 401:
        headers["www-authenticate"] = (
            'Bearer error="invalid_token", error_description="Token expired"'
        )
    headers = error_headers(error, headers)
    body = error.body if error.body is not None else _error_body(error.status, scenario)
    path = STREAM_PATH if scenario.request.stream else CHAT_PATH
    return error_reply(path, error.status, headers, compact_json(body), n)


def _error_body(status: int, scenario: Scenario) -> dict[str, Any]:
    """The gateway's usual ``{"detail": ...}`` for a status."""
    if status in _DETAILS:
        detail = _DETAILS[status]
    elif status >= 500:
        detail = _DETAILS[500]
    else:
        detail = _DETAILS[400]
    return {"detail": detail.format(model=scenario.request.model)}
