"""What the pydantic-ai drivers share: the scenario's conversation as pydantic-ai messages
and tool definitions, and the mapping of pydantic-ai's stream events and ``ModelResponse``
to harness events.

The mapping is what an application reads from pydantic-ai: text and thinking deltas as
they stream (``PartStartEvent``/``PartDeltaEvent`` of ``TextPart``/``ThinkingPart``), each
tool call once complete (the ``ToolCallPart`` of the finished response, in part order),
usage from ``ModelResponse.usage`` (pydantic-ai counts 0 for "not reported", so all-zero
usage is no usage, and a zero cache count no cache count), a refusal from
``provider_details["refusal"]`` (where ``OpenAIChatModel`` puts it,
pydantic_ai/models/openai.py:3881-3882), and the end from the response: ``state``
``suspended`` is a turn the provider paused for the caller to resume (finish ``paused``,
pydantic_ai/models/anthropic.py:1320,3050), any other state but
``complete`` is the library saying the reply did not end (``StreamedResponse.get``,
pydantic_ai/models/__init__.py:1137-1152) and becomes the error event; otherwise the finish
is ``finish_reason`` as pydantic-ai gives it (None when it gives none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.drivers.common import error_item_event, tool_call_event
from harness.scenario.model import FinishReason, Request
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    UsageEvent,
)

__all__ = [
    "PYDANTIC_AI_FINISH",
    "PydanticAIStream",
    "model_settings",
    "pydantic_messages",
    "refusal_of",
    "request_parameters",
    "response_end_events",
    "response_events",
    "tool_definitions",
]

PYDANTIC_AI_FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_call": "tool_calls",
    "error": "error",
}
"""pydantic-ai's ``FinishReason`` (pydantic_ai/messages.py:113-119) in harness's words."""


# --------------------------------------------------------------------------- request


def pydantic_messages(request: Request) -> list[Any]:
    """The conversation as pydantic-ai ``ModelRequest``/``ModelResponse`` messages: system,
    user and tool-result turns are request parts (consecutive ones share one request), an
    assistant turn is a response of its text and tool calls."""
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    names: dict[str, str] = {}  # tool call id -> name, for the tool results
    messages: list[Any] = []
    pending: list[Any] = []
    for m_index, message in enumerate(request.messages):
        if message.role == "assistant":
            if pending:
                messages.append(ModelRequest(parts=pending))
                pending = []
            parts: list[Any] = [TextPart(content=message.content)] if message.content else []
            for c_index, call in enumerate(message.tool_calls):
                call_id = call.id or f"call_{m_index}_{c_index}"
                names[call_id] = call.name
                args = dict(call.arguments)
                parts.append(ToolCallPart(tool_name=call.name, args=args, tool_call_id=call_id))
            messages.append(ModelResponse(parts=parts))
        elif message.role == "system":
            pending.append(SystemPromptPart(content=message.content))
        elif message.role == "tool":
            call_id = message.tool_call_id or ""
            pending.append(
                ToolReturnPart(
                    tool_name=names.get(call_id, "tool"),
                    content=message.content,
                    tool_call_id=call_id,
                )
            )
        else:
            pending.append(UserPromptPart(content=message.content))
    if pending:
        messages.append(ModelRequest(parts=pending))
    return messages


def tool_definitions(request: Request) -> list[Any]:
    """The scenario's tools as pydantic-ai ``ToolDefinition``s."""
    from pydantic_ai.tools import ToolDefinition

    return [
        ToolDefinition(
            name=tool.name,
            description=tool.description,
            parameters_json_schema=dict(tool.parameters),
        )
        for tool in request.tools
    ]


def request_parameters(request: Request) -> Any:
    """``ModelRequestParameters`` with the scenario's tools as function tools and text
    output allowed, as an agent with tools and a ``str`` output builds them."""
    from pydantic_ai.models import ModelRequestParameters

    return ModelRequestParameters(function_tools=tool_definitions(request), allow_text_output=True)


def model_settings(request: Request) -> dict[str, Any] | None:
    """``ModelSettings`` with ``max_tokens`` when the scenario sets one."""
    return {"max_tokens": request.max_tokens} if request.max_tokens is not None else None


