"""What one recorded response says, in neutral terms: the reply parts a scenario replays.

The dialect readers (``read_chat``, ``read_responses``, ``read_anthropic``) feed a
:class:`Parts` builder with the pieces in the order they arrived: text and reasoning deltas
exactly as recorded (so ``TextPart.deltas`` is the recorded list), tool calls with their
recorded argument fragments. :func:`read_interaction` dispatches on the dialect and turns
HTTP errors into an :class:`~harness.scenario.model.ErrorAttempt`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from harness.cassettes.model import Interaction
from harness.cassettes.wire import decoded_body, is_sse, sse_events
from harness.scenario.model import (
    ErrorAttempt,
    ErrorKind,
    FinishReason,
    HttpErrorReply,
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
    "READABLE",
    "Parts",
    "Reading",
    "error_kind",
    "read_interaction",
    "tool_call",
]

NOT_JSON_EVENT = "a stream event is not JSON (skipped)"
"""The note a reader leaves for an event it cannot parse: the recording is then served as
it is (a client of the dialect fails on it), not as the events that could be read."""

READABLE = ("openai-chat", "openai-responses", "anthropic-messages", "gateway")
"""Dialects whose replies can be read into neutral parts."""


def compact(value: Any) -> str:
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
        finish: FinishReason = self.finish or ("tool_calls" if self.parts.has_calls() else "stop")
        reply = ReplyAttempt.model_validate(
            {
                "parts": self.parts.build(signatures=not self.portable),
                "finish": finish,
                "usage": self.usage,
                "outcome": self.outcome,
                "incomplete_reason": self.incomplete_reason,
                "fault": fault,
                "error": self.error_payload if failed else None,
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


def read_interaction(interaction: Interaction, dialect: str) -> Reading:
    """Read one interaction's response in ``dialect`` (one of :data:`READABLE`)."""
    from harness.cassettes import (
        read_anthropic,
        read_azure,
        read_chat,
        read_gateway,
        read_responses,
    )

    body = decoded_body(interaction.response)
    reading = Reading(dialect=dialect)
    status = interaction.response.status
    if status >= 400:
        reading.http_error = _http_error(status, body, interaction)
        return reading
    reader = {
        "openai-chat": read_chat,
        "gateway": read_gateway,
        "openai-responses": read_responses,
        "anthropic-messages": read_anthropic,
        "azure-agents": read_azure,
    }.get(dialect)
    if reader is None:
        raise ValueError(f"no reply reader for dialect {dialect!r}; readable: {READABLE}")
    if is_sse(interaction, body):
        reading.stream = True
        reader.read_stream(sse_events(body), reading)
        if reading.finish is None and reading.error_payload is None:
            reading.note("the recorded stream carries no finish reason (the scenario sends one)")
    else:
        try:
            obj = json.loads(body)
        except (ValueError, RecursionError):
            reading.refuse(f"the body ({_content_type(interaction)}) is neither SSE nor JSON")
        else:
            reader.read_json(obj, reading)
    for name in sorted(reading.parts.repeated_names):
        reading.note(
            f"the tool-call name {name!r} is repeated on later deltas of its call "
            "(the scenario sends it once)"
        )
    if reading.refused is None and NOT_JSON_EVENT in reading.notes:
        reading.refuse("a stream event is not JSON")
    if reading.refused is not None:
        reading.raw = _raw(interaction, body)
        reading.notes = [
            f"{reading.refused}: served byte for byte, a correct client fails ({reading.raw_kind})"
        ]
    return reading


def _content_type(interaction: Interaction) -> str:
    value = next((v for k, v in interaction.response.headers if k.lower() == "content-type"), "")
    return value.split(";")[0].strip() or "no content type"


_RAW_HEADERS = ("content-type",)


def _raw(interaction: Interaction, body: bytes) -> RawReply:
    headers = {
        name.lower(): value
        for name, value in interaction.response.headers
        if name.lower() in _RAW_HEADERS
    }
    return RawReply(
        status=interaction.response.status,
        headers=headers,
        body=body.decode("utf-8", "replace"),
    )


_KEPT_ERROR_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")


def _http_error(status: int, body: bytes, interaction: Interaction) -> HttpErrorReply:
    try:
        parsed: JsonValue = json.loads(body) if body else None
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    headers = {
        name.lower(): value
        for name, value in interaction.response.headers
        if name.lower() in _KEPT_ERROR_HEADERS
    }
    return HttpErrorReply(status=min(max(status, 400), 599), headers=headers, body=parsed)


def as_int(value: Any) -> int | None:
    """A token count, or None (bools and non-integers are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
