"""A reference Cohere v2 chat streaming adapter, from the API reference ("Chat", streaming:
``message-start``, ``content-start`` / ``content-delta`` / ``content-end``,
``tool-call-start`` (id, name) / ``tool-call-delta`` (``arguments`` pieces) /
``tool-call-end``, ``message-end`` with ``delta.finish_reason`` and ``delta.usage``). A
stream is complete only at ``message-end``; ``finish_reason: ERROR`` is a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from harness.drivers.base import DriverContext
from harness.drivers.cohere_sdk import cohere_kwargs
from harness.drivers.contract import Features
from harness.plugin.declare import conformance
from harness.scenario.model import Request
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent
from tests.reference._client import (
    BrokenStream,
    Bugs,
    ServerFailed,
    contract_for,
    parse,
    send,
    sse_events,
)
from tests.reference.chat import tool_call

CONTRACT = contract_for(__name__).model_copy(update={"features": Features(non_streaming=False)})
FINISH = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length",
          "TOOL_CALL": "tool_calls"}  # fmt: skip


async def chat(request: Request, ctx: DriverContext, bugs: Bugs) -> AsyncIterator[Event]:
    body = {**cohere_kwargs(request), "stream": True}
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=30) as http:
        response = await send(http, "/v2/chat", body, bugs, ctx.clock)
        calls: dict[Any, dict[str, Any]] = {}
        done: list[tuple[str | None, str, str]] = []
        end: dict[str, Any] | None = None
        async for sse in sse_events(response, bugs):
            event = parse(sse.data)
            kind = event.get("type")
            index = event.get("index")
            message = (event.get("delta") or {}).get("message") or {}
            if kind == "content-delta":
                content = message.get("content") or {}
                if content.get("text"):
                    yield TextEvent(text=content["text"])
                elif content.get("thinking"):
                    yield ReasoningEvent(text=content["thinking"])
            elif kind == "tool-call-start":
                call = message.get("tool_calls") or {}
                function = call.get("function") or {}
                calls[index] = {"id": call.get("id"), "name": function.get("name", ""),
                                "pieces": [function.get("arguments") or ""]}  # fmt: skip
            elif kind == "tool-call-delta" and index in calls:
                function = (message.get("tool_calls") or {}).get("function") or {}
                calls[index]["pieces"].append(function.get("arguments") or "")
            elif kind == "tool-call-end" and index in calls:
                call = calls.pop(index)
                pieces = [p for p in call["pieces"] if p]
                if bugs.drop_last_fragment and len(pieces) > 1:
                    pieces = pieces[:-1]
                done.append((call["id"], call["name"], "".join(pieces)))
            elif kind == "message-end":
                end = event.get("delta") or {}
                break
        if end is None:
            if not bugs.accept_truncation:
                raise BrokenStream("the stream ended before message-end")
            end = {"finish_reason": "COMPLETE"}
        reason = end.get("finish_reason")
        if reason == "ERROR" and not bugs.swallow_stream_error:
            raise ServerFailed(str(end.get("error")))
        for n, call in enumerate(done):
            if not (bugs.drop_second_call and n == 1):
                yield tool_call(*call)
        tokens = (end.get("usage") or {}).get("tokens") or {}
        if tokens:
            i, o = tokens.get("input_tokens"), tokens.get("output_tokens")
            i, o = (o, i) if bugs.usage_swapped else (i, o)
            yield UsageEvent(input=i, output=o)
        raw = "COMPLETE" if reason == "ERROR" else reason
        yield FinishEvent(reason=FINISH.get(raw or "", "stop"), raw=raw)  # type: ignore[arg-type]


def declare(bugs: Bugs | None = None, name: str = "reference-cohere") -> Any:
    planted = bugs or Bugs()

    def adapter(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        return chat(request, ctx, planted)

    return conformance("cohere-v2", name=name, contract=CONTRACT)(adapter)