# --------------------------------------------------------------------------- events


class PydanticAIStream:
    """Maps ``StreamedResponse`` events: text and thinking deltas as they come; the rest
    comes from the finished response (:func:`response_end_events`)."""

    def feed(self, item: Any) -> list[Event]:
        from pydantic_ai.messages import (
            PartDeltaEvent,
            PartStartEvent,
            TextPart,
            TextPartDelta,
            ThinkingPart,
            ThinkingPartDelta,
        )

        if isinstance(item, PartStartEvent):
            if isinstance(item.part, TextPart) and item.part.content:
                return [TextEvent(text=item.part.content)]
            if isinstance(item.part, ThinkingPart) and item.part.content:
                return [ReasoningEvent(text=item.part.content)]
        elif isinstance(item, PartDeltaEvent):
            delta = item.delta
            if isinstance(delta, TextPartDelta) and delta.content_delta:
                return [TextEvent(text=delta.content_delta)]
            if isinstance(delta, ThinkingPartDelta) and delta.content_delta:
                return [ReasoningEvent(text=delta.content_delta)]
        return []


def response_events(response: Any) -> list[Event]:
    """Events of a whole ``ModelResponse`` (a non-streamed request): its text and thinking
    parts, then :func:`response_end_events`."""
    from pydantic_ai.messages import TextPart, ThinkingPart

    events: list[Event] = []
    for part in response.parts:
        if isinstance(part, TextPart) and part.content:
            events.append(TextEvent(text=part.content))
        elif isinstance(part, ThinkingPart) and part.content:
            events.append(ReasoningEvent(text=part.content))
    return events + response_end_events(response)


def response_end_events(response: Any) -> list[Event]:
    """Tool calls, refusal, usage, then the finish (or the error a state other than
    ``complete`` means) of a finished ``ModelResponse``. The calls of a response the
    library says did not end are not passed on as complete calls: a caller that checks
    ``state`` never runs them."""
    from pydantic_ai.messages import BaseToolCallPart

    state = getattr(response, "state", "complete")
    ended = state in ("complete", "suspended")
    events: list[Event] = [
        tool_call_event(part.tool_call_id, part.tool_name, part.args)
        for part in response.parts
        if isinstance(part, BaseToolCallPart) and ended
    ]
    details = response.provider_details or {}
    refusal = details.get("refusal")
    if isinstance(refusal, str) and refusal:
        events.append(RefusalEvent(text=refusal))
    usage = response.usage
    if usage.input_tokens or usage.output_tokens:
        events.append(
            UsageEvent(
                input=usage.input_tokens,
                output=usage.output_tokens,
                cache_read=usage.cache_read_tokens or None,
                cache_write=usage.cache_write_tokens or None,
            )
        )
    if state == "suspended":  # a paused turn the caller resumes (Anthropic's pause_turn)
        events.append(FinishEvent(reason="paused", raw=state))
        return events
    if state != "complete":
        message = f"ModelResponse.state={state!r} (finish_reason={response.finish_reason!r})"
        events.append(error_item_event(response, "protocol", message))
        return events
    raw = response.finish_reason
    events.append(FinishEvent(reason=PYDANTIC_AI_FINISH.get(raw) if raw else None, raw=raw))
    return events


def refusal_of(exc: Any) -> str:
    """The refusal a ``ContentFilterError`` carries: the agent raises it for a response the
    model refused (pydantic_ai/_agent_graph.py:1923-1937), with that response as its
    ``body`` (the JSON of a message list) and the refusal in its ``provider_details``.

    Self-contained (its import inside, no module globals), so a reproducer carries it as is."""
    from pydantic_ai.messages import ModelMessagesTypeAdapter

    try:
        messages = ModelMessagesTypeAdapter.validate_json(exc.body or "[]")
    except ValueError:
        return ""
    for message in messages:
        refusal = (getattr(message, "provider_details", None) or {}).get("refusal")
        if isinstance(refusal, str) and refusal:
            return refusal
    return ""
