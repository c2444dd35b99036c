"""The Cohere v2 chat wire (``POST /v2/chat``), server side.

A stream is named SSE events whose data carries its ``type``: ``message-start`` (the
message id, role ``assistant``), then each content part as ``content-start`` /
``content-delta`` pieces / ``content-end`` (``text``, or ``thinking`` for reasoning), each
tool call as ``tool-call-start`` (id, name, empty arguments) / ``tool-call-delta``
(``arguments`` fragments) / ``tool-call-end``, and ``message-end`` with
``delta.finish_reason`` (``COMPLETE``, ``MAX_TOKENS``, ``TOOL_CALL``) and ``delta.usage``
(``billed_units`` and ``tokens``). A fault's error payload ends the stream as Cohere does,
with ``message-end`` whose ``finish_reason`` is ``ERROR`` and ``delta.error`` the message.
A message carries its text and its tool calls apart (``content`` then ``tool_calls``), so
a reply with text after a tool call is an honest n/a. Errors are JSON ``{"id", "message"}``.
Output is a pure function of the scenario.
"""

from __future__ import annotations

import json
from typing import Any

from harness.dialects.chunking import split_text
from harness.dialects.common import (
    AttemptIds,
    WireDialect,
    apply_fault,
    compact_json,
    encode_named_events,
    error_headers,
)
from harness.dialects.exchanges import Headers, error_reply, json_reply, streamed_reply
from harness.dialects.framing import framing_support
from harness.dialects.script import Exchange, Script
from harness.scenario.model import (
    ErrorAttempt,
    HttpErrorReply,
    ReasoningPart,
    ReplyAttempt,
    ReplyWrapper,
    Scenario,
    TextPart,
    ToolCallPart,
    Usage,
)

__all__ = ["FINISH", "PATH", "CohereV2Dialect"]

PATH = "/v2/chat"

Event = tuple[str, dict[str, Any]]

FINISH = {"stop": "COMPLETE", "length": "MAX_TOKENS", "tool_calls": "TOOL_CALL"}
"""Neutral finish reasons as Cohere ``finish_reason`` values."""

_ERRORS = {
    400: "invalid request: message must be at least 1 token long or tool results must be "
    "specified.",
    401: "invalid api token",
    402: "Please add a payment method to continue.",
    403: "Forbidden",
    404: "model 'unknown' not found, make sure the correct model ID was used",
    422: "invalid request: unprocessable entity",
    429: "You are using a Trial key, which is limited to 10 API calls / minute.",
    500: "internal server error, this has been reported to our developers.",
    503: "service unavailable",
}


class CohereV2Dialect(WireDialect):
    """Compiles scenarios into Cohere ``/v2/chat`` exchanges."""

    name = "cohere-v2"

    def wire_support(self, scenario: Scenario) -> str | None:
        stream = scenario.request.stream
        for attempt in scenario.attempts:
            if isinstance(attempt, ErrorAttempt) and attempt.error.status in (413, 529):
                return f"Cohere's API does not answer HTTP {attempt.error.status}"
            if not isinstance(attempt, ReplyWrapper):
                continue
            reason = _reply_support(attempt.reply, stream)
            if reason is not None:
                return reason
        return framing_support(scenario, named_events=True, dialect=self.name)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _error_exchange, _reply_exchange)


def _reply_support(reply: ReplyAttempt, stream: bool) -> str | None:
    if reply.outcome not in ("completed", "incomplete"):
        return f"cohere-v2 has no {reply.outcome} response status"
    if reply.outcome == "incomplete" and reply.incomplete_reason != "max_output_tokens":
        return "cohere-v2 has no content-filter finish reason"
    if reply.polls:
        return "cohere-v2 has no polled runs (polls > 0)"
    if reply.outcome == "completed" and reply.finish not in FINISH:
        return f"cohere-v2 has no {reply.finish!r} finish reason"
    if reply.fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if reply.fault is not None and reply.fault.terminator_only:
        return "a Cohere v2 stream has no terminator event (terminator_only)"
    seen_call = False
    for part in reply.parts:
        if isinstance(part, ToolCallPart):
            seen_call = True
        elif seen_call:
            return "a Cohere message carries its content before its tool calls (text after a call)"
    return None


def _finish(reply: ReplyAttempt) -> str:
    return "MAX_TOKENS" if reply.outcome == "incomplete" else FINISH[reply.finish]


