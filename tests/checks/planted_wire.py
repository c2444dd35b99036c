"""A small, correct OpenAI-chat client for the wire cases of issue 16, with one switch per
realistic bug: each plants exactly one mishandling (of an SSE framing rule, a chat stream
shape, an HTTP status or a retry header), so the tests can show that the checks name it.

Unlike :mod:`tests.checks.planted`, it decodes SSE with its own line reader (correct by
default), so that framing bugs can be planted in it, and it follows the SDKs' retry policy
(DESIGN.md): 2 retries of 408/409/429/5xx and dropped connections, retry-after-ms before
Retry-After, x-should-retry honoured, and a Retry-After beyond 120 s given up on.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from harness.drivers.base import DriverContext
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.checks.planted import PlantedClient, PlantedError, typed_stream

BOM = b"\xef\xbb\xbf"
RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504})
KINDS = {
    429: "rate_limit",
    401: "auth",
    403: "auth",
    404: "not_found",
    408: "timeout",
    400: "bad_request",
    409: "unknown",
    413: "bad_request",
    422: "bad_request",
}
CAP = 120.0
"""Seconds of Retry-After this client honours; past it, it gives up (as the OpenAI SDK)."""


@dataclass(frozen=True)
class WireBugs:
    # SSE framing
    keep_bom: bool = False
    lf_only: bool = False
    crlf_per_chunk: bool = False
    data_line_is_event: bool = False
    comment_resets_event: bool = False
    colon_required: bool = False
    dispatch_partial: bool = False
    # chat stream shapes
    merge_by_index: bool = False
    skip_delta_on_finish: bool = False
    role_chunk_content_required: bool = False
    null_content_crash: bool = False
    yield_empty_text: bool = False
    sum_usage: bool = False
    usage_every_time: bool = False
    decode_per_chunk: bool = False
    accept_truncation: bool = False
    unknown_event_crash: bool = False
    drop_refusal: bool = False
    refusal_as_text: bool = False
    ignore_function_call: bool = False
    ignore_choice_index: bool = False
    # statuses and retry headers
    retry_statuses: frozenset[int] = field(default_factory=frozenset)
    kind_408_as_server: bool = False
    gateway_no_backoff: bool = False
    seconds_before_ms: bool = False
    zero_as_missing: bool = False
    abs_past_date: bool = False
    crash_on_negative: bool = False
    crash_on_garbage: bool = False
    no_cap: bool = False
    ignore_x_should_retry: bool = False
    leak_connect_error: bool = False
    budget_off_by_one: bool = False
    exhaust_as_server: bool = False
    # Anthropic Messages (PlantedAnthropicDriver)
    ping_after_start_only: bool = False
    refusal_as_stop: bool = False
    pause_as_stop: bool = False
    empty_fragment_crash: bool = False
    # OpenAI Responses (tests.checks.planted_responses)
    incomplete_as_completed: bool = False
    incomplete_reason_ignored: bool = False
    failed_as_completed: bool = False
    first_message_only: bool = False
    one_delta_buffer: bool = False
    args_from_deltas_only: bool = False


class _Lines:
    """Splits the body into lines (CRLF, LF or CR), holding a trailing CR for the next read."""

    def __init__(self, bugs: WireBugs) -> None:
        self.bugs, self.buffer, self.started = bugs, b"", False

    def feed(self, chunk: bytes) -> list[str]:
        if not self.started and chunk:
            head = self.buffer + chunk
            if len(head) < len(BOM) and BOM.startswith(head):
                self.buffer = head  # perhaps a BOM split across reads: wait for more
                return []
            self.started, self.buffer = True, b""
            chunk = head
            if chunk.startswith(BOM) and not self.bugs.keep_bom:
                chunk = chunk[len(BOM) :]
        if self.bugs.crlf_per_chunk:  # planted: a CR at the end of a read stays in the line
            chunk = chunk.replace(b"\r\n", b"\n")
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split(b"\n")
            return [line.decode() for line in lines]
        self.buffer += chunk
        if self.bugs.lf_only:  # planted: a lone CR never ends a line
            *lines, self.buffer = self.buffer.split(b"\n")
            return [line.rstrip(b"\r").decode() for line in lines]
        keep = b""
        if self.buffer.endswith(b"\r"):
            self.buffer, keep = self.buffer[:-1], b"\r"
        *lines, rest = re.split(rb"\r\n|\r|\n", self.buffer)
        self.buffer = rest + keep
        return [line.decode() for line in lines]

    def close(self) -> list[str]:
        """End of body: a CR held back for a possible LF was a line end after all."""
        rest, self.buffer = self.buffer, b""
        return [rest[:-1].decode()] if rest.endswith(b"\r") and not self.bugs.lf_only else []


class _Events:
    """WHATWG event interpretation over lines: (event type, data) per dispatched event."""

    def __init__(self, bugs: WireBugs) -> None:
        self.bugs, self.data, self.event = bugs, list[str](), None

    def line(self, line: str) -> list[tuple[str | None, str]]:
        if not line:
            return self.dispatch()
        if line.startswith(":"):
            if self.bugs.comment_resets_event:  # planted: a comment starts a new event
                self.data, self.event = [], None
            return []
        if self.bugs.colon_required:  # planted: every field line is split on its colon
            name, value = line.split(":", 1)
        else:
            name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self.data.append(value)
            if self.bugs.data_line_is_event:  # planted: one data line, one event
                return self.dispatch()
        elif name == "event":
            self.event = value
        return []

    def dispatch(self) -> list[tuple[str | None, str]]:
        out = [(self.event, "\n".join(self.data))] if self.data else []
        self.data, self.event = [], None
        return out


class PlantedWireDriver(PlantedClient):
    """A driver around the planted client; ``bugs`` chooses the one bug to plant."""

    name: ClassVar[str] = "planted-wire"
    dialect: ClassVar[str] = "openai-chat"
    path: ClassVar[str] = "/v1/chat/completions"

    def __init__(self, bugs: WireBugs | None = None) -> None:
        self.bugs = bugs or WireBugs()

    # ----------------------------------------------------------------------- retries

    def _wait(self, headers: httpx.Headers, attempt: int, status: int) -> float | None:
        """Seconds to wait before the next attempt; None: give up."""
        bugs = self.bugs
        backoff = 0.5 * 2**attempt
        if bugs.gateway_no_backoff and status in (502, 504):
            backoff = 0.0
        ms, seconds = headers.get("retry-after-ms"), headers.get("retry-after")
        order = (
            [("s", seconds), ("ms", ms)] if bugs.seconds_before_ms else [("ms", ms), ("s", seconds)]
        )
        for form, value in order:
            if value is None:
                continue
            wait = self._parse(form, value)
            if wait is None:
                continue
            if wait == 0 and bugs.zero_as_missing:  # planted: 0 read as "no header"
                return 60.0
            if wait > CAP and not bugs.no_cap:
                return None
            return wait
        return backoff

    def _parse(self, form: str, value: str) -> float | None:
        bugs = self.bugs
        try:
            number = float(value)
        except ValueError:
            try:
                date = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                if bugs.crash_on_garbage:
                    raise
                return None
            delta = date.timestamp() - time.time()
            return abs(delta) if bugs.abs_past_date else max(0.0, delta)
        if number < 0:
            if bugs.crash_on_negative:
                raise ValueError(f"negative Retry-After {value!r}")
            return None
        return number / 1000 if form == "ms" else number

    def _retryable(self, status: int, headers: httpx.Headers) -> bool:
        if status == 408 and self.bugs.kind_408_as_server:
            return False  # planted: a request timeout read as a final server error
        should = headers.get("x-should-retry")
        if should in ("true", "false") and not self.bugs.ignore_x_should_retry:
            return should == "true"
        return status in RETRYABLE or status in self.bugs.retry_statuses

    def _kind(self, status: int) -> str:
        if status == 408 and self.bugs.kind_408_as_server:
            return "server"
        return KINDS.get(status, "server")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        req = ctx.scenario.request
        body = {
            "model": req.model,
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": m.role, "content": m.content} for m in req.messages],
        }
        retries = 3 if self.bugs.budget_off_by_one else 2
        async with httpx.AsyncClient(
            transport=ctx.transport("httpx"), base_url=ctx.base_url, timeout=30
        ) as http:
            for attempt in range(retries + 1):
                request = http.build_request("POST", self.path, json=body)
                try:
                    response = await http.send(request, stream=True)
                except httpx.TransportError as exc:
                    if self.bugs.leak_connect_error:
                        raise
                    if attempt == retries:
                        raise PlantedError("protocol", str(exc)) from exc
                    await asyncio.sleep(0.5 * 2**attempt)
                    continue
                if response.status_code < 400:
                    break
                await response.aread()
                status = response.status_code
                wait = self._wait(response.headers, attempt, status)
                if (
                    not self._retryable(status, response.headers)
                    or attempt == retries
                    or wait is None
                ):
                    kind = self._kind(status)
                    if attempt == retries and self.bugs.exhaust_as_server:
                        kind = "server"
                    raise PlantedError(kind, response.text, status)
                await asyncio.sleep(wait)
            async with aclosing(typed_stream(self._events(response), response, "event")) as events:
                async for event in events:
                    yield event

    # ----------------------------------------------------------------------- the stream

    async def _events(self, response: httpx.Response) -> AsyncIterator[Event]:
        bugs = self.bugs
        lines, parser = _Lines(bugs), _Events(bugs)
        state: dict[str, Any] = {"calls": [], "finish": None, "done": False, "usage": None}
        async for chunk in response.aiter_raw():
            if bugs.decode_per_chunk:  # planted: each read decoded on its own
                chunk = chunk.decode("utf-8", "replace").encode()
            for line in lines.feed(chunk):
                for kind, data in parser.line(line):
                    for event in self._chunk(kind, data, state):
                        yield event
        for line in lines.close():
            for kind, data in parser.line(line):
                for event in self._chunk(kind, data, state):
                    yield event
        if bugs.dispatch_partial:  # planted: an unterminated last event is dispatched
            for line in lines.feed(b"\n"):
                for kind, data in parser.line(line):
                    for event in self._chunk(kind, data, state):
                        yield event
            for kind, data in parser.dispatch():
                for event in self._chunk(kind, data, state):
                    yield event
        if bugs.accept_truncation:  # planted: a cut stream looks like a normal stop
            state["finish"] = state["finish"] or "stop"
        elif not state["done"]:
            raise PlantedError("protocol", "stream ended before [DONE]")
        elif state["finish"] is None:
            raise PlantedError("protocol", "stream ended without a finish_reason")
        if state["usage"] is not None and not bugs.usage_every_time:
            u = state["usage"]
            yield UsageEvent(input=u["prompt_tokens"], output=u["completion_tokens"])
        for call in state["calls"]:
            text = "".join(call["args"])
            try:
                args = json.loads(text) if text.strip() else {}
                yield ToolCallEvent(id=call["id"], name=call["name"], arguments=args)
            except ValueError:
                yield ToolCallEvent(id=call["id"], name=call["name"], raw=text)
        finish = state["finish"]
        reason = _REASONS.get(finish)
        if finish == "function_call" and bugs.ignore_function_call:
            reason = None  # planted: the legacy finish reason is not known
        yield FinishEvent(reason=reason, raw=finish)

    def _chunk(self, kind: str | None, data: str, state: dict[str, Any]) -> list[Event]:
        bugs = self.bugs
        if data == "[DONE]":
            state["done"] = True
            return []
        if kind not in (None, "message"):
            return []  # an event type this client does not listen to
        payload = json.loads(data)
        if "error" in payload:
            raise PlantedError("server", json.dumps(payload["error"]))
        out: list[Event] = []
        usage = payload.get("usage")
        if usage:
            if bugs.sum_usage and state["usage"] is not None:
                usage = {
                    k: state["usage"][k] + usage[k] for k in ("prompt_tokens", "completion_tokens")
                }
            state["usage"] = usage
            if bugs.usage_every_time:
                out.append(
                    UsageEvent(input=usage["prompt_tokens"], output=usage["completion_tokens"])
                )
        for choice in payload.get("choices", []):
            if choice.get("index", 0) != 0 and not bugs.ignore_choice_index:
                continue  # the caller reads choice 0; planted: every chunk's choice read
            delta = choice.get("delta") or {}
            finish = choice.get("finish_reason")
            if finish and bugs.skip_delta_on_finish:
                delta = {}
            if bugs.role_chunk_content_required and "role" in delta:
                delta["content"]
            content = delta.get("content")
            if bugs.null_content_crash and "content" in delta:
                len(delta["content"])  # planted: TypeError on content null
            if content or (bugs.yield_empty_text and content is not None):
                out.append(TextEvent(text=content))
            refusal = delta.get("refusal")
            if refusal and bugs.refusal_as_text:  # planted: a refusal read as content
                out.append(TextEvent(text=refusal))
            elif refusal and not bugs.drop_refusal:  # planted: refusal deltas ignored
                out.append(RefusalEvent(text=refusal))
            for fragment in delta.get("tool_calls") or []:
                self._fragment(fragment, state["calls"])
            legacy = delta.get("function_call")
            if legacy is not None and not bugs.ignore_function_call:
                # the pre-tools call: no id, no index; each piece continues the one call
                self._fragment({"index": -1, "function": legacy}, state["calls"])
            state["finish"] = finish or state["finish"]
        return out

    def _fragment(self, fragment: dict[str, Any], calls: list[dict[str, Any]]) -> None:
        fn = fragment.get("function") or {}
        new_id = fragment.get("id")
        known = [c for c in calls if c["index"] == fragment["index"]]
        if self.bugs.merge_by_index:
            call = known[-1] if known else None
        elif new_id is not None:
            call = None  # a new id starts a new call, whatever its index
        else:
            call = known[-1] if known else None
        if call is None:
            call = {"index": fragment["index"], "id": new_id, "name": fn.get("name"), "args": []}
            calls.append(call)
        if fn.get("arguments"):
            call["args"].append(fn["arguments"])


_REASONS: dict[str | None, Any] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "paused": "paused",
    "function_call": "tool_calls",
}
_STOP = {
    "end_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "refusal": "content_filter",
    "pause_turn": "paused",
}


_KNOWN = frozenset(
    {"message_start", "content_block_start", "content_block_delta", "content_block_stop"}
    | {"message_delta", "message_stop", "ping", "error"}
)


class PlantedAnthropicDriver(PlantedWireDriver):
    """The same client on the Anthropic Messages wire (named events), for the cases a
    data-only stream cannot express: unknown event types, pings anywhere, the refusal and
    pause_turn stop reasons, cumulative message_delta usage, an empty first
    input_json_delta."""

    name: ClassVar[str] = "planted-wire-anthropic"
    dialect: ClassVar[str] = "anthropic-messages"
    path: ClassVar[str] = "/v1/messages"

    def _chunk(self, kind: str | None, data: str, state: dict[str, Any]) -> list[Event]:
        payload = json.loads(data)
        kind = payload.get("type", kind)
        out: list[Event] = []
        previous = state.get("previous")
        if kind in _KNOWN:  # the state machine steps on the events it knows
            state["previous"] = kind
        started = previous in ("message_start", "content_block_start")
        if kind == "ping" and self.bugs.ping_after_start_only and not started:
            raise ValueError(f"unexpected ping after {previous}")  # planted: pings anywhere
        if kind == "message_start":
            usage = payload["message"]["usage"]
            state["usage"] = {
                "prompt_tokens": usage["input_tokens"],
                "completion_tokens": usage["output_tokens"],
            }
        elif kind == "content_block_start":
            block = payload["content_block"]
            if block["type"] == "tool_use":
                call = {"index": payload["index"], "id": block["id"], "name": block["name"]}
                state["calls"].append({**call, "args": []})
        elif kind == "content_block_delta":
            delta = payload["delta"]
            if delta["type"] == "text_delta" and delta["text"]:
                out.append(TextEvent(text=delta["text"]))
            elif delta["type"] == "thinking_delta" and delta["thinking"]:
                out.append(ReasoningEvent(text=delta["thinking"]))
            elif delta["type"] == "input_json_delta":
                if not delta["partial_json"] and self.bugs.empty_fragment_crash:
                    raise ValueError("empty partial_json")  # planted: "" is a valid piece
                if delta["partial_json"]:
                    state["calls"][-1]["args"].append(delta["partial_json"])
        elif kind == "message_delta":
            stop = payload["delta"].get("stop_reason") or ""
            if stop == "refusal" and self.bugs.refusal_as_stop:
                stop = "end_turn"  # planted: a refusal read as a normal end
            if stop == "pause_turn" and self.bugs.pause_as_stop:
                stop = "end_turn"  # planted: a paused turn read as a finished one
            state["finish"] = _STOP.get(stop, "stop")
            output = payload["usage"]["output_tokens"]  # cumulative: it replaces the start's
            if self.bugs.sum_usage:  # planted: message_start's count added to the final one
                output += state["usage"]["completion_tokens"]
            state["usage"]["completion_tokens"] = output
        elif kind == "message_stop":
            state["done"] = True
        elif kind == "error":
            raise PlantedError("server", json.dumps(payload["error"]))
        elif kind not in ("ping", "content_block_stop") and self.bugs.unknown_event_crash:
            raise ValueError(f"unknown event {kind!r}")  # planted: unknown types are fatal
        return out
