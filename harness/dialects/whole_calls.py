"""What wires that send a tool call whole share (Gemini, Ollama): its arguments as one JSON
object, no tool-call finish of their own, no argument fragments a fault could be placed
between; and so the same reasons a reply cannot be said on them, each in the wire's words
(:class:`Wording`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from harness.scenario.model import (
    ReasoningPart,
    ReplyAttempt,
    StreamFault,
    ToolCall,
    ToolCallPart,
)

__all__ = ["Wording", "arguments_object", "fragment_positioned", "whole_call_support"]


def arguments_object(call: ToolCall) -> dict[str, JsonValue] | None:
    """A call's arguments as the JSON object a wire that sends them whole carries (Gemini's
    ``functionCall.args``, Ollama's ``function.arguments``), or None if they are not one;
    empty argument text is a call with no arguments, ``{}``."""
    if isinstance(call.arguments, dict):
        return call.arguments
    if not call.arguments.strip():
        return {}
    try:
        parsed = json.loads(call.arguments)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def fragment_positioned(fault: StreamFault | None, calls: Sequence[ToolCall]) -> bool:
    """Whether ``fault`` is placed by counting events while a call is split into argument
    fragments: on a wire that sends arguments whole, those events are never sent."""
    positioned = fault is not None and any(
        v is not None
        for v in (fault.cut_after, fault.truncate_after, fault.malformed_at, fault.stall_after)
    )
    return positioned and any(c.fragments != 1 for c in calls)


@dataclass(frozen=True)
class Wording:
    """How one such wire names its parts in the reasons :func:`whole_call_support` gives."""

    wire: str
    """The wire's name, ``gemini``."""
    finish: str
    """Its finish field, ``finish reason``."""
    tool_finish: str
    """What it has no tool-call kind of, ``finish``."""
    stop_alone: str
    """Why a tool_calls finish without a call cannot be said."""
    stop_with_calls: str
    """Why a stop finish with calls cannot be said."""
    arguments: str
    """Its arguments field, ``functionCall.args``."""
    thinking: str
    """That its reasoning parts carry no signature, ``gemini thought parts carry none``."""
    last: str
    """What alone ends an empty stream, ``its last chunk``."""
    whole: str
    """What it sends whole, ``function-call args``."""


def whole_call_support(
    reply: ReplyAttempt, stream: bool, finishes: Mapping[str, str], words: Wording
) -> str | None:
    """Why ``reply`` cannot be said on such a wire (its ``finishes``: neutral finish ->
    wire value), or None."""
    name = words.wire
    if reply.outcome not in ("completed", "incomplete"):
        return f"{name} has no {reply.outcome} outcome (an in-stream error is a fault)"
    if reply.polls:
        return f"{name} has no polled runs (polls > 0)"
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    if reply.outcome == "completed":
        if reply.finish not in finishes:
            return f"{name} has no {reply.finish!r} {words.finish}"
        if reply.finish == "tool_calls" and not calls:
            return f"{name} has no tool-call {words.tool_finish}: {words.stop_alone}"
        if reply.finish == "stop" and calls:
            return f"{name} has no tool-call {words.tool_finish}: {words.stop_with_calls}"
    if any(arguments_object(c) is None for c in calls):
        return f"{name} sends {words.arguments} as a JSON object; raw argument text cannot be sent"
    if any(isinstance(p, ReasoningPart) and p.signature for p in reply.parts):
        return f"a thinking signature is Anthropic's; {words.thinking}"
    fault = reply.fault
    if fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if fault is not None and fault.terminator_only:
        return f"{name} streams have no terminator: {words.last} alone is an empty reply"
    if fragment_positioned(fault, calls):
        return (
            f"{name} sends {words.whole} whole; this fault's position counts argument "
            "fragments the wire never sends"
        )
    return None
