"""Small, correct clients of the Gemini and Ollama wires, with one switch per realistic bug,
for the cases issue 24 names: a tool call (fragmented in the scenario, whole on these
wires), a 429 with the provider's retry hint, a mid-stream error, a clean truncation.

Both follow the SDKs' retry policy (2 retries of 408/409/429/5xx); Gemini's client waits
the ``retryDelay`` of the error body's ``google.rpc.RetryInfo`` (Google's retry hint; the
API sends no Retry-After), Ollama's the ``Retry-After`` header. Gemini's stream is SSE
(read with :mod:`tests.checks.planted_wire`'s correct line and event readers), Ollama's is
NDJSON: one JSON object per line, ``done: true`` last.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from harness.dialects.gemini import gemini_model
from harness.drivers.base import DriverContext
from harness.scenario.model import Scenario
from harness.vocab.events import Event, FinishEvent, TextEvent, ToolCallEvent, UsageEvent
from tests.checks.planted import PlantedClient, PlantedError, typed_stream
from tests.checks.planted_wire import KINDS, RETRYABLE, WireBugs, _Events, _Lines

__all__ = ["NativeBugs", "PlantedGeminiDriver", "PlantedOllamaDriver"]


@dataclass(frozen=True)
class NativeBugs:
    ignore_retry_hint: bool = False
    """Gemini: RetryInfo's retryDelay unread; Ollama: Retry-After unread (backoff only)."""
    calls_before_finish_only: bool = False
    """Gemini: function calls read from the chunks before the finishReason only (the
    finishing chunk read for its text and finish)."""
    calls_on_done_only: bool = False
    """Ollama: tool calls read from the done line only."""
    args_as_text: bool = False
    """The arguments object handed over as Python's text of it."""
    ignore_error_chunk: bool = False
    """An in-stream error object skipped as a chunk with nothing in it."""
    accept_truncation: bool = False
    """A stream that ends without its finish (Gemini) / done line (Ollama) read as stop."""


_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter"}


class _Native(PlantedClient):
    """The retry loop and event assembly both clients share."""

    name: ClassVar[str]
    dialect: ClassVar[str]

    def __init__(self, bugs: NativeBugs | None = None) -> None:
        self.bugs = bugs or NativeBugs()

    def supports(self, scenario: Scenario) -> str | None:
        return None if scenario.request.stream else "the planted client only streams"

    def url(self, ctx: DriverContext) -> str:
        raise NotImplementedError

    def body(self, ctx: DriverContext) -> dict[str, Any]:
        raise NotImplementedError

    def hint(self, response: httpx.Response) -> float | None:
        """Seconds the server asks to wait (None: it says nothing)."""
        raise NotImplementedError

    def events(self, response: httpx.Response) -> AsyncIterator[Event]:
        raise NotImplementedError

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        async with httpx.AsyncClient(transport=ctx.transport("httpx"), timeout=30) as http:
            for attempt in range(3):
                request = http.build_request("POST", self.url(ctx), json=self.body(ctx))
                try:
                    response = await http.send(request, stream=True)
                except httpx.TransportError as exc:
                    if attempt == 2:
                        raise PlantedError("protocol", str(exc)) from exc
                    await asyncio.sleep(0.5 * 2**attempt)
                    continue
                if response.status_code < 400:
                    break
                await response.aread()
                status = response.status_code
                if status not in RETRYABLE or attempt == 2:
                    raise PlantedError(KINDS.get(status, "server"), response.text, status)
                hint = None if self.bugs.ignore_retry_hint else self.hint(response)
                await asyncio.sleep(0.5 * 2**attempt if hint is None else hint)
            async with aclosing(typed_stream(self.events(response), response, "chunk")) as events:
                async for event in events:
                    yield event

    def call(self, call_id: Any, name: str, args: Any) -> ToolCallEvent:
        if self.bugs.args_as_text:  # planted: the object's Python text, not JSON
            return ToolCallEvent(id=call_id, name=name, raw=str(args))
        return ToolCallEvent(id=call_id, name=name, arguments=args)


