"""The shared half of the reference adapters: typed errors, an SSE reader, a retry loop.

Written from the providers' documentation (OpenAI "Error codes" and "Rate limits", Anthropic
"Errors" and "Rate limits", the WHATWG HTML "Server-sent events" parsing rules), not from
the SDKs, and with policy choices of its own: HTTP 500 is not retried, Retry-After is
honoured up to 60 s, throttling surfaces as :class:`Throttled`. ``Bugs`` plants one known
defect at a time; the tests show each is found with its code.
"""

from __future__ import annotations

import asyncio
import codecs
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from harness.drivers.contract import Contract, ErrorTaxonomy, RetryRules

RETRIED = frozenset({408, 429, 502, 503, 504, 529})
"""Transient statuses this client retries; a 500 is a bug on the server's side, not retried."""
MAX_ATTEMPTS = 4
RETRY_AFTER_CAP = 60.0


class ReferenceError(Exception):
    """Base of every error the reference adapters raise."""

    kind = "unknown"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Throttled(ReferenceError):
    kind = "rate_limit"


class ServerFailed(ReferenceError):
    kind = "server"


class Rejected(ReferenceError):
    """A request the server refuses for good (400, 404, 422)."""

    kind = "bad_request"


class NotFound(Rejected):
    kind = "not_found"


class Unauthorized(ReferenceError):
    kind = "auth"


class ContextTooLong(Rejected):
    kind = "context_window"


class BrokenStream(ReferenceError):
    """The stream broke: cut, malformed, or ended without its terminal event."""

    kind = "protocol"


class TimedOut(ReferenceError):
    kind = "timeout"


def contract_for(module: str) -> Contract:
    """The contract of a reference adapter whose errors live in ``module``."""
    base = f"{__name__}."
    return Contract(
        retry=RetryRules(
            statuses=RETRIED,
            max_attempts=MAX_ATTEMPTS,
            retry_after_cap=RETRY_AFTER_CAP,
            min_backoff=0.25,
        ),
        errors=ErrorTaxonomy(
            types={
                base + "ServerFailed": "server",
                base + "Rejected": "bad_request",
                base + "NotFound": "not_found",
                base + "Unauthorized": "auth",
                base + "ContextTooLong": "context_window",
                base + "BrokenStream": "protocol",
                base + "TimedOut": "timeout",
            },
            throttling=(base + "Throttled",),
        ),
        source=f"{module}: written from the providers' docs (tests/reference/_client.py)",
    )


@dataclass
class Bugs:
    """One planted defect per switch (all off: a correct adapter)."""

    retry_500: bool = False
    """Retry a 500, which the contract says is final."""
    no_backoff: bool = False
    retry_400: bool = False
    retry_forever: bool = False
    """Ignore the attempt limit (a retry storm)."""
    ignore_retry_after: bool = False
    ignore_retry_after_ms: bool = False
    ignore_http_date: bool = False
    wrong_cap: bool = False
    """Cap Retry-After at 1 s instead of the declared 60 s."""
    throttle_as_server: bool = False
    """A 429 surfaces as ServerFailed, not the declared Throttled."""
    leak_httpx: bool = False
    undeclared_error: bool = False
    """A 404 surfaces as a bare RuntimeError."""
    accept_truncation: bool = False
    drop_last_fragment: bool = False
    drop_second_call: bool = False
    usage_twice: bool = False
    usage_swapped: bool = False
    lf_only: bool = False
    """SSE: treat only LF as a line end (CRLF-framed streams break)."""
    data_needs_space: bool = False
    """SSE: only ``data: `` (with the space) is a data line."""
    swallow_stream_error: bool = False
    """End quietly at an error inside a 200 stream, as if the reply were complete."""
    repeat_after_retry: bool = False
    """Keep the partial text of a failed attempt when re-sending."""


def retry_wait(headers: httpx.Headers, attempt: int, bugs: Bugs, now: float) -> float:
    """How long to wait before the next attempt: retry-after-ms (or AWS's
    x-amz-retry-after), Retry-After seconds or date (capped at 60 s), else exponential
    backoff from 0.5 s."""
    cap = 1.0 if bugs.wrong_cap else RETRY_AFTER_CAP
    backoff = 0.0 if bugs.no_backoff else min(0.5 * 2**attempt, 8.0)
    for name in ("retry-after-ms", "x-amz-retry-after"):  # OpenAI's and AWS's milliseconds
        if name in headers and not bugs.ignore_retry_after_ms:
            return min(float(headers[name]) / 1000, cap)
    value = headers.get("retry-after")
    if value is None or bugs.ignore_retry_after:
        return backoff
    try:
        return min(float(value), cap)
    except ValueError:
        pass
    if bugs.ignore_http_date:
        return backoff
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return backoff
    return min(max(0.0, when - now), cap)


