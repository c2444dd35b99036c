"""A reference OpenAI Responses streaming adapter, from the API reference ("Streaming
events"): text in ``response.output_text.delta``, reasoning summaries in
``response.reasoning_summary_text.delta``, a function call complete in
``response.output_item.done`` (``call_id``, ``name``, ``arguments``); the stream ends with
``response.completed``, ``response.incomplete`` (``incomplete_details.reason``) or
``response.failed`` (``error.code``), whose ``response.usage`` has the token counts. An
``error`` event is a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from harness.drivers.base import DriverContext
from harness.drivers.contract import Features
from harness.drivers.openai_sdk_responses import responses_input, responses_tools
from harness.plugin.declare import conformance
from harness.scenario.model import Request
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent
from tests.reference._client import (
    BrokenStream,
    Bugs,
    ContextTooLong,
    ReferenceError,
    Rejected,
    ServerFailed,
    Throttled,
    TimedOut,
    Unauthorized,
    contract_for,
    parse,
    send,
    sse_events,
)
from tests.reference.chat import tool_call

CONTRACT = contract_for(__name__).model_copy(update={"features": Features(non_streaming=False)})
INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
FAILED: dict[str, type[ReferenceError]] = {
    "rate_limit_exceeded": Throttled,
    "insufficient_quota": Throttled,
    "context_length_exceeded": ContextTooLong,
    "invalid_prompt": Rejected,
    "invalid_api_key": Unauthorized,
    "vector_store_timeout": TimedOut,
}


def failure(error: Any) -> ReferenceError:
    """The typed error for a failed response or an error event."""
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or error.get("type") or "")
    return FAILED.get(code, ServerFailed)(f"{code}: {error.get('message', '')}")


async def responses(request: Request, ctx: DriverContext, bugs: Bugs) -> AsyncIterator[Event]:
    body: dict[str, Any] = {"model": request.model, "input": responses_input(request)}
    body["stream"] = True
    if request.tools:
        body["tools"] = responses_tools(request)
    if request.max_tokens:
        body["max_output_tokens"] = request.max_tokens
    async with httpx.AsyncClient(base_url=ctx.base_url + "/v1", timeout=30) as http:
        response = await send(http, "/responses", body, bugs, ctx.clock)
        calls: list[tuple[str | None, str, str]] = []
        async for sse in sse_events(response, bugs):
            event = parse(sse.data)
            kind = event.get("type")
            if kind == "response.output_text.delta" and event.get("delta"):
                yield TextEvent(text=event["delta"])
            elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
                if event.get("delta"):
                    yield ReasoningEvent(text=event["delta"])
            elif kind == "response.output_item.done":
                item = event.get("item") or {}
                if item.get("type") == "function_call":
                    args = item.get("arguments") or ""
                    if bugs.drop_last_fragment and args:
                        args = args[:-1]
                    calls.append((item.get("call_id"), item.get("name", ""), args))
            elif kind == "error":
                raise failure(event.get("error", event))
            elif kind in ("response.completed", "response.incomplete", "response.failed"):
                result = event.get("response") or {}
                if kind == "response.failed":
                    raise failure(result.get("error"))
                for n, call in enumerate(calls):
                    if not (bugs.drop_second_call and n == 1):
                        yield tool_call(*call)
                usage = result.get("usage")
                if usage:
                    pair = (usage.get("input_tokens"), usage.get("output_tokens"))
                    i, o = pair[::-1] if bugs.usage_swapped else pair
                    for _ in range(2 if bugs.usage_twice else 1):
                        yield UsageEvent(input=i, output=o)
                if kind == "response.incomplete":
                    reason = (result.get("incomplete_details") or {}).get("reason", "")
                    yield FinishEvent(reason=INCOMPLETE.get(reason, "length"), raw=reason)  # type: ignore[arg-type]
                else:
                    yield FinishEvent(reason="tool_calls" if calls else "stop", raw="completed")
                return
        if bugs.accept_truncation:
            for call in calls:
                yield tool_call(*call)
            yield FinishEvent(reason="stop", raw=None)
            return
        raise BrokenStream("the stream ended without response.completed")


def declare(bugs: Bugs | None = None, name: str = "reference-responses") -> Any:
    planted = bugs or Bugs()

    def adapter(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        return responses(request, ctx, planted)

    return conformance("openai-responses", name=name, contract=CONTRACT)(adapter)