def _usage(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage(input=0, output=0)
    counts = {"input_tokens": usage.input, "output_tokens": usage.output}
    out: dict[str, Any] = {"billed_units": dict(counts), "tokens": dict(counts)}
    if usage.cache_read is not None:
        out["cached_tokens"] = usage.cache_read
    return out


def _call_id(ids: AttemptIds, part: ToolCallPart, index: int) -> str:
    return part.tool_call.id or f"{part.tool_call.name}_{ids.hashed('call', 12, index)}"


def _message(ids: AttemptIds, reply: ReplyAttempt) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for index, part in enumerate(reply.parts):
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ReasoningPart):
            content.append({"type": "thinking", "thinking": part.reasoning})
        else:
            function = {"name": part.tool_call.name, "arguments": part.tool_call.argument_text()}
            calls.append(
                {"id": _call_id(ids, part, index), "type": "function", "function": function}
            )
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return message


def _events(ids: AttemptIds, reply: ReplyAttempt) -> list[Event]:
    content: list[Event] = []
    calls: list[Event] = []
    for index, part in enumerate(reply.parts):
        if isinstance(part, TextPart | ReasoningPart):
            at = {"index": len([e for e in content if e[0] == "content-start"])}
            key = "text" if isinstance(part, TextPart) else "thinking"
            text = part.text if isinstance(part, TextPart) else part.reasoning
            start = {"content": {"type": key, key: ""}}
            content.append(("content-start", {**at, "delta": {"message": start}}))
            for piece in split_text(text, part.deltas):
                delta = {"message": {"content": {key: piece}}}
                content.append(("content-delta", {**at, "delta": delta}))
            content.append(("content-end", at))
        else:
            at = {"index": len([e for e in calls if e[0] == "tool-call-start"])}
            call = part.tool_call
            function = {"name": call.name, "arguments": ""}
            tool = {"id": _call_id(ids, part, index), "type": "function", "function": function}
            calls.append(("tool-call-start", {**at, "delta": {"message": {"tool_calls": tool}}}))
            for piece in split_text(call.argument_text(), call.fragments):
                fragment = {"tool_calls": {"function": {"arguments": piece}}}
                calls.append(("tool-call-delta", {**at, "delta": {"message": fragment}}))
            calls.append(("tool-call-end", at))
    return content + calls


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = AttemptIds(scenario, n)
    message_id = (
        ids.hashed("message", 8)
        + "-"
        + ids.hashed("message2", 4)
        + "-4"
        + ids.hashed("message3", 3)
    )
    if not scenario.request.stream:
        body = {
            "id": message_id,
            "message": _message(ids, reply),
            "finish_reason": _finish(reply),
            "usage": _usage(reply.usage),
        }
        headers: Headers = (("content-type", "application/json"),)
        return json_reply(PATH, headers, compact_json(body), n, reply.wire)
    start = {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [],
                         "citations": []}}  # fmt: skip
    content: list[Event] = [("message-start", {"id": message_id, "delta": start})]
    content += _events(ids, reply)
    end = {"finish_reason": _finish(reply), "usage": _usage(reply.usage)}
    tail: list[Event] = [("message-end", {"id": message_id, "delta": end})]

    def error_event(payload: dict[str, Any]) -> Event:
        inner = payload["error"] if isinstance(payload.get("error"), dict) else payload
        delta = {"finish_reason": "ERROR", "error": str(inner.get("message") or "internal error")}
        return ("message-end", {"id": message_id, "delta": delta})

    events, end_kind, malformed = apply_fault(
        reply.fault,
        content,
        tail,
        terminator=None,
        error_event=error_event,
        last=f"events (0..{len(content) + len(tail) - 1}, message-end last)",
    )
    headers = (("content-type", "text/event-stream"), ("cache-control", "no-cache"))
    chunks = encode_named_events(events, malformed, reply.wire)
    return streamed_reply(PATH, headers, chunks, end_kind, n, reply.wire)


def _error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    ids = AttemptIds(scenario, n)
    headers = error_headers(error, {"content-type": "application/json"})
    message = _ERRORS.get(error.status, _ERRORS[500 if error.status >= 500 else 400])
    body = (
        error.body
        if error.body is not None
        else {"id": ids.hashed("error", 32), "message": message}
    )
    return error_reply(PATH, error.status, headers, json.dumps(body, separators=(",", ":")), n)