def error_for(status: int, body: str, bugs: Bugs) -> Exception:
    """The typed error for an HTTP error answer."""
    code = ""
    try:
        payload = json.loads(body)
        inner = payload.get("error", payload) if isinstance(payload, dict) else {}
        code = str(inner.get("code") or inner.get("type") or "") if isinstance(inner, dict) else ""
    except ValueError:
        pass
    if status == 429:
        return ServerFailed(body, status) if bugs.throttle_as_server else Throttled(body, status)
    if status in (401, 403):
        return Unauthorized(body, status)
    if status == 404:
        return RuntimeError(body) if bugs.undeclared_error else NotFound(body, status)
    if status in (400, 413, 422):
        if "context_length" in code:
            return ContextTooLong(body, status)
        return Rejected(body, status)
    if status == 408:
        return TimedOut(body, status)
    return ServerFailed(body, status)


async def send(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], bugs: Bugs, clock: Any
) -> httpx.Response:
    """POST ``body`` and return the streaming response of the first attempt that succeeds."""
    retried = RETRIED | ({500} if bugs.retry_500 else set()) | ({400} if bugs.retry_400 else set())
    attempt = 0
    while True:
        try:
            response = await http.send(http.build_request("POST", path, json=body), stream=True)
        except httpx.TimeoutException as exc:
            raise TimedOut(str(exc)) from exc
        except httpx.TransportError as exc:
            if bugs.leak_httpx:
                raise
            raise BrokenStream(str(exc)) from exc
        if response.status_code < 400:
            return response
        text = (await response.aread()).decode("utf-8", "replace")
        await response.aclose()
        attempt += 1
        last = attempt >= MAX_ATTEMPTS and not bugs.retry_forever
        if not _should_retry(response, retried) or last:
            if bugs.leak_httpx:
                response.raise_for_status()
            raise error_for(response.status_code, text, bugs)
        await asyncio.sleep(retry_wait(response.headers, attempt - 1, bugs, clock.time()))


def _should_retry(response: httpx.Response, retried: frozenset[int] | set[int]) -> bool:
    """The server's ``x-should-retry`` (OpenAI's header, read by both official SDKs)
    overrides the status either way; else the status decides."""
    should = response.headers.get("x-should-retry", "").strip().lower()
    if should in ("true", "false"):
        return should == "true"
    return response.status_code in retried


@dataclass
class Sse:
    event: str
    data: str


async def sse_events(response: httpx.Response, bugs: Bugs) -> AsyncIterator[Sse]:
    """Server-sent events per the WHATWG rules: lines end in CRLF, LF or CR; ``data:``
    lines join with LF, one leading space dropped; a blank line dispatches; ``:`` comments;
    one UTF-8 byte order mark at the very start of the stream is dropped."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()  # strips one leading BOM
    buffer = ""
    event, data = "", []
    try:
        chunks = response.aiter_raw()
        final = False
        while not final:
            try:
                buffer += decoder.decode(await chunks.__anext__())
            except StopAsyncIteration:
                buffer += decoder.decode(b"", final=True)
                final = True  # a CR at the very end is a whole line end
            for line in _lines(buffer, bugs, final):
                buffer = buffer[len(line[1]) :]
                text = line[0]
                if text == "":
                    if data:
                        yield Sse(event or "message", "\n".join(data))
                    event, data = "", []
                    continue
                if text.startswith(":"):
                    continue
                name, _, value = text.partition(":")
                if bugs.data_needs_space and name == "data" and not value.startswith(" "):
                    continue
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    data.append(value)
                elif name == "event":
                    event = value
    except httpx.TimeoutException as exc:
        raise TimedOut(str(exc)) from exc
    except httpx.TransportError as exc:
        if bugs.leak_httpx:
            raise
        raise BrokenStream(str(exc)) from exc
    finally:
        await response.aclose()


def _lines(buffer: str, bugs: Bugs, final: bool = False) -> list[tuple[str, str]]:
    """Complete lines at the head of ``buffer``: (text, text plus its line end)."""
    out = []
    i = 0
    while i < len(buffer):
        if bugs.lf_only:
            j = buffer.find("\n", i)
            if j < 0:
                break
            out.append((buffer[i:j], buffer[i : j + 1]))
            i = j + 1
            continue
        j = next((k for k in range(i, len(buffer)) if buffer[k] in "\r\n"), -1)
        if j < 0:
            break
        if buffer[j] == "\r":
            if j + 1 == len(buffer) and not final:
                break  # a CR at the end may be half of a CRLF
            end = j + 2 if buffer[j + 1 : j + 2] == "\n" else j + 1
        else:
            end = j + 1
        out.append((buffer[i:j], buffer[i:end]))
        i = end
    return out


def parse(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise BrokenStream(f"an event that is not JSON: {data[:80]!r}") from exc
    if not isinstance(value, dict):
        raise BrokenStream(f"an event that is not a JSON object: {data[:80]!r}")
    return value
