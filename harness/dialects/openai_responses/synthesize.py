"""The OpenAI Responses wire (``POST /v1/responses``), server side.

Streams look like the real API's recordings (``../shared/corpus/openai-responses``): named
events (``event: response.created`` ... ) whose data carries the same ``type`` and a
``sequence_number`` counting from 0, one output item per reply part (``reasoning`` with a
summary, ``message`` with one ``output_text`` part, ``function_call``), and a terminal
``response.completed`` / ``response.incomplete`` / ``response.failed`` holding the whole
response object with its usage. There is no ``[DONE]``. With ``wire.args_without_deltas`` a
function call streams no argument deltas: its arguments are only in the done events.

The API has no finish reason: the client infers ``tool_calls`` from function-call items,
and a reply cut by ``max_output_tokens`` (or a content filter) ends as
``response.incomplete``. So a scenario's ``finish: length`` becomes ``response.incomplete``
with ``max_output_tokens``, and finishes the wire cannot say are an honest n/a.

The path is matched as a suffix by the replay, so ``/v1/responses`` also serves clients
that post to ``/v1/openai/v1/responses`` (llama-stack-client). Stream faults count every
event, the terminal one included; indexes start at 0. Output is a pure function of the
scenario, as in :mod:`harness.dialects.openai_chat`, whose OpenAI error bodies it shares.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from harness.dialects.chunking import split_text
from harness.dialects.common import (
    AttemptIds,
    End,
    WireDialect,
    apply_fault,
    digest,
    encode_named_events,
)
from harness.dialects.exchanges import json_reply, streamed_reply
from harness.dialects.framing import framing_support
from harness.dialects.openai_chat.synthesize import error_exchange
from harness.dialects.script import Exchange, Script
from harness.scenario.model import (
    HttpErrorReply,
    ReasoningPart,
    ReplyAttempt,
    Scenario,
    StreamFault,
    TextPart,
    ToolCallPart,
    Usage,
)

__all__ = ["PATH", "OpenAIResponsesDialect"]

PATH = "/v1/responses"
CREATED = 1_735_689_600
"""A fixed ``created_at`` (2025-01-01T00:00:00Z): synthesized bytes never vary."""

Event = tuple[str, dict[str, Any]]
"""An event name and its data, before the sequence number is set."""

_TO_OPENAI_CODE = {
    "api_error": "server_error",
    "overloaded_error": "server_error",
    "rate_limit_error": "rate_limit_exceeded",
}
"""Anthropic error types an error payload may name, in the Responses API's codes."""

_DEFAULT_FAILURE = {
    "code": "server_error",
    "message": "The server had an error while processing your request. Sorry about that!",
}


class OpenAIResponsesDialect(WireDialect):
    """Compiles scenarios into OpenAI Responses exchanges."""

    name = "openai-responses"

    def wire_support(self, scenario: Scenario) -> str | None:
        for reply in scenario.replies():
            reason = _reply_support(reply, scenario.request.stream)
            if reason is not None:
                return reason
        return framing_support(scenario, named_events=True, dialect=self.name)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, _responses_error, _reply_exchange)


