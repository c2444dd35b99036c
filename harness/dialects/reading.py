"""A recorded reply in neutral terms: the pieces a dialect's reader finds, in arrival order.

Each dialect's reader (``harness.dialects.<wire>.read``) feeds a :class:`Reading` with what
one response says: its :class:`Parts` builder takes text and reasoning deltas exactly as
recorded (so ``TextPart.deltas`` is the recorded list) and tool calls with their recorded
argument fragments; the reading keeps the finish, usage, outcome, an in-stream error and
notes on what could not be carried over. :func:`harness.cassettes.reply.read_interaction`
runs the reader a recording's dialect names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

if TYPE_CHECKING:
    from harness.dialects.sse import SSEEvent

from harness.scenario.model import (
    NO_FINISH,
    ErrorAttempt,
    ErrorKind,
    FinishReason,
    HttpErrorReply,
    NoFinish,
    Part,
    RawAttempt,
    RawReply,
    ReasoningPart,
    ReplyAttempt,
    ReplyWrapper,
    StreamFault,
    TextPart,
    ToolCall,
    ToolCallPart,
    Usage,
)

__all__ = [
    "NOT_JSON_EVENT",
    "Parts",
    "Reading",
    "as_int",
    "compact",
    "error_kind",
    "json_events",
    "token_usage",
    "tool_call",
]

NOT_JSON_EVENT = "a stream event is not JSON (skipped)"
"""The note a reader leaves for an event it cannot parse: the recording is then served as
it is (a client of the dialect fails on it), not as the events that could be read."""


def compact(value: Any) -> str:
    """JSON without spaces, UTF-8 kept: how argument objects are compared to their text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def tool_call(call_id: str | None, name: str, pieces: list[str], final: str | None) -> ToolCall:
    """A ToolCall keeping the recorded fragments; ``arguments`` is an object only when the
    fragments spell exactly its compact JSON, else the exact text (so nothing is re-spelled)."""
    pieces = [p for p in pieces if p]
    text = "".join(pieces)
    if not pieces and final is not None:
        text, pieces = final, [final]
    arguments: dict[str, JsonValue] | str = text
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and compact(parsed) == text:
        arguments = parsed
    fragments: int | list[str] = pieces if len(pieces) > 1 else 1
    return ToolCall(
        id=call_id or None, name=name or "unknown", arguments=arguments, fragments=fragments
    )


class Parts:
    """Reply parts in arrival order; consecutive pieces of one kind form one part."""

    def __init__(self) -> None:
        self._order: list[tuple[str, Any]] = []
        self._calls: dict[Any, dict[str, Any]] = {}
        self.repeated_names: set[str] = set()
        """Tool-call names sent again after the first delta of their call (kept once)."""

    def text(self, piece: str | None) -> None:
        self._piece("text", piece)

    def reasoning(self, piece: str | None, signature: str | None = None) -> None:
        self._piece("reasoning", piece)
        if signature:
            self.signature(signature)

    def signature(self, value: str) -> None:
        for kind, item in reversed(self._order):
            if kind == "reasoning":
                item["signature"] = (item.get("signature") or "") + value
                return

    def _piece(self, kind: str, piece: str | None) -> None:
        if not piece:
            return
        if self._order and self._order[-1][0] == kind:
            self._order[-1][1]["pieces"].append(piece)
        else:
            self._order.append((kind, {"pieces": [piece]}))

    def call(self, key: Any, call_id: str | None = None, name: str | None = None) -> None:
        """Start (or update) the tool call known by ``key`` (an index or item id)."""
        slot = self._calls.get(key)
        if slot is None:
            slot = {"id": None, "name": None, "pieces": [], "final": None}
            self._calls[key] = slot
            self._order.append(("tool_call", slot))
        if call_id and not slot["id"]:
            slot["id"] = call_id
        if name and slot["name"]:
            self.repeated_names.add(name if name == slot["name"] else f"{slot['name']}/{name}")
        if name and not slot["name"]:
            slot["name"] = name

    def fragment(self, key: Any, piece: str | None) -> None:
        self.call(key)
        if piece:
            self._calls[key]["pieces"].append(piece)

    def final_arguments(self, key: Any, text: str | None) -> None:
        """The complete argument text, used when no fragments were streamed."""
        self.call(key)
        if text is not None:
            self._calls[key]["final"] = text

    def has_fragments(self, key: Any) -> bool:
        """Whether any non-empty argument fragment arrived for the call ``key``."""
        slot = self._calls.get(key)
        return bool(slot and any(slot["pieces"]))

    def has_calls(self) -> bool:
        return bool(self._calls)

    def has_signatures(self) -> bool:
        return any(kind == "reasoning" and item.get("signature") for kind, item in self._order)

    def build(self, *, signatures: bool = True) -> list[Part]:
        """The parts; ``signatures=False`` drops thinking signatures (only Anthropic's wire
        carries them, and other dialects cannot express a reply that has them)."""
        parts: list[Part] = []
        for kind, item in self._order:
            pieces: list[str] = item.get("pieces", [])
            deltas: int | list[str] = pieces if len(pieces) > 1 else 1
            if kind == "text":
                parts.append(TextPart(text="".join(pieces), deltas=deltas))
            elif kind == "reasoning":
                if pieces:
                    parts.append(
                        ReasoningPart(
                            reasoning="".join(pieces),
                            deltas=deltas,
                            signature=item.get("signature") if signatures else None,
                        )
                    )
            else:
                call = tool_call(item["id"], item["name"] or "", item["pieces"], item["final"])
                parts.append(ToolCallPart(tool_call=call))
        return parts


