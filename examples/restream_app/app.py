"""A small FastAPI service that re-streams a model's reply to its own clients: it consumes an
OpenAI-compatible Responses stream with ``llama-stack-client`` and re-emits it as
server-sent events of its own, the shape many chat backends give their front ends.

``POST /chat`` takes ``{"model", "messages": [{"role", "content", "tool_call_id"?,
"tool_calls"?}], "tools": [{"name", "description", "parameters"}]}`` and answers
``text/event-stream``::

    event: start          data: {"model": "..."}
    event: token          data: {"text": "..."}                     (any number)
    event: tool_call      data: {"id", "name", "arguments"}         (one per complete call)
    event: turn_complete  data: {"finish": "stop" | "tool_calls" | "length" | "content_filter",
                                 "usage": {"input_tokens", "output_tokens"} | null}
    event: error          data: {"code", "message", "status"}       (instead of turn_complete)
    event: end            data: {}                                  (always last)

An upstream ``response.failed`` or in-stream ``error`` event becomes an ``error`` event with
the provider's code; an upstream HTTP error carries its ``status``; the app's own codes
(``upstream_timeout``, ``upstream_unreachable``, ``upstream_disconnected``,
``upstream_invalid_event``, ``upstream_truncated``) name failures of the upstream stream.
The upstream client is built once, in the app's lifespan.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import llama_stack_client
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from llama_stack_client import AsyncLlamaStackClient
from pydantic import BaseModel, Field

__all__ = ["ChatMessage", "ChatRequest", "ToolSpec", "create_app"]

INCOMPLETE_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}


class ToolCallSpec(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ChatMessage(BaseModel):
    role: str
    content: str = ""
    tool_call_id: str | None = None
    tool_calls: list[ToolCallSpec] = Field(default_factory=list)


class ToolSpec(BaseModel):
    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class ChatRequest(BaseModel):
    model: str
    messages: list[ChatMessage]
    tools: list[ToolSpec] = Field(default_factory=list)


def create_app(upstream_base_url: str, api_key: str, *, max_retries: int | None = None) -> FastAPI:
    """The service, talking to a Responses server at ``upstream_base_url``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        options: dict[str, Any] = {} if max_retries is None else {"max_retries": max_retries}
        upstream = AsyncLlamaStackClient(base_url=upstream_base_url, api_key=api_key, **options)
        try:
            yield {"upstream": upstream}
        finally:
            await upstream.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/chat")
    async def chat(body: ChatRequest, request: Request) -> StreamingResponse:
        return StreamingResponse(
            _restream(request.state.upstream, body),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )

    return app


def _sse(event: str, data: Mapping[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _error(code: str, message: str, status: int | None = None) -> str:
    return _sse("error", {"code": code, "message": message, "status": status})


async def _restream(upstream: AsyncLlamaStackClient, body: ChatRequest) -> AsyncIterator[str]:
    yield _sse("start", {"model": body.model})
    try:
        async for event in _relay(upstream, body):
            yield event
    except llama_stack_client.APIStatusError as exc:
        code = _field(exc.body, "error", "code") or f"http_{exc.status_code}"
        yield _error(str(code), exc.message, exc.status_code)
    except llama_stack_client.APITimeoutError as exc:
        yield _error("upstream_timeout", str(exc))
    except llama_stack_client.APIConnectionError as exc:
        yield _error("upstream_unreachable", str(exc))
    except httpx.TimeoutException as exc:  # mid-stream the client lets httpx's errors through
        yield _error("upstream_timeout", f"the upstream stream stalled: {exc}")
    except httpx.TransportError as exc:
        yield _error("upstream_disconnected", f"the upstream stream broke: {exc}")
    except ValueError as exc:  # an event whose data is not JSON
        yield _error("upstream_invalid_event", f"the upstream sent an invalid event: {exc}")
    yield _sse("end", {})


async def _relay(upstream: AsyncLlamaStackClient, body: ChatRequest) -> AsyncIterator[str]:
    """The downstream events for the upstream stream, up to and including its outcome."""
    tools: Any = [_tool(t) for t in body.tools] or llama_stack_client.NOT_GIVEN
    stream = await upstream.responses.create(
        model=body.model, input=_input(body.messages), tools=tools, stream=True
    )
    calls = 0
    async with stream:
        async for event in stream:
            kind = _field(event, "type")
            if kind == "response.output_text.delta":
                yield _sse("token", {"text": _field(event, "delta") or ""})
            elif kind == "response.output_item.done":
                item = _field(event, "item")
                if _field(item, "type") == "function_call":
                    calls += 1
                    yield _sse("tool_call", _call(item))
            elif kind in ("response.completed", "response.incomplete"):
                response = _field(event, "response")
                reason = _field(response, "incomplete_details", "reason")
                finish = "tool_calls" if calls else "stop"
                if kind == "response.incomplete":
                    finish = INCOMPLETE_FINISH.get(str(reason), "length")
                yield _sse("turn_complete", {"finish": finish, "usage": _usage(response)})
                return
            elif kind == "response.failed":
                error = _field(event, "response", "error")
                code = _field(error, "code") or "upstream_failed"
                yield _error(str(code), str(_field(error, "message") or "the response failed"))
                return
            elif kind == "error":
                code = _field(event, "code") or "upstream_error"
                yield _error(str(code), str(_field(event, "message") or ""))
                return
    yield _error("upstream_truncated", "the upstream stream ended before the response did")


def _field(obj: Any, *path: str) -> Any:
    """``obj.a.b`` or ``obj["a"]["b"]``: llama-stack-client 0.2.12 has no types for some
    stream events and keeps their fields as plain dicts."""
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return obj


def _call(item: Any) -> dict[str, Any]:
    text = _field(item, "arguments") or ""
    try:
        arguments: Any = json.loads(text)
    except ValueError:
        arguments = text  # passed on as the text it is; the client decides
    call_id = _field(item, "call_id") or _field(item, "id")
    return {"id": call_id, "name": _field(item, "name"), "arguments": arguments}


def _usage(response: Any) -> dict[str, int] | None:
    usage = _field(response, "usage")
    if usage is None:
        return None
    return {
        "input_tokens": _field(usage, "input_tokens"),
        "output_tokens": _field(usage, "output_tokens"),
    }


def _tool(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }


def _input(messages: list[ChatMessage]) -> list[Any]:
    """The conversation as Responses input items."""
    items: list[Any] = []
    for message in messages:
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
        for call in message.tool_calls:
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": json.dumps(call.arguments),
                }
            )
    return items