def _responses_error(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    """OpenAI's error exchange, at the Responses path."""
    return dataclasses.replace(error_exchange(scenario, n, error), path=PATH)


def _reply_support(reply: ReplyAttempt, stream: bool) -> str | None:
    """Why this reply cannot be said on the Responses wire, or None."""
    calls = any(isinstance(p, ToolCallPart) for p in reply.parts)
    if reply.outcome in ("cancelled", "expired"):
        return (
            f"openai-responses streams no {reply.outcome} terminal event (background "
            "responses are not modelled)"
        )
    if reply.polls:
        return "openai-responses: polling a background response is not modelled (polls > 0)"
    if any(isinstance(p, ReasoningPart) and p.signature for p in reply.parts):
        return (
            "openai-responses has no thinking signatures (reasoning items carry "
            "encrypted_content instead)"
        )
    if reply.fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if reply.fault is not None and reply.fault.terminator_only:
        return "openai-responses has no stream terminator: a stream ends with its terminal event"
    if reply.outcome != "completed":
        return None
    if reply.finish == "error":
        return "openai-responses has no 'error' finish reason; a failed response is outcome: failed"
    if reply.finish == "paused":
        return "openai-responses has no paused turn (Anthropic's pause_turn has no equivalent)"
    if reply.finish == "tool_calls" and not calls:
        return (
            "openai-responses has no finish reason: tool_calls is inferred from function-call "
            "items, and this reply has none"
        )
    if reply.finish == "stop" and calls:
        return (
            "openai-responses has no finish reason: a reply with function calls always "
            "reads as tool_calls, never stop"
        )
    return None


# --------------------------------------------------------------------------- objects


class _Ids(AttemptIds):
    """Ids of one attempt: the response's and its output items'."""

    def __init__(self, scenario: Scenario, attempt: int) -> None:
        super().__init__(scenario, attempt)
        self.response = "resp_" + digest("response", self.seed)[:48]

    def item(self, prefix: str, index: int) -> str:
        return f"{prefix}_" + digest(prefix, self.seed, index)[:48]


def _terminal(reply: ReplyAttempt) -> tuple[str, str | None]:
    """The response status the reply ends with, and the incomplete reason if any."""
    if reply.outcome == "failed":
        return "failed", None
    if reply.outcome == "incomplete":
        return "incomplete", reply.incomplete_reason
    if reply.finish == "length":
        return "incomplete", "max_output_tokens"
    if reply.finish == "content_filter":
        return "incomplete", "content_filter"
    return "completed", None


def _usage(usage: Usage) -> dict[str, Any]:
    """Responses usage; the cache counts are ``input_tokens_details``."""
    return {
        "input_tokens": usage.input,
        "input_tokens_details": {
            "cache_write_tokens": usage.cache_write or 0,
            "cached_tokens": usage.cache_read or 0,
        },
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.input + usage.output,
    }


def _response(
    scenario: Scenario,
    ids: _Ids,
    status: str,
    output: list[dict[str, Any]],
    reply: ReplyAttempt | None = None,
) -> dict[str, Any]:
    """The response object; ``reply`` (for a terminal status) adds error, details, usage."""
    request = scenario.request
    error: Any = None
    details: Any = None
    if reply is not None and status == "failed":
        error = reply.error if reply.error is not None else _DEFAULT_FAILURE
    if reply is not None and status == "incomplete":
        details = {"reason": _terminal(reply)[1]}
    usage = _usage(reply.usage) if reply is not None and reply.usage is not None else None
    return {
        "id": ids.response,
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": details,
        "instructions": None,
        "max_output_tokens": request.max_tokens,
        "max_tool_calls": None,
        "model": request.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [
            {
                "type": "function",
                "description": tool.description or None,
                "name": tool.name,
                "parameters": tool.parameters,
                "strict": False,
            }
            for tool in request.tools
        ],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _items(ids: _Ids, reply: ReplyAttempt) -> list[tuple[dict[str, Any], list[Event]]]:
    """Each reply part as its finished output item and the events that stream it."""
    status, _ = _terminal(reply)
    out: list[tuple[dict[str, Any], list[Event]]] = []
    for index, part in enumerate(reply.parts):
        last = index == len(reply.parts) - 1
        done = "incomplete" if last and status != "completed" else "completed"
        if isinstance(part, TextPart):
            out.append(_message(ids.item("msg", index), index, part, done))
        elif isinstance(part, ReasoningPart):
            out.append(_reasoning(ids.item("rs", index), index, part))
        else:
            call = part.tool_call
            call_id = call.id or ids.call(index)
            item = _function_call(ids.item("fc", index), call_id, index, part, done)
            if reply.wire.args_without_deltas:
                item = (item[0], [e for e in item[1] if not e[0].endswith("arguments.delta")])
            out.append(item)
    return out


def _message(
    item_id: str, index: int, part: TextPart, done: str
) -> tuple[dict[str, Any], list[Event]]:
    at = {"item_id": item_id, "output_index": index, "content_index": 0}
    text_part = {"type": "output_text", "annotations": [], "logprobs": [], "text": part.text}
    item = {
        "id": item_id,
        "type": "message",
        "status": done,
        "content": [text_part],
        "role": "assistant",
    }
    started = {**item, "status": "in_progress", "content": []}
    events: list[Event] = [
        ("response.output_item.added", {"output_index": index, "item": started}),
        ("response.content_part.added", {**at, "part": {**text_part, "text": ""}}),
    ]
    for piece in split_text(part.text, part.deltas):
        events.append(("response.output_text.delta", {**at, "delta": piece, "logprobs": []}))
    events += [
        ("response.output_text.done", {**at, "text": part.text, "logprobs": []}),
        ("response.content_part.done", {**at, "part": text_part}),
        ("response.output_item.done", {"output_index": index, "item": item}),
    ]
    return item, events


def _reasoning(item_id: str, index: int, part: ReasoningPart) -> tuple[dict[str, Any], list[Event]]:
    at = {"item_id": item_id, "output_index": index, "summary_index": 0}
    summary = {"type": "summary_text", "text": part.reasoning}
    item = {"id": item_id, "type": "reasoning", "summary": [summary]}
    events: list[Event] = [
        ("response.output_item.added", {"output_index": index, "item": {**item, "summary": []}}),
        ("response.reasoning_summary_part.added", {**at, "part": {**summary, "text": ""}}),
    ]
    for piece in split_text(part.reasoning, part.deltas):
        events.append(("response.reasoning_summary_text.delta", {**at, "delta": piece}))
    events += [
        ("response.reasoning_summary_text.done", {**at, "text": part.reasoning}),
        ("response.reasoning_summary_part.done", {**at, "part": summary}),
        ("response.output_item.done", {"output_index": index, "item": item}),
    ]
    return item, events


def _function_call(
    item_id: str, call_id: str, index: int, part: ToolCallPart, done: str
) -> tuple[dict[str, Any], list[Event]]:
    call = part.tool_call
    text = call.argument_text()
    item = {"id": item_id, "type": "function_call", "status": done, "arguments": text}
    item |= {"call_id": call_id, "name": call.name}
    at = {"item_id": item_id, "output_index": index}
    started = {**item, "status": "in_progress", "arguments": ""}
    events: list[Event] = [("response.output_item.added", {"output_index": index, "item": started})]
    for piece in split_text(text, call.fragments):
        events.append(("response.function_call_arguments.delta", {**at, "delta": piece}))
    events += [
        ("response.function_call_arguments.done", {**at, "name": call.name, "arguments": text}),
        ("response.output_item.done", {"output_index": index, "item": item}),
    ]
    return item, events


# --------------------------------------------------------------------------- exchanges


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = _Ids(scenario, n)
    items = _items(ids, reply)
    status, _ = _terminal(reply)
    final = _response(scenario, ids, status, [item for item, _ in items], reply)
    head = (("x-request-id", ids.request), ("openai-version", "2020-10-01"))
    if not scenario.request.stream:
        body = json.dumps(final, indent=2, ensure_ascii=False)
        return json_reply(PATH, (("content-type", "application/json"), *head), body, n, reply.wire)
    started = _response(scenario, ids, "in_progress", [])
    content: list[Event] = [
        ("response.created", {"response": started}),
        ("response.in_progress", {"response": started}),
    ]
    for _, events in items:
        content += events
    tail: list[Event] = [(f"response.{status}", {"response": final})]
    events, end, malformed = _apply_fault(reply.fault, content, tail)
    headers = (("content-type", "text/event-stream; charset=utf-8"), *head)
    chunks = encode_named_events(events, malformed, reply.wire, numbered=True)
    return streamed_reply(PATH, headers, chunks, end, n, reply.wire)


def _apply_fault(
    fault: StreamFault | None, content: list[Event], tail: list[Event]
) -> tuple[list[Event], End, int | None]:
    """Apply a stream fault: the events left, how the body ends, which event to break."""
    return apply_fault(
        fault,
        content,
        tail,
        terminator=None,
        error_event=_stream_error,
        last=f"events (0..{len(content) + len(tail) - 1}, the terminal event last)",
    )


def _stream_error(payload: dict[str, Any]) -> Event:
    """The Responses API's in-stream ``error`` event for an error payload."""
    inner = payload["error"] if isinstance(payload.get("error"), dict) else payload
    kind = inner.get("type")
    error = {
        "code": inner.get("code") or _TO_OPENAI_CODE.get(str(kind), kind),
        "message": inner.get("message") or _DEFAULT_FAILURE["message"],
        "param": inner.get("param"),
    }
    return ("error", error)