@dataclass
class Reading:
    """One response read into neutral terms, and what could not be carried over."""

    dialect: str
    stream: bool = False
    parts: Parts = field(default_factory=Parts)
    finish: FinishReason | None = None
    raw_finish: str | None = None
    no_finish: bool = False
    """The reply says outright it carries no finish reason (OpenAI chat's non-streamed
    ``finish_reason: null``), rather than the reader having found none."""
    usage: Usage | None = None
    outcome: str = "completed"
    incomplete_reason: str = "max_output_tokens"
    error_payload: dict[str, JsonValue] | None = None
    """An error event inside a 200 stream (the stream ends with it)."""
    http_error: HttpErrorReply | None = None
    notes: list[str] = field(default_factory=list)
    portable: bool = False
    """Leave out what only one dialect can carry (thinking signatures)."""
    raw: RawReply | None = None
    """The response as recorded, when the dialect cannot read it: served byte for byte."""
    raw_kind: ErrorKind = "protocol"
    """The failure a correct client reports for the raw response."""
    refusal: list[str] = field(default_factory=list)
    """The pieces of the model's refusal (OpenAI chat), in order."""

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def refuse(self, why: str, payload: JsonValue = None) -> None:
        """The body says the call failed, or cannot be read as a reply of this dialect: it
        is served as recorded, and a correct client fails (with the kind an error payload
        names, else a protocol error), never succeeds."""
        self.refused = why
        if isinstance(payload, dict):
            code = payload.get("code", payload.get("status_code"))
            self.raw_kind = error_kind(code if isinstance(code, int) else 500, payload)

    refused: str | None = None
    """Why the body is served raw (set by :meth:`refuse`)."""

    def attempt(self) -> ErrorAttempt | ReplyWrapper | RawAttempt:
        if self.http_error is not None:
            return ErrorAttempt(error=self.http_error)
        if self.raw is not None:
            return RawAttempt(raw=self.raw)
        failed = self.outcome == "failed"  # a failed run says so itself, not as a fault
        fault = (
            StreamFault(error_payload=self.error_payload)
            if self.error_payload and not failed
            else None
        )
        finish: FinishReason | NoFinish = self.finish or (
            NO_FINISH if self.no_finish else "tool_calls" if self.parts.has_calls() else "stop"
        )
        reply = ReplyAttempt.model_validate(
            {
                "parts": self.parts.build(signatures=not self.portable),
                "finish": finish,
                "usage": self.usage,
                "outcome": self.outcome,
                "incomplete_reason": self.incomplete_reason,
                "fault": fault,
                "error": self.error_payload if failed else None,
                "refusal": (
                    {"text": "".join(self.refusal), "deltas": self.refusal}
                    if "".join(self.refusal)
                    else None
                ),
            }
        )
        return ReplyWrapper(reply=reply)

    def error_kind(self) -> ErrorKind | None:
        """The error a correct adapter raises for this response, if any."""
        if self.http_error is not None:
            return error_kind(self.http_error.status, self.http_error.body)
        if self.raw is not None:
            return self.raw_kind
        if self.error_payload is not None:
            payload = self.error_payload.get("error", self.error_payload)
            status = (
                payload.get("status_code", payload.get("code"))
                if isinstance(payload, dict)
                else None
            )
            return error_kind(status if isinstance(status, int) else 500, self.error_payload)
        return None


def error_kind(status: int, body: JsonValue) -> ErrorKind:
    """Map an HTTP status (and the error text, for context-window 400s) to an error kind."""
    text = json.dumps(body).lower() if body is not None else ""
    if status == 429 or "rate_limit" in text or "rate limit" in text:
        return "rate_limit"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if 400 <= status < 500:
        if "context_length" in text or "context window" in text or "too long" in text:
            return "context_window"
        return "bad_request"
    return "server"


def as_int(value: Any) -> int | None:
    """A token count, or None (bools and non-integers are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def token_usage(raw: Any, given: str, produced: str, cached: int | None = None) -> Usage | None:
    """Usage from a usage object's ``given`` (input) and ``produced`` (output) counts; None
    when either is missing or not a count."""
    if not isinstance(raw, dict):
        return None
    input_tokens, output_tokens = as_int(raw.get(given)), as_int(raw.get(produced))
    if input_tokens is None or output_tokens is None:
        return None
    return Usage(input=input_tokens, output=output_tokens, cache_read=cached)


def json_events(
    events: Iterable[SSEEvent], reading: Reading, *, terminator: str | None = None
) -> Iterator[tuple[SSEEvent, dict[str, Any]]]:
    """Each stream event whose data is a JSON object, with the object. Data that is not
    JSON leaves the :data:`NOT_JSON_EVENT` note (the reply is then served raw); JSON that
    is not an object, and the ``terminator`` (``[DONE]``) of data-only streams, are skipped."""
    for event in events:
        if terminator is not None and event.data.strip() == terminator:
            continue
        try:
            data = json.loads(event.data)
        except ValueError:
            reading.note(NOT_JSON_EVENT)
            continue
        if isinstance(data, dict):
            yield event, data
