"""A reference Amazon Bedrock ConverseStream adapter, from the API reference
("ConverseStream", "ConverseStreamOutput") and the AWS event-stream encoding: every message
is a frame (12-byte prelude: total length, headers length, prelude CRC32; headers; payload;
message CRC32) whose ``:message-type`` is ``event`` (``:event-type`` ``messageStart``,
``contentBlockStart`` / ``contentBlockDelta`` / ``contentBlockStop``, ``messageStop`` with
``stopReason``, ``metadata`` with ``usage``) or ``exception`` (``:exception-type``, a
failure). A stream is complete only at ``messageStop``; a frame whose CRC does not match is
a broken stream. Its frame reader is its own (``struct`` and ``zlib``), not harness's.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from harness.drivers.base import DriverContext
from harness.drivers.bedrock_boto3 import converse_kwargs
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
    TimedOut,
    contract_for,
    send,
)
from tests.reference.chat import tool_call

CONTRACT = contract_for(__name__).model_copy(update={"features": Features(non_streaming=False)})
STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
        "tool_use": "tool_calls", "content_filtered": "content_filter",
        "guardrail_intervened": "content_filter"}  # fmt: skip
EXCEPTIONS: dict[str, type[ReferenceError]] = {
    "throttlingException": Throttled,
    "validationException": Rejected,
    "modelTimeoutException": TimedOut,
}


def _headers(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    at = 0
    while at < len(raw):
        size = raw[at]
        name = raw[at + 1 : at + 1 + size].decode()
        at += 1 + size
        if raw[at] != 7:  # Bedrock sends string headers only
            raise BrokenStream(f"header {name!r} of type {raw[at]}")
        (length,) = struct.unpack_from(">H", raw, at + 1)
        out[name] = raw[at + 3 : at + 3 + length].decode()
        at += 3 + length
    return out


async def frames(response: httpx.Response) -> AsyncIterator[tuple[dict[str, str], bytes]]:
    """Each frame's headers and payload, CRCs checked; cuts anywhere are fine."""
    buffer = b""
    try:
        async for chunk in response.aiter_raw():
            buffer += chunk
            while len(buffer) >= 12:
                total, length, crc = struct.unpack_from(">III", buffer)
                if zlib.crc32(buffer[:8]) != crc:
                    raise BrokenStream("event-stream prelude CRC mismatch")
                if len(buffer) < total:
                    break
                frame, buffer = buffer[:total], buffer[total:]
                if zlib.crc32(frame[:-4]) != struct.unpack_from(">I", frame, total - 4)[0]:
                    raise BrokenStream("event-stream message CRC mismatch")
                yield _headers(frame[12 : 12 + length]), frame[12 + length : -4]
    except httpx.TimeoutException as exc:
        raise TimedOut(str(exc)) from exc
    except httpx.TransportError as exc:
        raise BrokenStream(str(exc)) from exc
    finally:
        await response.aclose()
    if buffer:
        raise BrokenStream("the body ends inside an event-stream frame")


async def converse(request: Request, ctx: DriverContext, bugs: Bugs) -> AsyncIterator[Event]:
    kwargs = converse_kwargs(request)
    body = {k: v for k, v in kwargs.items() if k != "modelId"}
    path = f"/model/{request.model}/converse-stream"
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=30) as http:
        response = await send(http, path, body, bugs, ctx.clock)
        calls: dict[Any, dict[str, Any]] = {}
        done: list[tuple[str | None, str, str]] = []
        usage: dict[str, Any] = {}
        stop: str | None = None
        async for headers, payload in frames(response):
            data = json.loads(payload) if payload else {}
            if headers.get(":message-type") == "exception":
                if bugs.swallow_stream_error:  # the reply so far, as if it were whole
                    stop = "end_turn"
                    break
                kind = headers.get(":exception-type", "")
                raise EXCEPTIONS.get(kind, ServerFailed)(f"{kind}: {data.get('message')}")
            kind = headers.get(":event-type")
            index = data.get("contentBlockIndex")
            if kind == "contentBlockStart" and "toolUse" in (data.get("start") or {}):
                tool = data["start"]["toolUse"]
                calls[index] = {"id": tool.get("toolUseId"), "name": tool.get("name"), "pieces": []}
            elif kind == "contentBlockDelta":
                delta = data.get("delta") or {}
                if delta.get("text"):
                    yield TextEvent(text=delta["text"])
                elif (delta.get("reasoningContent") or {}).get("text"):
                    yield ReasoningEvent(text=delta["reasoningContent"]["text"])
                elif "toolUse" in delta and index in calls:
                    calls[index]["pieces"].append(delta["toolUse"].get("input") or "")
            elif kind == "contentBlockStop" and index in calls:
                call = calls.pop(index)
                pieces = call["pieces"]
                if bugs.drop_last_fragment and len(pieces) > 1:
                    pieces = pieces[:-1]
                done.append((call["id"], call["name"], "".join(pieces)))
            elif kind == "messageStop":
                stop = data.get("stopReason")
            elif kind == "metadata":
                usage = data.get("usage") or {}
        if stop is None and not bugs.accept_truncation:
            raise BrokenStream("the stream ended before messageStop")
        for n, call in enumerate(done):
            if not (bugs.drop_second_call and n == 1):
                yield tool_call(*call)
        if usage:
            i, o = usage.get("inputTokens"), usage.get("outputTokens")
            i, o = (o, i) if bugs.usage_swapped else (i, o)
            yield UsageEvent(input=i, output=o)
        yield FinishEvent(reason=STOP.get(stop or "", "stop"), raw=stop)  # type: ignore[arg-type]


def declare(bugs: Bugs | None = None, name: str = "reference-converse") -> Any:
    planted = bugs or Bugs()

    def adapter(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        return converse(request, ctx, planted)

    return conformance("bedrock-converse", name=name, contract=CONTRACT)(adapter)
