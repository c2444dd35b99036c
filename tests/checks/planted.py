"""A small, correct OpenAI-chat client with switches that plant one known bug each.

The checks must report exactly the planted bug's code, and nothing on the correct client.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from harness.drivers.base import DriverContext
from harness.events import ErrorEvent, Event, FinishEvent, TextEvent, ToolCallEvent, UsageEvent
from harness.scenario import Scenario
from harness.sse import SSEDecoder


class PlantedError(Exception):
    """The planted client's typed error."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.status = kind, status


_KINDS = {429: "rate_limit", 401: "auth", 403: "auth", 404: "not_found", 400: "bad_request"}


def retry_after(headers: httpx.Headers, *, default: float) -> float:
    """Seconds to wait: retry-after-ms, retry-after in seconds, or as an HTTP date."""
    if "retry-after-ms" in headers:
        return float(headers["retry-after-ms"]) / 1000
    value = headers.get("retry-after")
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())


@dataclass
class Bugs:
    ignore_retry_after: bool = False
    leak_status_error: bool = False
    drop_last_fragment: bool = False
    accept_truncation: bool = False
    drop_fragment_on_split_args: bool = False
    """Drop the last tool-call fragment, but only when a read ended inside the JSON string of
    an ``"arguments"`` field: a chunking-dependent bug for the re-chunking checks."""


_INSIDE_ARGUMENTS = re.compile(rb'"arguments":"(?:[^"\\]|\\.)*\\?\Z')
"""The bytes of an unfinished event end inside its ``"arguments"`` string."""


class PlantedDriver:
    """A driver around the planted client; ``bugs`` chooses which bug to plant."""

    name: ClassVar[str] = "planted"
    dialect: ClassVar[str] = "openai-chat"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

    def __init__(self, bugs: Bugs | None = None) -> None:
        self.bugs = bugs or Bugs()

    def supports(self, scenario: Scenario) -> str | None:
        return None if scenario.request.stream else "the planted client only streams"

    def classify(self, exc: BaseException) -> ErrorEvent:
        if isinstance(exc, PlantedError):
            return ErrorEvent(
                error=exc.kind,  # type: ignore[arg-type]
                type="planted.PlantedError",
                message=str(exc),
                status=exc.status,
            )
        from harness.drivers.classify import classify

        return classify(exc)

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        req = ctx.scenario.request
        body = {
            "model": req.model,
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": m.role, "content": m.content} for m in req.messages],
        }
        async with httpx.AsyncClient(
            transport=ctx.transport("httpx"), base_url=ctx.base_url, timeout=30
        ) as http:
            for attempt in range(6):
                response = await http.send(
                    http.build_request("POST", "/v1/chat/completions", json=body), stream=True
                )
                if response.status_code < 400:
                    break
                await response.aread()
                retryable = response.status_code in (429, 500, 502, 503) and attempt < 5
                if not retryable:
                    if self.bugs.leak_status_error:
                        response.raise_for_status()
                    kind = _KINDS.get(response.status_code, "server")
                    raise PlantedError(kind, response.text, response.status_code)
                wait = retry_after(response.headers, default=0.5 * 2**attempt)
                await asyncio.sleep(0 if self.bugs.ignore_retry_after else wait)
            try:
                async for event in self._events(response):
                    yield event
            except httpx.TimeoutException as exc:
                raise PlantedError("timeout", str(exc)) from exc
            except httpx.TransportError as exc:
                raise PlantedError("protocol", str(exc)) from exc
            finally:
                await response.aclose()

    async def _events(self, response: httpx.Response) -> AsyncIterator[Event]:
        decoder = SSEDecoder()
        calls: dict[int, dict[str, Any]] = {}
        finish: str | None = None
        done = False
        pending = b""
        split_in_arguments = False
        async for chunk in response.aiter_raw():
            if self.bugs.drop_fragment_on_split_args:
                pending += chunk
                pending = pending[pending.rfind(b"data:") :] if b"data:" in pending else pending
                split_in_arguments |= _INSIDE_ARGUMENTS.search(pending) is not None
            for sse in decoder.feed(chunk):
                if sse.data == "[DONE]":
                    done = True
                    continue
                data = json.loads(sse.data)
                if "error" in data:
                    raise PlantedError("server", json.dumps(data["error"]))
                if data.get("usage"):
                    u = data["usage"]
                    yield UsageEvent(input=u["prompt_tokens"], output=u["completion_tokens"])
                for choice in data.get("choices", []):
                    delta = choice.get("delta", {})
                    if delta.get("content"):
                        yield TextEvent(text=delta["content"])
                    for tc in delta.get("tool_calls") or []:
                        call = calls.setdefault(tc["index"], {"args": []})
                        call.setdefault("id", tc.get("id"))
                        fn = tc.get("function", {})
                        call.setdefault("name", fn.get("name"))
                        if fn.get("arguments"):
                            call["args"].append(fn["arguments"])
                    finish = choice.get("finish_reason") or finish
        if not self.bugs.accept_truncation:
            if not done:
                raise PlantedError("protocol", "stream ended before [DONE]")
            if finish is None:
                raise PlantedError("protocol", "stream ended without a finish_reason")
        for _, call in sorted(calls.items()):
            drop = self.bugs.drop_last_fragment or split_in_arguments
            pieces = call["args"][:-1] if drop else call["args"]
            text = "".join(pieces)
            try:
                yield ToolCallEvent(id=call["id"], name=call["name"], arguments=json.loads(text))
            except ValueError:
                yield ToolCallEvent(id=call["id"], name=call["name"], raw=text)
        reason = finish if finish in ("stop", "length", "tool_calls", "content_filter") else None
        if reason is None and self.bugs.accept_truncation:
            reason = "stop"  # the planted bug: a cut stream looks like a normal stop
        yield FinishEvent(reason=reason, raw=finish)  # type: ignore[arg-type]
