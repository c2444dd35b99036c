"""The OpenAI Python SDK's Responses API (``AsyncOpenAI.responses.create``).

Seam: ``http_client=httpx.AsyncClient(transport=ctx.transport("httpx"))`` and
``base_url=ctx.base_url + "/v1"``; nothing is patched. Retries as shipped
(``openai.DEFAULT_MAX_RETRIES``); ``ctx.options["max_retries"]`` overrides.

The SDK yields typed stream events and raises nothing for a response that ends badly, so
the mapping here is what an application has to do with them: text from
``response.output_text.delta``, reasoning from ``response.reasoning_summary_text.delta``
(and ``response.reasoning_text.delta``), a refusal from ``response.refusal.delta`` (a
message's ``refusal`` content part when not streamed), a tool call per ``response.output_item.done``
whose item is a ``function_call`` (id = ``call_id``, the id a tool result answers),
and at the terminal event usage plus the finish: ``response.completed`` is ``tool_calls``
when function calls came, else ``stop``; ``response.incomplete`` maps its
``incomplete_details.reason``; ``response.failed`` and an ``error`` event become the
error event, its kind from the error code. A stream that ends without a terminal event
gets no finish. :class:`ResponsesStream` reads fields by duck typing, so the
llama-stack client's objects (which keep unknown fields as dicts) map the same way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any, ClassVar

from harness.drivers.common import error_item_event, field_of, tool_call_event
from harness.drivers.openai_sdk import OPENAI_TRACKER, OpenAISDKBase, openai_client
from harness.drivers.recipe import Recipe
from harness.scenario.model import ErrorKind, FinishReason, Request, Scenario
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    UsageEvent,
)

__all__ = [
    "RESPONSES_ERROR_KINDS",
    "OpenAIResponsesDriver",
    "ResponsesStream",
    "create_and_map",
    "response_events",
    "responses_input",
    "responses_kwargs",
    "responses_tools",
]

RESPONSES_ERROR_KINDS: Mapping[str, ErrorKind] = {
    "server_error": "server",
    "api_error": "server",
    "overloaded_error": "server",
    "rate_limit_exceeded": "rate_limit",
    "insufficient_quota": "rate_limit",
    "invalid_prompt": "bad_request",
    "invalid_request_error": "bad_request",
    "vector_store_timeout": "timeout",
    "context_length_exceeded": "context_window",
    "invalid_api_key": "auth",
    "model_not_found": "not_found",
}
"""Error codes of failed responses and error events, in the harness vocabulary (the image
codes, ``invalid_image`` and the like, are bad requests)."""

INCOMPLETE_FINISH: Mapping[str, FinishReason] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


class OpenAIResponsesDriver(OpenAISDKBase):
    """``openai.AsyncOpenAI().responses.create``, streamed or not."""

    name: ClassVar[str] = "openai-sdk-responses"
    dialect: ClassVar[str] = "openai-responses"

    async def events(self, client: Any, request: Request) -> AsyncGenerator[Event, None]:
        kwargs = responses_kwargs(request)
        if request.max_tokens is not None:
            kwargs["max_output_tokens"] = request.max_tokens
        async for event in create_and_map(client, kwargs, stream=request.stream):
            yield event

    def repro(self, scenario: Scenario) -> Recipe:
        """``responses.create`` on the reproducer's transport, read as above."""
        request = scenario.request
        kwargs = responses_kwargs(request)
        if request.max_tokens is not None:
            kwargs["max_output_tokens"] = request.max_tokens
        kwargs["stream"] = request.stream
        read = RESPONSES_STREAM_READ if request.stream else RESPONSE_READ
        return Recipe(
            library="openai-python",
            tracker=OPENAI_TRACKER,
            imports="import httpx\nimport openai\n",
            request=kwargs,
            call=openai_client("response = await client.responses.create(**REQUEST)\n" + read),
            finish={"completed": ("stop", "tool_calls"), **INCOMPLETE_FINISH},
            helpers=RESPONSES_HELPERS,
        )


RESPONSES_HELPERS = '''\
def function_call(item):
    return {"id": item.call_id, "name": item.name, "arguments": item.arguments}


def read_response(response, out):
    """The end of a response: its usage, and its status as the finish (or its error)."""
    if response.usage is not None:
        usage = response.usage
        out["usage"] = {"input": usage.input_tokens, "output": usage.output_tokens}
    if response.status == "failed":
        raise RuntimeError(f"response.failed: {response.error}")
    if response.status == "incomplete" and response.incomplete_details is not None:
        out["finish"] = response.incomplete_details.reason
    else:
        out["finish"] = response.status
'''

RESPONSES_STREAM_READ = """\
async with response as events:
    async for event in events:
        if event.type == "response.output_text.delta":
            out["text"] += event.delta
        elif event.type in (
            "response.reasoning_summary_text.delta",
            "response.reasoning_text.delta",
        ):
            out["reasoning"] += event.delta
        elif event.type == "response.refusal.delta":
            out["refusal"] += event.delta
        elif event.type == "response.output_item.done" and event.item.type == "function_call":
            out["tool_calls"].append(function_call(event.item))
        elif event.type in ("response.completed", "response.incomplete", "response.failed"):
            read_response(event.response, out)
        elif event.type == "error":
            raise RuntimeError(f"error event: {event.code}: {event.message}")
"""

RESPONSE_READ = """\
for item in response.output:
    if item.type == "message":
        for part in item.content:
            if part.type == "output_text":
                out["text"] += part.text
            elif part.type == "refusal":
                out["refusal"] += part.refusal
    elif item.type == "function_call":
        out["tool_calls"].append(function_call(item))
read_response(response, out)
"""


