"""The Bedrock Converse wire, server side: ``POST /model/{modelId}/converse`` (one JSON
reply) and ``POST /model/{modelId}/converse-stream`` (the binary AWS event stream).

Streams look like the real API's recordings (``../shared/corpus/bedrock``): a
``messageStart``, one content block per reply part (text as ``contentBlockDelta`` pieces
with no ``contentBlockStart``, as the API sends it; reasoning as ``reasoningContent``
deltas and its signature; a tool call as ``contentBlockStart`` with ``toolUse``
``toolUseId``/``name``, then its input text in ``toolUse.input`` fragments after the empty
first one the API sends), each closed by ``contentBlockStop``; then ``messageStop`` with
the ``stopReason`` and ``metadata`` with the usage. Every payload carries the ``"p"``
padding the API adds (clients must ignore members they do not know).

Errors are JSON ``{"message": ...}`` with the ``x-amzn-errortype`` header naming the
exception (``ThrottlingException`` for 429, which botocore retries by that name). AWS's
retry hint is ``x-amz-retry-after`` in milliseconds (botocore ``retries/standard.py`` reads
it), sent for a scenario's ``retry_after`` in the ``ms`` form; there is no ``Retry-After``,
so the other forms are an honest n/a, as are the statuses Bedrock never answers. Faults,
counted over every frame from ``messageStart`` on:
``malformed_at`` sends that frame with a wrong message CRC; ``cut_after`` sends half of the
next frame before the connection drops (a cut frame); ``error_payload`` ends the stream
with an ``exception`` frame (``:exception-type`` from the payload: ``throttlingException``,
``serviceUnavailableException``, ``internalServerException``, ``modelStreamErrorException``...);
``truncate_after`` ends cleanly after that many content frames. There is no terminator,
and no SSE framing. Output is a pure function of the scenario.
"""

from __future__ import annotations

import json
from typing import Any

from harness.dialects.bedrock_converse.eventstream import (
    CONTENT_TYPE,
    event_frame,
    exception_frame,
)
from harness.dialects.chunking import chunk_events, split_text
from harness.dialects.common import (
    ALPHABET,
    WireDialect,
    alnum,
    apply_fault,
    compact_json,
    digest,
)
from harness.dialects.exchanges import error_reply, json_reply, streamed_reply
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

__all__ = [
    "ERRORS",
    "EXCEPTION_STATUS",
    "STOP",
    "BedrockConverseDialect",
    "exception_type",
    "path_for",
]

Event = tuple[str, dict[str, Any]]

STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
}
"""Neutral finish reasons as Converse ``stopReason`` values."""
_INCOMPLETE_STOP = {"max_output_tokens": "max_tokens", "content_filter": "content_filtered"}

ERRORS: dict[int, tuple[str, str]] = {
    400: ("ValidationException", "The provided model identifier is invalid."),
    403: (
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    404: ("ResourceNotFoundException", "Model not found."),
    408: ("ModelTimeoutException", "Model has timed out in processing the request."),
    424: ("ModelErrorException", "The model returned an error."),
    429: ("ThrottlingException", "Too many requests, please wait before trying again."),
    500: ("InternalServerException", "The server encountered an internal error."),
    502: ("InternalServerException", "Bad Gateway"),
    503: ("ServiceUnavailableException", "Bedrock is unable to process your request."),
    504: ("InternalServerException", "Gateway Timeout"),
}
"""Status -> (``x-amzn-errortype``, message): the statuses Bedrock Runtime answers with
(its API reference, "Errors" of Converse and ConverseStream)."""
_CORAL = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

EXCEPTION_STATUS = {
    "throttlingException": 429,
    "serviceUnavailableException": 503,
    "internalServerException": 500,
    "modelStreamErrorException": 424,
    "validationException": 400,
    "modelTimeoutException": 408,
}
"""The exceptions ConverseStream sends in the stream, with the status each stands for."""

_FOREIGN_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")


def path_for(model: str, stream: bool) -> str:
    """``/model/{modelId}/converse`` or ``.../converse-stream``. The id is written as it is:
    botocore percent-encodes it on the wire (``:`` as ``%3A``), and the replay matches the
    decoded path."""
    return f"/model/{model}/converse{'-stream' if stream else ''}"


class BedrockConverseDialect(WireDialect):
    """Compiles scenarios into Bedrock Converse / ConverseStream exchanges."""

    name = "bedrock-converse"

    def wire_support(self, scenario: Scenario) -> str | None:
        stream = scenario.request.stream
        for attempt in scenario.attempts:
            if isinstance(attempt, ErrorAttempt):
                reason = _error_support(attempt.error)
            elif isinstance(attempt, ReplyWrapper):
                reason = _reply_support(attempt.reply, stream)
            else:
                reason = None
            if reason is not None:
                return reason
        return framing_support(scenario, named_events=True, dialect=self.name)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _error_exchange, _reply_exchange)


