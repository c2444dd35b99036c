"""OpenAI chat stream pieces the wire options reshape: a tool-call fragment's delta (the
``tool_calls`` entry, or the legacy ``function_call``), and the parts of each choice of a
reply with several (``wire.choices``, as for a request with ``n``)."""

from __future__ import annotations

from typing import Any

from harness.dialects.chunking import split_text
from harness.scenario import Part, ReplyAttempt, TextPart, ToolCall, ToolCallPart
from harness.scenario.wire import Wire

__all__ = ["call_delta", "choice_parts", "choice_refusal"]


def call_delta(
    wire: Wire, call: ToolCall, call_id: str, index: int, fragment: int, piece: str
) -> dict[str, Any]:
    """The delta of one argument fragment: a ``tool_calls`` entry, or the legacy
    ``function_call`` (the name on the first fragment; no id, no index)."""
    if wire.legacy_function_call:
        if fragment == 0:
            return {"function_call": {"name": call.name, "arguments": piece}}
        return {"function_call": {"arguments": piece}}
    entry: dict[str, Any] = {"index": 0 if wire.tool_index_zero else index}
    if fragment == 0:
        entry["id"] = call_id
        entry["type"] = "function"
        entry["function"] = {"name": call.name, "arguments": piece}
    else:
        entry["function"] = {"arguments": piece}
    return {"tool_calls": [entry]}


def choice_parts(reply: ReplyAttempt, k: int) -> list[Part]:
    """Choice ``k``'s parts: the reply's for choice 0; for the others the same parts, each
    text opened by ``(choice k+1)`` and each call id suffixed ``_k``, so a
    client that mixes the choices up yields something other than choice 0."""
    if k == 0:
        return list(reply.parts)
    mark = f"(choice {k + 1}) "
    out: list[Part] = []
    for n, part in enumerate(reply.parts):
        if isinstance(part, TextPart):
            pieces = split_text(part.text, part.deltas)
            pieces[0] = mark + pieces[0]
            out.append(TextPart(text="".join(pieces), deltas=pieces))
        elif isinstance(part, ToolCallPart):
            call = part.tool_call
            new_id = f"{call.id}_{k}" if call.id else f"call_choice{k}_{n}"
            out.append(ToolCallPart(tool_call=call.model_copy(update={"id": new_id})))
        else:
            out.append(part)
    return out


def choice_refusal(reply: ReplyAttempt, k: int) -> list[str]:
    """The refusal pieces choice ``k`` streams (none without a refusal), marked as its
    text is."""
    if reply.refusal is None:
        return []
    pieces = split_text(reply.refusal.text, reply.refusal.deltas)
    if k:
        pieces[0] = f"(choice {k + 1}) " + pieces[0]
    return pieces