async def create_and_map(
    client: Any, kwargs: dict[str, Any], *, stream: bool
) -> AsyncIterator[Event]:
    """``client.responses.create(**kwargs)`` and its output as events, for every client
    whose Responses API has the OpenAI SDK's shape (openai, llama-stack-client)."""
    if not stream:
        response = await client.responses.create(**kwargs, stream=False)
        for event in response_events(response):
            yield event
        return
    events = await client.responses.create(**kwargs, stream=True)
    mapper = ResponsesStream()
    async with events:
        async for item in events:
            for event in mapper.feed(item):
                yield event


# --------------------------------------------------------------------------- request


def responses_input(request: Request) -> list[dict[str, Any]]:
    """The conversation as Responses ``input`` items: messages, earlier function calls and
    their outputs."""
    items: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        if message.role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.tool_call_id or "",
                    "output": message.content,
                }
            )
            continue
        if message.content or not message.tool_calls:
            items.append({"type": "message", "role": message.role, "content": message.content})
        for c_index, call in enumerate(message.tool_calls):
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.id or f"call_{m_index}_{c_index}",
                    "name": call.name,
                    "arguments": json.dumps(call.arguments, ensure_ascii=False),
                }
            )
    return items


def responses_tools(request: Request) -> list[dict[str, Any]]:
    """The scenario's tools as Responses function tools (flat, not nested in ``function``)."""
    return [
        {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
            "strict": False,
        }
        for tool in request.tools
    ]


def responses_kwargs(request: Request) -> dict[str, Any]:
    """``model`` and ``input``, and ``tools`` only when the scenario has some."""
    kwargs: dict[str, Any] = {"model": request.model, "input": responses_input(request)}
    if request.tools:
        kwargs["tools"] = responses_tools(request)
    return kwargs


# --------------------------------------------------------------------------- events


class ResponsesStream:
    """Maps Responses stream events to harness events, one event object at a time."""

    def __init__(self) -> None:
        self._calls = 0

    def feed(self, item: Any) -> list[Event]:
        kind = field_of(item, "type")
        if kind == "response.output_text.delta":
            return [TextEvent(text=field_of(item, "delta") or "")]
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            return [ReasoningEvent(text=field_of(item, "delta") or "")]
        if kind == "response.refusal.delta":
            return [RefusalEvent(text=field_of(item, "delta") or "")]
        if kind == "response.output_item.done":
            output = field_of(item, "item")
            if field_of(output, "type") == "function_call":
                self._calls += 1
                return [_call_event(output)]
            return []
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            return _terminal_events(field_of(item, "response"), item, self._calls > 0)
        if kind == "error":
            code = field_of(item, "code")
            message = f"error event: {code}: {field_of(item, 'message')}"
            return [error_item_event(item, _error_kind(code), message)]
        return []


def response_events(response: Any) -> list[Event]:
    """Events of a non-streamed response object: its output items, usage, then the end."""
    events: list[Event] = []
    calls = False
    for output in field_of(response, "output") or []:
        kind = field_of(output, "type")
        if kind == "message":
            for part in field_of(output, "content") or []:
                if field_of(part, "type") == "output_text" and field_of(part, "text"):
                    events.append(TextEvent(text=field_of(part, "text")))
                elif field_of(part, "type") == "refusal" and field_of(part, "refusal"):
                    events.append(RefusalEvent(text=field_of(part, "refusal")))
        elif kind == "reasoning":
            for key in ("summary", "content"):
                for part in field_of(output, key) or []:
                    if field_of(part, "text"):
                        events.append(ReasoningEvent(text=field_of(part, "text")))
        elif kind == "function_call":
            calls = True
            events.append(_call_event(output))
    return events + _terminal_events(response, response, calls)


def _call_event(output: Any) -> Event:
    call_id = field_of(output, "call_id") or field_of(output, "id")
    return tool_call_event(call_id, field_of(output, "name"), field_of(output, "arguments"))


def _terminal_events(response: Any, item: Any, calls: bool) -> list[Event]:
    """Usage and the finish (or the error) for a response's final status."""
    status = field_of(response, "status")
    if status == "failed":
        code = field_of(response, "error", "code")
        message = f"response.failed: {code}: {field_of(response, 'error', 'message')}"
        return [error_item_event(item, _error_kind(code), message)]
    events: list[Event] = []
    usage = _usage(field_of(response, "usage"))
    if usage is not None:
        events.append(usage)
    if status == "incomplete":
        reason = field_of(response, "incomplete_details", "reason")
        raw = str(reason) if reason is not None else "incomplete"
        events.append(FinishEvent(reason=INCOMPLETE_FINISH.get(raw), raw=raw))
    elif status == "completed":
        events.append(FinishEvent(reason="tool_calls" if calls else "stop", raw="completed"))
    return events


def _usage(usage: Any) -> UsageEvent | None:
    if usage is None:
        return None
    return UsageEvent(
        input=_int(field_of(usage, "input_tokens")),
        output=_int(field_of(usage, "output_tokens")),
        cache_read=_int(field_of(usage, "input_tokens_details", "cached_tokens")),
        cache_write=_int(field_of(usage, "input_tokens_details", "cache_write_tokens")),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_kind(code: Any) -> ErrorKind:
    if not isinstance(code, str):
        return "unknown"
    if code in RESPONSES_ERROR_KINDS:
        return RESPONSES_ERROR_KINDS[code]
    return "bad_request" if "image" in code else "unknown"
