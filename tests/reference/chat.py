"""A reference OpenAI chat-completions streaming adapter, from the API reference
("Create chat completion", "The chat completion chunk object"): ``choices[].delta`` carries
``content`` and ``tool_calls`` fragments keyed by ``index`` (id and name in the first
fragment, ``arguments`` text in pieces); ``finish_reason`` arrives on the last choice
chunk; with ``stream_options.include_usage`` a last chunk has ``usage`` and no choices; the
stream ends with ``data: [DONE]``. An ``error`` object in a chunk is a failure. Each choice
has an ``index`` (several with ``n``; this adapter reads choice 0); ``delta.refusal`` pieces
are the model declining; the deprecated ``delta.function_call`` (name, then ``arguments``
pieces, no id) is the one call of the pre-tools API, ending with ``function_call``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from harness.drivers.base import DriverContext
from harness.drivers.contract import Features
from harness.plugin.declare import conformance, openai_messages, openai_tools
from harness.scenario.model import Request
from harness.vocab.events import (
    Event,
    FinishEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.reference._client import (
    BrokenStream,
    Bugs,
    ServerFailed,
    contract_for,
    parse,
    send,
    sse_events,
)

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls",
          "content_filter": "content_filter", "function_call": "tool_calls"}  # fmt: skip
CONTRACT = contract_for(__name__).model_copy(
    update={"features": Features(non_streaming=False, reasoning=False)}
)  # the chat API documents no reasoning output


async def chat(request: Request, ctx: DriverContext, bugs: Bugs) -> AsyncIterator[Event]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": openai_messages(request),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        body["tools"] = openai_tools(request)
    if request.max_tokens:
        body["max_tokens"] = request.max_tokens
    async with httpx.AsyncClient(base_url=ctx.base_url + "/v1", timeout=30) as http:
        response = await send(http, "/chat/completions", body, bugs, ctx.clock)
        # calls by (wire index, generation): some OpenAI-compatible servers send every
        # parallel call at index 0, and only a new id tells the calls apart
        calls: dict[tuple[int, int], dict[str, Any]] = {}
        generation: dict[int, int] = {}
        finish: str | None = None
        done = False
        usage: dict[str, Any] | None = None
        async for sse in sse_events(response, bugs):
            if sse.data == "[DONE]":
                done = True
                break
            chunk = parse(sse.data)
            if "error" in chunk:
                raise ServerFailed(json.dumps(chunk["error"]))
            if chunk.get("usage"):
                usage = chunk["usage"]  # a later count supersedes an earlier partial one
            for choice in chunk.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue  # another choice of a request with n > 1
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    yield TextEvent(text=delta["content"])
                if delta.get("refusal"):
                    yield RefusalEvent(text=delta["refusal"])
                legacy = delta.get("function_call")
                if legacy:  # the pre-tools call: one call, no id, keyed apart from tools
                    call = calls.setdefault((-1, 0), {"pieces": []})
                    if legacy.get("name"):
                        call["name"] = legacy["name"]
                    if legacy.get("arguments"):
                        call["pieces"].append(legacy["arguments"])
                for part in delta.get("tool_calls") or []:
                    index = part["index"]
                    key = (index, generation.get(index, 0))
                    known = calls.get(key, {}).get("id")
                    if part.get("id") and known and part["id"] != known:
                        generation[index] = key[1] + 1  # a new id at this index: a new call
                        key = (index, key[1] + 1)
                    call = calls.setdefault(key, {"pieces": []})
                    if part.get("id"):
                        call["id"] = part["id"]
                    fn = part.get("function") or {}
                    if fn.get("name"):
                        call["name"] = fn["name"]
                    if fn.get("arguments"):
                        call["pieces"].append(fn["arguments"])
                finish = choice.get("finish_reason") or finish
        if not bugs.accept_truncation:
            if not done:
                raise BrokenStream("the stream ended before data: [DONE]")
            if finish is None:
                raise BrokenStream("the stream ended without a finish_reason")
        if usage:
            pair = (usage.get("prompt_tokens"), usage.get("completion_tokens"))
            i, o = pair[::-1] if bugs.usage_swapped else pair
            for _ in range(2 if bugs.usage_twice else 1):
                yield UsageEvent(input=i, output=o)
        for n, (_, call) in enumerate(sorted(calls.items())):
            if bugs.drop_second_call and n == 1:
                continue
            pieces = call["pieces"][:-1] if bugs.drop_last_fragment else call["pieces"]
            yield tool_call(call.get("id"), call.get("name", ""), "".join(pieces))
        yield FinishEvent(reason=FINISH.get(finish or "", "stop"), raw=finish)  # type: ignore[arg-type]


def tool_call(call_id: str | None, name: str, text: str) -> ToolCallEvent:
    try:
        return ToolCallEvent(id=call_id, name=name, arguments=json.loads(text or "{}"))
    except ValueError:
        return ToolCallEvent(id=call_id, name=name, raw=text)


def declare(bugs: Bugs | None = None, name: str = "reference-chat") -> Any:
    """The adapter as a conformance suite (``bugs`` plants defects)."""
    planted = bugs or Bugs()

    def adapter(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        return chat(request, ctx, planted)

    return conformance("openai-chat", name=name, contract=CONTRACT)(adapter)