class PlantedGeminiDriver(_Native):
    """``streamGenerateContent?alt=sse``, read chunk by chunk."""

    name: ClassVar[str] = "planted-gemini"
    dialect: ClassVar[str] = "gemini"

    def url(self, ctx: DriverContext) -> str:
        model = gemini_model(ctx.scenario.request.model)
        return f"{ctx.base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse"

    def body(self, ctx: DriverContext) -> dict[str, Any]:
        messages = ctx.scenario.request.messages
        return {"contents": [{"role": "user", "parts": [{"text": m.content}]} for m in messages]}

    def hint(self, response: httpx.Response) -> float | None:
        try:
            details = response.json()["error"].get("details") or []
        except (ValueError, KeyError, AttributeError):
            return None
        for detail in details:
            if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
                match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(detail.get("retryDelay")))
                return float(match.group(1)) if match else None
        return None

    async def events(self, response: httpx.Response) -> AsyncIterator[Event]:
        lines, parser = _Lines(WireBugs()), _Events(WireBugs())
        state: dict[str, Any] = {"finish": None, "usage": None}
        async for chunk in response.aiter_raw():
            for line in lines.feed(chunk):
                for _, data in parser.line(line):
                    for event in self._chunk(json.loads(data), state):
                        yield event
        for line in [*lines.close(), ""]:
            for _, data in parser.line(line):
                for event in self._chunk(json.loads(data), state):
                    yield event
        if state["finish"] is None:
            if not self.bugs.accept_truncation:
                raise PlantedError("protocol", "the stream ended without a finishReason")
            state["finish"] = "STOP"  # planted: a cut stream looks like a normal end
        if state["usage"] is not None:
            yield state["usage"]
        raw = state["finish"]
        reason = _FINISH.get(raw)
        yield FinishEvent(
            reason="tool_calls" if reason == "stop" and state.get("calls") else reason, raw=raw
        )

    def _chunk(self, payload: dict[str, Any], state: dict[str, Any]) -> list[Event]:
        if "error" in payload:
            if self.bugs.ignore_error_chunk:
                return []  # planted: an error chunk read as an empty one
            error = payload["error"]
            raise PlantedError(KINDS.get(error.get("code"), "server"), json.dumps(error))
        candidate = (payload.get("candidates") or [{}])[0]
        finish = candidate.get("finishReason")
        out: list[Event] = []
        parts = (candidate.get("content") or {}).get("parts") or []
        for part in parts:
            if "functionCall" in part and finish and self.bugs.calls_before_finish_only:
                continue  # planted: the finishing chunk's calls are not read
            if "functionCall" in part:
                call = part["functionCall"]
                state["calls"] = True
                out.append(self.call(call.get("id"), call["name"], call.get("args") or {}))
            elif part.get("text"):
                out.append(TextEvent(text=part["text"]))
        usage = payload.get("usageMetadata")
        if usage:
            given, produced = usage["promptTokenCount"], usage.get("candidatesTokenCount", 0)
            state["usage"] = UsageEvent(input=given, output=produced)
        state["finish"] = finish or state["finish"]
        return out


class PlantedOllamaDriver(_Native):
    """``POST /api/chat`` with ``stream: true``, read line by line."""

    name: ClassVar[str] = "planted-ollama"
    dialect: ClassVar[str] = "ollama"

    def url(self, ctx: DriverContext) -> str:
        return f"{ctx.base_url}/api/chat"

    def body(self, ctx: DriverContext) -> dict[str, Any]:
        request = ctx.scenario.request
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        return {"model": request.model, "messages": messages, "stream": True}

    def hint(self, response: httpx.Response) -> float | None:
        try:
            return max(0.0, float(response.headers.get("retry-after", "")))
        except ValueError:
            return None

    async def events(self, response: httpx.Response) -> AsyncIterator[Event]:
        state: dict[str, Any] = {"done": None, "calls": False}
        buffer = b""
        async for chunk in response.aiter_raw():
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                for event in self._line(line, state):
                    yield event
        for event in self._line(buffer, state):
            yield event
        done = state["done"]
        if done is None:
            if not self.bugs.accept_truncation:
                raise PlantedError("protocol", "the stream ended without its done line")
            done = {"done_reason": "stop"}  # planted: a cut stream looks like a normal end
        if "prompt_eval_count" in done:
            yield UsageEvent(input=done["prompt_eval_count"], output=done["eval_count"])
        raw = done.get("done_reason", "stop")
        reason = "tool_calls" if raw == "stop" and state["calls"] else raw
        yield FinishEvent(reason=reason, raw=raw)

    def _line(self, line: bytes, state: dict[str, Any]) -> list[Event]:
        if not line.strip():
            return []
        payload = json.loads(line)
        if "error" in payload:
            if self.bugs.ignore_error_chunk:
                return []  # planted: an error line read as an empty one
            raise PlantedError("server", str(payload["error"]))
        message = payload.get("message") or {}
        out: list[Event] = []
        if message.get("content"):
            out.append(TextEvent(text=message["content"]))
        done = payload.get("done") is True
        if done or not self.bugs.calls_on_done_only:  # planted: calls read when done only
            for call in message.get("tool_calls") or []:
                state["calls"] = True
                function = call["function"]
                out.append(self.call(call.get("id"), function["name"], function["arguments"]))
        if done:
            state["done"] = payload
        return out