def _error_support(error: HttpErrorReply) -> str | None:
    if error.retry_after is not None and error.retry_after_form != "ms":
        return (
            "AWS sends no Retry-After header: its retry hints are the x-amzn-errortype "
            "ThrottlingException and x-amz-retry-after in milliseconds (retry_after_form: ms)"
        )
    foreign = [name for name in error.headers if name.lower() in _FOREIGN_HEADERS]
    if foreign:
        return f"Bedrock does not send {', '.join(foreign)} (OpenAI/Anthropic headers)"
    if error.status not in ERRORS:
        return (
            f"Bedrock Runtime never answers HTTP {error.status} "
            f"(its errors: {', '.join(map(str, sorted(ERRORS)))}; bad credentials are 403)"
        )
    return None


def _reply_support(reply: ReplyAttempt, stream: bool) -> str | None:
    if reply.outcome not in ("completed", "incomplete"):
        return (
            f"bedrock-converse has no {reply.outcome} response status (an in-stream error "
            "is a fault.error_payload)"
        )
    if reply.polls:
        return "bedrock-converse has no polled runs (polls > 0)"
    if reply.outcome == "completed" and reply.finish not in STOP:
        return f"bedrock-converse has no {reply.finish!r} stop reason"
    wire = reply.wire
    framing = wire.framing()
    if wire.line_ending != "lf":
        framing.append(f"line_ending {wire.line_ending}")
    if not wire.data_space:
        framing.append("data_space false")
    if wire.keepalive_every:
        framing.append("keepalive_every")
    if framing:
        names = ", ".join(framing)
        return f"SSE framing options ({names}): this wire is the binary AWS event stream"
    if reply.wire.chunking == "crlf_split":
        return "chunking crlf_split cuts CRLF line ends: the AWS event stream has no lines"
    fault = reply.fault
    if fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if fault is not None and fault.terminator_only:
        return "ConverseStream has no terminator event (terminator_only)"
    if not stream:
        for part in reply.parts:
            if isinstance(part, ToolCallPart) and not isinstance(_input(part), dict):
                return (
                    "Converse sends an unstreamed tool call's input as a JSON object; raw "
                    "argument text needs a streamed request"
                )
    return None


# --------------------------------------------------------------------------- content


class _Ids:
    def __init__(self, scenario: Scenario, attempt: int) -> None:
        self.seed = f"{scenario.id}:{attempt}"
        hexed = digest("request", self.seed)
        self.request = f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:32]}"

    def tool(self, index: int) -> str:
        return "tooluse_" + alnum(f"{self.seed}:tool:{index}", 22)

    def padding(self, number: int) -> str:
        """The ``"p"`` member the API pads every payload with: 1..50 letters."""
        return ALPHABET[10:][: 1 + int(digest("p", self.seed, number)[:4], 16) % 50]


def _input(part: ToolCallPart) -> Any:
    try:
        return json.loads(part.tool_call.argument_text())
    except ValueError:
        return part.tool_call.argument_text()


def _stop_reason(reply: ReplyAttempt) -> str:
    if reply.outcome == "incomplete":
        return _INCOMPLETE_STOP[reply.incomplete_reason]
    return STOP[reply.finish]


def _usage(usage: Usage | None) -> dict[str, int]:
    usage = usage or Usage(input=0, output=0)
    out = {
        "inputTokens": usage.input,
        "outputTokens": usage.output,
        "totalTokens": usage.input + usage.output,
    }
    if usage.cache_read is not None:
        out["cacheReadInputTokens"] = usage.cache_read
    if usage.cache_write is not None:
        out["cacheWriteInputTokens"] = usage.cache_write
    return out


def _blocks(ids: _Ids, reply: ReplyAttempt) -> list[tuple[dict[str, Any], list[Event]]]:
    """Each reply part as its finished content block and the events that stream it."""
    out: list[tuple[dict[str, Any], list[Event]]] = []
    for index, part in enumerate(reply.parts):
        at: dict[str, Any] = {"contentBlockIndex": index}
        events: list[Event] = []
        block: dict[str, Any]
        if isinstance(part, TextPart):
            block = {"text": part.text}
            for piece in split_text(part.text, part.deltas):
                events.append(("contentBlockDelta", {**at, "delta": {"text": piece}}))
        elif isinstance(part, ReasoningPart):
            text: dict[str, Any] = {"text": part.reasoning}
            if part.signature:
                text["signature"] = part.signature
            block = {"reasoningContent": {"reasoningText": text}}
            for piece in split_text(part.reasoning, part.deltas):
                delta = {"reasoningContent": {"text": piece}}
                events.append(("contentBlockDelta", {**at, "delta": delta}))
            if part.signature:
                delta = {"reasoningContent": {"signature": part.signature}}
                events.append(("contentBlockDelta", {**at, "delta": delta}))
        else:
            call = part.tool_call
            tool = {"toolUseId": call.id or ids.tool(index), "name": call.name}
            block = {"toolUse": {**tool, "input": _input(part)}}
            events.append(("contentBlockStart", {**at, "start": {"toolUse": tool}}))
            for piece in ["", *split_text(call.argument_text(), call.fragments)]:
                delta = {"toolUse": {"input": piece}}
                events.append(("contentBlockDelta", {**at, "delta": delta}))
        events.append(("contentBlockStop", at))
        out.append((block, events))
    return out


