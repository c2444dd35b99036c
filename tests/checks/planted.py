"""A small, correct OpenAI-chat client with switches that plant one known bug each.

The checks must report exactly the planted bug's code, and nothing on the correct client.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from harness.dialects.sse import SSEDecoder
from harness.drivers.base import DriverContext
from harness.drivers.contract import Contract, RetryRules
from harness.scenario.model import Scenario
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)


class PlantedError(Exception):
    """The planted client's typed error."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.status = kind, status


async def typed_stream(
    events: AsyncIterator[Event], response: httpx.Response, bad: str | None = None
) -> AsyncIterator[Event]:
    """``events`` read from ``response``, which is closed after: a timeout or transport
    failure is raised as a typed :class:`PlantedError`, and so is a ``ValueError`` from
    decoding when ``bad`` names what was bad (``"chunk"``: ``bad chunk: ...``)."""
    try:
        async for event in events:
            yield event
    except httpx.TimeoutException as exc:
        raise PlantedError("timeout", str(exc)) from exc
    except httpx.TransportError as exc:
        raise PlantedError("protocol", str(exc)) from exc
    except ValueError as exc:
        if bad is None:
            raise
        raise PlantedError("protocol", f"bad {bad}: {exc}") from exc
    finally:
        await response.aclose()


_KINDS = {
    429: "rate_limit",
    401: "auth",
    403: "auth",
    404: "not_found",
    400: "bad_request",
    413: "bad_request",
    422: "bad_request",
    408: "timeout",
    409: "unknown",
}
RETRIED = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""Statuses the OpenAI and Anthropic SDKs retry (the protocol default)."""
ATTEMPTS = 6
"""Its retry budget: five retries, more than the SDKs' default two, so it declares it."""
WAIT_CAP = 120.0
"""Past this Retry-After, give up at once rather than hang the caller (the OpenAI SDK's cap)."""


def retry_after(headers: httpx.Headers, *, default: float) -> float:
    """Seconds to wait: retry-after-ms, retry-after in seconds, or as an HTTP date; a past
    or negative one is 0, an unreadable one is ``default``."""
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return default
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


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


class PlantedClient:
    """What the planted clients share: they only stream, over httpx, and report a
    :class:`PlantedError` with the kind it carries (anything else as harness classifies it)."""

    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

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


class PlantedDriver(PlantedClient):
    """A driver around the planted client; ``bugs`` chooses which bug to plant."""

    name: ClassVar[str] = "planted"
    dialect: ClassVar[str] = "openai-chat"
    contract: ClassVar[Contract] = Contract(
        retry=RetryRules(statuses=RETRIED, max_attempts=ATTEMPTS),
        source="tests/checks/planted.py: a budget of five retries, of the statuses in RETRIED "
        "(409 too, as the SDKs)",
    )

    def __init__(self, bugs: Bugs | None = None) -> None:
        self.bugs = bugs or Bugs()

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
            for attempt in range(ATTEMPTS):
                try:
                    response = await http.send(
                        http.build_request("POST", "/v1/chat/completions", json=body),
                        stream=True,
                    )
                except httpx.TimeoutException as exc:
                    raise PlantedError("timeout", str(exc)) from exc
                except httpx.TransportError as exc:
                    if attempt + 1 < ATTEMPTS:  # dropped before any answer: re-send it
                        await asyncio.sleep(0.5 * 2**attempt)
                        continue
                    raise PlantedError("protocol", str(exc)) from exc
                if response.status_code < 400:
                    break
                await response.aread()
                should = response.headers.get("x-should-retry")  # overrides the status
                retried = should == "true" or (should is None and response.status_code in RETRIED)
                wait = retry_after(response.headers, default=0.5 * 2**attempt)
                if not retried or attempt + 1 >= ATTEMPTS or wait > WAIT_CAP:
                    if self.bugs.leak_status_error:
                        response.raise_for_status()
                    kind = _KINDS.get(response.status_code, "server")
                    raise PlantedError(kind, response.text, response.status_code)
                await asyncio.sleep(0 if self.bugs.ignore_retry_after else wait)
            async with aclosing(typed_stream(self._events(response), response)) as events:
                async for event in events:
                    yield event

    async def _events(self, response: httpx.Response) -> AsyncIterator[Event]:
        decoder = SSEDecoder()
        # calls by (wire index, generation): some OpenAI-compatible servers send every
        # parallel call at index 0, and only a new id tells the calls apart
        calls: dict[tuple[int, int], dict[str, Any]] = {}
        generation: dict[int, int] = {}
        usage: dict[str, Any] | None = None
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
                    usage = data["usage"]  # a later count supersedes an earlier partial one
                for choice in data.get("choices", []):
                    if choice.get("index", 0) != 0:
                        continue  # another choice (n > 1): this client reads choice 0
                    delta = choice.get("delta", {})
                    if delta.get("content"):
                        yield TextEvent(text=delta["content"])
                    if delta.get("refusal"):
                        yield RefusalEvent(text=delta["refusal"])
                    legacy = delta.get("function_call")
                    if legacy:  # the pre-tools call: one call, no id
                        call = calls.setdefault((-1, 0), {"args": [], "id": None})
                        call.setdefault("name", legacy.get("name"))
                        if legacy.get("arguments"):
                            call["args"].append(legacy["arguments"])
                    for tc in delta.get("tool_calls") or []:
                        index = tc["index"]
                        key = (index, generation.get(index, 0))
                        known = calls.get(key, {}).get("id")
                        if tc.get("id") and known and tc["id"] != known:
                            generation[index] = key[1] + 1  # a new id at this index: a new call
                            key = (index, key[1] + 1)
                        call = calls.setdefault(key, {"args": []})
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
        if usage:
            yield UsageEvent(input=usage["prompt_tokens"], output=usage["completion_tokens"])
        for _, call in sorted(calls.items()):
            drop = self.bugs.drop_last_fragment or split_in_arguments
            pieces = call["args"][:-1] if drop else call["args"]
            text = "".join(pieces)
            try:
                yield ToolCallEvent(id=call["id"], name=call["name"], arguments=json.loads(text))
            except ValueError:
                yield ToolCallEvent(id=call["id"], name=call["name"], raw=text)
        reason = "tool_calls" if finish == "function_call" else finish
        reason = reason if reason in ("stop", "length", "tool_calls", "content_filter") else None
        if reason is None and self.bugs.accept_truncation:
            reason = "stop"  # the planted bug: a cut stream looks like a normal stop
        yield FinishEvent(reason=reason, raw=finish)  # type: ignore[arg-type]
