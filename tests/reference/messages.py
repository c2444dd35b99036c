"""A reference Anthropic Messages streaming adapter, from the API reference ("Streaming
Messages"): ``message_start`` (usage.input_tokens), ``content_block_start`` /
``content_block_delta`` (``text_delta``, ``thinking_delta``, ``input_json_delta`` pieces of a
``tool_use`` block's input) / ``content_block_stop``, ``message_delta`` (``stop_reason``,
``usage.output_tokens``), ``message_stop``; ``ping`` is ignored; an ``error`` event
(``overloaded_error``...) is a failure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from harness.drivers.anthropic_sdk import anthropic_kwargs
from harness.drivers.base import DriverContext
from harness.drivers.contract import Features
from harness.plugin.declare import conformance
from harness.scenario.model import Request
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent
from tests.reference._client import (
    BrokenStream,
    Bugs,
    ReferenceError,
    Rejected,
    ServerFailed,
    Throttled,
    Unauthorized,
    contract_for,
    parse,
    send,
    sse_events,
)
from tests.reference.chat import tool_call

CONTRACT = contract_for(__name__).model_copy(update={"features": Features(non_streaming=False)})
STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
        "tool_use": "tool_calls", "refusal": "content_filter", "pause_turn": "paused"}  # fmt: skip
ERRORS: dict[str, type[ReferenceError]] = {
    "rate_limit_error": Throttled,
    "authentication_error": Unauthorized,
    "permission_error": Unauthorized,
    "invalid_request_error": Rejected,
}


async def messages(request: Request, ctx: DriverContext, bugs: Bugs) -> AsyncIterator[Event]:
    body = {**anthropic_kwargs(request), "stream": True}
    body = json.loads(json.dumps(body, default=str))
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=30) as http:
        response = await send(http, "/v1/messages", body, bugs, ctx.clock)
        blocks: dict[int, dict[str, Any]] = {}
        calls: list[tuple[str | None, str, str]] = []
        usage: dict[str, int | None] = {"input": None, "output": None}
        stop: str | None = None
        async for sse in sse_events(response, bugs):
            event = parse(sse.data)
            kind = event.get("type")
            if kind == "message_start":
                usage["input"] = ((event.get("message") or {}).get("usage") or {}).get(
                    "input_tokens"
                )
            elif kind == "content_block_start":
                blocks[event["index"]] = {**event.get("content_block", {}), "pieces": []}
            elif kind == "content_block_delta":
                delta = event.get("delta") or {}
                if delta.get("type") == "text_delta" and delta.get("text"):
                    yield TextEvent(text=delta["text"])
                elif delta.get("type") == "thinking_delta" and delta.get("thinking"):
                    yield ReasoningEvent(text=delta["thinking"])
                elif delta.get("type") == "input_json_delta":
                    blocks[event["index"]]["pieces"].append(delta.get("partial_json", ""))
            elif kind == "content_block_stop":
                block = blocks.get(event["index"], {})
                if block.get("type") == "tool_use":
                    pieces = block["pieces"]
                    if bugs.drop_last_fragment and len(pieces) > 1:
                        pieces = pieces[:-1]
                    calls.append((block.get("id"), block.get("name", ""), "".join(pieces)))
            elif kind == "message_delta":
                stop = (event.get("delta") or {}).get("stop_reason") or stop
                out = (event.get("usage") or {}).get("output_tokens")
                usage["output"] = out if out is not None else usage["output"]
            elif kind == "error":
                error = event.get("error") or {}
                raise ERRORS.get(error.get("type", ""), ServerFailed)(json.dumps(error))
            elif kind == "message_stop":
                break
        else:
            if not bugs.accept_truncation:
                raise BrokenStream("the stream ended before message_stop")
        if stop is None and not bugs.accept_truncation:
            raise BrokenStream("the message ended without a stop_reason")
        for n, call in enumerate(calls):
            if not (bugs.drop_second_call and n == 1):
                yield tool_call(*call)
        if usage["input"] is not None or usage["output"] is not None:
            i, o = usage["input"], usage["output"]
            i, o = (o, i) if bugs.usage_swapped else (i, o)
            for _ in range(2 if bugs.usage_twice else 1):
                yield UsageEvent(input=i, output=o)
        yield FinishEvent(reason=STOP.get(stop or "", "stop"), raw=stop)  # type: ignore[arg-type]


def declare(bugs: Bugs | None = None, name: str = "reference-messages") -> Any:
    planted = bugs or Bugs()

    def adapter(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        return messages(request, ctx, planted)

    return conformance("anthropic-messages", name=name, contract=CONTRACT)(adapter)