# --------------------------------------------------------------------------- exchanges


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = _Ids(scenario, n)
    blocks = _blocks(ids, reply)
    stream = scenario.request.stream
    path = path_for(scenario.request.model, stream)
    metrics = {"latencyMs": 100 + int(digest("latency", ids.seed)[:3], 16) % 900}
    if not stream:
        body = {
            "metrics": metrics,
            "output": {"message": {"content": [b for b, _ in blocks], "role": "assistant"}},
            "stopReason": _stop_reason(reply),
            "usage": _usage(reply.usage),
        }
        headers = (("content-type", "application/json"), ("x-amzn-requestid", ids.request))
        return json_reply(path, headers, compact_json(body), n, reply.wire)
    content: list[Event] = [("messageStart", {"role": "assistant"})]
    for _, events in blocks:
        content += events
    tail: list[Event] = [
        ("messageStop", {"stopReason": _stop_reason(reply)}),
        ("metadata", {"metrics": metrics, "usage": _usage(reply.usage)}),
    ]
    events, end, malformed = apply_fault(
        reply.fault,
        content,
        tail,
        terminator=None,
        error_event=_exception,
        last=f"frames (0..{len(content) + len(tail) - 1}, metadata last)",
    )
    frames = [_frame(ids, i, event) for i, event in enumerate(events)]
    if malformed is not None:
        frames[malformed] = _bad_crc(frames[malformed])
    fault = reply.fault
    if fault is not None and fault.cut_after is not None:
        rest = content + tail
        if fault.cut_after < len(rest):  # the connection drops inside the next frame
            whole = _frame(ids, fault.cut_after, rest[fault.cut_after])
            frames.append(whole[: len(whole) // 2])
    headers = (("content-type", CONTENT_TYPE), ("x-amzn-requestid", ids.request))
    chunks = chunk_events(frames, reply.wire.chunking, event_delay=reply.wire.event_delay)
    return streamed_reply(path, headers, chunks, end, n, reply.wire)


def _frame(ids: _Ids, number: int, event: Event) -> bytes:
    name, fields = event
    if name.startswith(":exception:"):
        return exception_frame(name.removeprefix(":exception:"), fields)
    return event_frame(name, {**fields, "p": ids.padding(number)})


def _bad_crc(frame: bytes) -> bytes:
    """The frame with its message CRC (the last 4 bytes) flipped."""
    crc = int.from_bytes(frame[-4:], "big") ^ 0xFFFFFFFF
    return frame[:-4] + crc.to_bytes(4, "big")


def exception_type(payload: dict[str, Any]) -> str:
    """The ``:exception-type`` ConverseStream sends for an error payload: an AWS exception
    name it already gives (``throttlingException``...), else one for the OpenAI/Anthropic
    type or code it names."""
    inner = payload["error"] if isinstance(payload.get("error"), dict) else payload
    names = [str(inner.get(key) or "") for key in ("type", "code")]
    for name in names:
        if name[:1].lower() + name[1:] in EXCEPTION_STATUS:
            return name[:1].lower() + name[1:]
    text = " ".join(names).lower()
    if "rate_limit" in text or "quota" in text or "throttl" in text:
        return "throttlingException"
    if "overloaded" in text or "unavailable" in text:
        return "serviceUnavailableException"
    if "server_error" in text or "api_error" in text or "internal" in text:
        return "internalServerException"
    return "modelStreamErrorException"


def _exception(payload: dict[str, Any]) -> Event:
    inner = payload["error"] if isinstance(payload.get("error"), dict) else payload
    kind = exception_type(payload)
    body: dict[str, Any] = {"message": str(inner.get("message") or "The model stream failed.")}
    if kind == "modelStreamErrorException":
        body.update(originalStatusCode=500, originalMessage=body["message"])
    return (":exception:" + kind, body)


# --------------------------------------------------------------------------- errors


def _error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    ids = _Ids(scenario, n)
    kind, message = ERRORS.get(error.status, ERRORS[500 if error.status >= 500 else 400])
    headers: dict[str, str] = {
        "content-type": "application/json",
        "x-amzn-requestid": ids.request,
        "x-amzn-errortype": kind + _CORAL,
    }
    for name, value in error.headers.items():
        headers[name.lower()] = value
    if error.retry_after is not None:  # supports() allows only the milliseconds form
        headers["x-amz-retry-after"] = str(max(0, round(error.retry_after * 1000)))
    body = error.body if error.body is not None else {"message": message}
    path = path_for(scenario.request.model, scenario.request.stream)
    return error_reply(path, error.status, headers, compact_json(body), n)
