"""The Anthropic Messages wire (``POST /v1/messages``), server side.

Streams look like the real API's recordings (``../shared/corpus/anthropic-messages``):
``message_start`` (usage with the input tokens), one content block per reply part
(``thinking`` with ``thinking_delta`` then ``signature_delta``, ``text`` with
``text_delta``, ``tool_use`` with ``input_json_delta`` fragments after the empty first
one the API sends), a ``ping`` after the first block starts (after every event with
``wire.pings``), ``message_delta`` (stop reason and the output tokens) and
``message_stop``. Every event has an ``event:`` name; there is no ``[DONE]``. A fault's
error payload becomes an ``event: error`` in Anthropic's shape (``{"type": "error",
"error": {"type": "overloaded_error", ...}}``). A ``paused`` finish is ``pause_turn``.

Anthropic signs every thinking block, so a reasoning part without a signature gets one
hashed from the scenario. ``retry-after`` is sent as the API sends it, whole seconds (a
fraction is rounded up); the API has no ``retry-after-ms`` and no HTTP-date form, so those
scenarios are an honest n/a. Stream faults count every event from ``message_start`` on,
never the ``ping`` (a keep-alive, like the SSE comments); indexes start at 0. Output is a
pure function of the scenario.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from harness.dialects.chunking import split_text
from harness.dialects.common import (
    End,
    WireDialect,
    alnum,
    apply_fault,
    compact_json,
    digest,
    encode_named_events,
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
    StreamFault,
    TextPart,
    ToolCallPart,
    Usage,
)

__all__ = ["PATH", "AnthropicMessagesDialect"]

PATH = "/v1/messages"

Event = tuple[str, dict[str, Any]]

_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "paused": "pause_turn",
}
_INCOMPLETE_STOP = {"max_output_tokens": "max_tokens", "content_filter": "refusal"}

# status -> (error type, message): what the API answers when the scenario gives no body.
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: at least one message is required"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit "
        "(https://docs.anthropic.com/en/api/rate-limits); see the response headers for "
        "current usage. Please reduce the prompt length or the maximum tokens requested, "
        "or try again later.",
    ),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}
_FINAL_4XX = frozenset({400, 401, 403, 404, 413})
"""Statuses the API marks ``x-should-retry: false`` (recorded on a 404)."""

_ANTHROPIC_TYPES = frozenset(kind for kind, _ in _ERRORS.values()) | {"timeout_error"}
_FROM_OPENAI = {
    "server_error": "api_error",
    "rate_limit_exceeded": "rate_limit_error",
    "insufficient_quota": "rate_limit_error",
    "invalid_api_key": "authentication_error",
    "model_not_found": "not_found_error",
}
"""OpenAI error types/codes an error payload may name, as Anthropic error types."""


class AnthropicMessagesDialect(WireDialect):
    """Compiles scenarios into Anthropic Messages exchanges."""

    name = "anthropic-messages"

    def wire_support(self, scenario: Scenario) -> str | None:
        for attempt in scenario.attempts:
            if isinstance(attempt, ErrorAttempt):
                form = attempt.error.retry_after_form
                if attempt.error.retry_after is not None and form != "seconds":
                    return (
                        "anthropic-messages sends retry-after in whole seconds only "
                        f"(no {'retry-after-ms' if form == 'ms' else 'HTTP-date'} form)"
                    )
                continue
            if not isinstance(attempt, ReplyWrapper):
                continue
            reason = _reply_support(attempt.reply, scenario.request.stream)
            if reason is not None:
                return reason
        return framing_support(scenario, named_events=True, dialect=self.name)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _error_exchange, _reply_exchange)


def _reply_support(reply: ReplyAttempt, stream: bool) -> str | None:
    """Why this reply cannot be said on the Messages wire, or None."""
    if reply.outcome not in ("completed", "incomplete"):
        return (
            f"anthropic-messages has no {reply.outcome} response status (an in-stream error "
            "is a fault.error_payload)"
        )
    if reply.polls:
        return "anthropic-messages has no polled runs (polls > 0)"
    if reply.outcome == "completed" and reply.finish not in _STOP:
        return f"anthropic-messages has no {reply.finish!r} stop reason; use an error payload fault"
    if reply.fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if not stream:
        for part in reply.parts:
            if isinstance(part, ToolCallPart) and not isinstance(_input(part), dict):
                return (
                    "anthropic-messages sends an unstreamed tool call's input as a JSON "
                    "object; raw argument text needs a streamed request"
                )
    return None


# --------------------------------------------------------------------------- content


class _Ids:
    """Ids of one attempt, hashed from the scenario id and the attempt number."""

    def __init__(self, scenario: Scenario, attempt: int) -> None:
        self._seed = f"{scenario.id}:{attempt}"
        self.message = "msg_01" + alnum(f"message:{self._seed}", 22)
        self.request = "req_011C" + alnum(f"request:{self._seed}", 20)

    def tool(self, index: int) -> str:
        return "toolu_01" + alnum(f"tool:{self._seed}:{index}", 22)

    def signature(self, index: int) -> str:
        return base64.b64encode(bytes.fromhex(digest("signature", self._seed, index)) * 4).decode()


def _input(part: ToolCallPart) -> Any:
    """The tool input as an object when the argument text is one, else the raw text."""
    try:
        return json.loads(part.tool_call.argument_text())
    except ValueError:
        return part.tool_call.argument_text()


def _stop_reason(reply: ReplyAttempt) -> str:
    if reply.outcome == "incomplete":
        return _INCOMPLETE_STOP[reply.incomplete_reason]
    return _STOP[reply.finish]


def _usage(usage: Usage | None, output: int | None = None) -> dict[str, Any]:
    """Anthropic usage; ``output`` overrides the output count (``message_start``)."""
    usage = usage or Usage(input=0, output=0)
    return {
        "input_tokens": usage.input,
        "cache_creation_input_tokens": usage.cache_write or 0,
        "cache_read_input_tokens": usage.cache_read or 0,
        "output_tokens": usage.output if output is None else output,
    }


def _blocks(ids: _Ids, reply: ReplyAttempt) -> list[tuple[dict[str, Any], list[Event]]]:
    """Each reply part as its finished content block and the events that stream it."""
    out: list[tuple[dict[str, Any], list[Event]]] = []
    for index, part in enumerate(reply.parts):
        at: dict[str, Any] = {"index": index}
        events: list[Event] = []
        if isinstance(part, TextPart):
            block: dict[str, Any] = {"type": "text", "text": part.text}
            start: dict[str, Any] = {"type": "text", "text": ""}
            for piece in split_text(part.text, part.deltas):
                delta = {"type": "text_delta", "text": piece}
                events.append(("content_block_delta", {**at, "delta": delta}))
        elif isinstance(part, ReasoningPart):
            signature = part.signature or ids.signature(index)
            block = {"type": "thinking", "thinking": part.reasoning, "signature": signature}
            start = {"type": "thinking", "thinking": "", "signature": ""}
            for piece in split_text(part.reasoning, part.deltas):
                delta = {"type": "thinking_delta", "thinking": piece}
                events.append(("content_block_delta", {**at, "delta": delta}))
            delta = {"type": "signature_delta", "signature": signature}
            events.append(("content_block_delta", {**at, "delta": delta}))
        else:
            call = part.tool_call
            tool_id = call.id or ids.tool(index)
            block = {"type": "tool_use", "id": tool_id, "name": call.name, "input": _input(part)}
            start = {**block, "input": {}}
            for piece in ["", *split_text(call.argument_text(), call.fragments)]:
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append(("content_block_delta", {**at, "delta": delta}))
        events.insert(0, ("content_block_start", {**at, "content_block": start}))
        events.append(("content_block_stop", at))
        out.append((block, events))
    return out


# --------------------------------------------------------------------------- exchanges


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = _Ids(scenario, n)
    blocks = _blocks(ids, reply)
    message: dict[str, Any] = {
        "model": scenario.request.model,
        "id": ids.message,
        "type": "message",
        "role": "assistant",
        "content": [block for block, _ in blocks],
        "stop_reason": _stop_reason(reply),
        "stop_sequence": None,
        "usage": _usage(reply.usage),
    }
    if not scenario.request.stream:
        headers: Headers = (("content-type", "application/json"), ("request-id", ids.request))
        return json_reply(PATH, headers, compact_json(message), n, reply.wire)
    output = reply.usage.output if reply.usage is not None else 0
    started = {**message, "content": [], "stop_reason": None}
    started["usage"] = _usage(reply.usage, output=min(output, 1))
    content: list[Event] = [("message_start", {"message": started})]
    for _, events in blocks:
        content += events
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    tail: list[Event] = [
        ("message_delta", {"delta": delta, "usage": _usage(reply.usage)}),
        ("message_stop", {}),
    ]
    events, end, malformed = _apply_fault(reply.fault, content, tail)
    if reply.wire.pings:
        events, malformed = _with_pings(events, malformed)
    else:
        events, malformed = _with_ping(events, malformed, 2 if blocks else 1)
    headers = (
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("request-id", ids.request),
    )
    chunks = encode_named_events(events, malformed, reply.wire)
    return streamed_reply(PATH, headers, chunks, end, n, reply.wire)


def _apply_fault(
    fault: StreamFault | None, content: list[Event], tail: list[Event]
) -> tuple[list[Event], End, int | None]:
    """Apply a stream fault: the events left, how the body ends, which event to break.
    ``content`` is everything before ``message_delta``, which carries the stop reason."""
    return apply_fault(
        fault,
        content,
        tail,
        terminator=("message_stop", {}),
        error_event=_stream_error,
        last=f"events (0..{len(content) + len(tail) - 1}, message_stop last)",
    )


def _stream_error(payload: dict[str, Any]) -> Event:
    """Anthropic's in-stream ``error`` event for an error payload (OpenAI codes translated)."""
    inner = payload["error"] if isinstance(payload.get("error"), dict) else payload
    kind = inner.get("type")
    if kind not in _ANTHROPIC_TYPES:
        kind = _FROM_OPENAI.get(str(kind)) or _FROM_OPENAI.get(str(inner.get("code")))
    error = {"type": kind or "api_error", "message": inner.get("message") or "Overloaded"}
    return ("error", {"error": error})


def _with_ping(
    events: list[Event], malformed: int | None, at: int
) -> tuple[list[Event], int | None]:
    """Insert the ``ping`` the API sends after the first block starts (after
    ``message_start`` when there is no block), if the stream gets past that point. Pings
    are keep-alives: fault indexes never count them, so they are added afterwards."""
    if len(events) <= at or events[0][0] != "message_start":
        return events, malformed
    if malformed is not None and malformed >= at:
        malformed += 1
    return [*events[:at], ("ping", {}), *events[at:]], malformed


def _with_pings(events: list[Event], malformed: int | None) -> tuple[list[Event], int | None]:
    """``wire.pings``: a ``ping`` after every event but the last (between blocks, between
    deltas), as a long stream may carry them; fault indexes still never count them."""
    out: list[Event] = []
    for i, event in enumerate(events):
        out.append(event)
        if i < len(events) - 1:
            out.append(("ping", {}))
    return out, None if malformed is None else 2 * malformed


# --------------------------------------------------------------------------- errors


def _error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    ids = _Ids(scenario, n)
    headers: dict[str, str] = {"content-type": "application/json", "request-id": ids.request}
    if error.status in _FINAL_4XX:
        headers["x-should-retry"] = "false"
    for name, value in error.headers.items():
        headers[name.lower()] = value
    if error.retry_after is not None:  # supports() allows only the seconds form
        headers["retry-after"] = str(math.ceil(round(error.retry_after, 6)))
    body = error.body if error.body is not None else _error_body(error.status, scenario, ids)
    return error_reply(PATH, error.status, headers, compact_json(body), n)


def _error_body(status: int, scenario: Scenario, ids: _Ids) -> dict[str, Any]:
    """Anthropic's usual error JSON for a status."""
    if status in _ERRORS:
        kind, message = _ERRORS[status]
    elif status >= 500:
        kind, message = _ERRORS[500]
    else:
        kind, message = _ERRORS[400]
    error = {"type": kind, "message": message.format(model=scenario.request.model)}
    return {"type": "error", "error": error, "request_id": ids.request}
