"""A small async client for an LLM gateway (``POST /api/v1/llm/chat`` and
``/api/v1/llm/chat/stream``) with Bearer JWT auth.

Written the way a careful application would write it, and depending on ``httpx`` only:

* the token comes from a callable (sync or async) so it can be refreshed; on a 401 the
  client asks for a new token once and retries once, then raises :class:`AuthError`;
* 408, 429 and 5xx (but 501 and 502) are retried ``max_retries`` times, after the server's
  Retry-After (seconds, HTTP date, or ``retry-after-ms``) or an exponential backoff with
  jitter; a wait longer than ``max_retry_wait`` is not waited out, the error is raised;
* a 502 is the gateway saying its upstream provider failed (it has retried already):
  raised as :class:`UpstreamError` with the gateway's ``detail``, not retried;
* the stream is read as server-sent events with a parser of its own that ends lines only at
  CR, LF or CRLF (``httpx``'s ``aiter_lines`` also splits on U+2028 and U+0085, which are
  legal inside JSON strings);
* a stream that ends before its final chunk, an in-stream error payload, an event that is
  not JSON, a dropped connection: all raise a typed error; nothing from ``httpx`` escapes.

Exceptions::

    GatewayError ............ base; ``status_code`` and ``detail`` when the gateway gave them
     ├── AuthError .......... 401 (after one token refresh) or 403
     ├── ModelNotFound ...... 404
     ├── RateLimited ........ 429, with ``retry_after`` seconds (or None)
     ├── ServerError ........ other 5xx, after retries
     │    └── UpstreamError . 502, the upstream provider failed
     ├── StreamError ........ a broken stream; ``code`` is the gateway's error code when the
     │                        stream carried an error payload, None for a wire defect
     ├── GatewayTimeout ..... no answer within the read timeout
     └── GatewayConnectionError  the connection failed
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = [
    "AuthError",
    "ChatResult",
    "GatewayClient",
    "GatewayConnectionError",
    "GatewayError",
    "GatewayTimeout",
    "ModelNotFound",
    "RateLimited",
    "ServerError",
    "StreamChunk",
    "StreamError",
    "ToolCall",
    "UpstreamError",
    "Usage",
]

CHAT_PATH = "/api/v1/llm/chat"
STREAM_PATH = "/api/v1/llm/chat/stream"
FINAL_5XX = frozenset({501, 502})
"""Server errors retrying cannot fix: not implemented, and the gateway's upstream verdict."""

TokenProvider = Callable[[], str | Awaitable[str]]
"""Returns the current Bearer token; called again to refresh it after a 401."""


# --------------------------------------------------------------------------- errors


class GatewayError(Exception):
    """Anything that went wrong talking to the gateway."""

    def __init__(
        self, message: str, *, status_code: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail


class AuthError(GatewayError):
    """The gateway refused the token (401 even after a refresh, or 403)."""


class ModelNotFound(GatewayError):
    """The gateway does not know the requested model (404)."""


class RateLimited(GatewayError):
    """Too many requests (429); ``retry_after`` is the wait the gateway asked for, if any."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 429,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, detail=detail)
        self.retry_after = retry_after


class ServerError(GatewayError):
    """The gateway failed (5xx) and retrying did not help."""


class UpstreamError(ServerError):
    """The gateway's upstream provider failed (502); ``detail`` says how."""


class StreamError(GatewayError):
    """The stream broke: an error payload (``code`` set), or a defect of the wire."""

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.code = code


class GatewayTimeout(GatewayError):
    """The gateway sent nothing within the read timeout."""


class GatewayConnectionError(GatewayError):
    """The connection to the gateway failed."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class ChatResult:
    content: str
    model: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class StreamChunk:
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    is_final: bool = False
    finish_reason: str | None = None


# --------------------------------------------------------------------------- client


class GatewayClient:
    """Chat with models behind the gateway; see the module docstring for the behaviour."""

    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider,
        http_client: httpx.AsyncClient | None = None,
        *,
        max_retries: int = 2,
        max_retry_wait: float = 60.0,
        timeout: float = 60.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token_provider = token_provider
        self._own_client = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._max_retries = max_retries
        self._max_retry_wait = max_retry_wait
        self._token: str | None = None

    async def aclose(self) -> None:
        if self._own_client:
            await self._http.aclose()

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> ChatResult:
        """One complete reply."""
        async with self._send(CHAT_PATH, _body(messages, model, tools)) as response:
            try:
                raw = await response.aread()
            except httpx.TimeoutException as exc:
                raise GatewayTimeout(f"reading the reply timed out: {exc}") from exc
            except httpx.TransportError as exc:
                raise GatewayConnectionError(f"reading the reply failed: {exc}") from exc
        try:
            data = json.loads(raw)
            return ChatResult(
                content=data.get("content") or "",
                model=data.get("model"),
                tool_calls=_tool_calls(data.get("tool_calls")),
                usage=_usage(data.get("usage")),
                finish_reason=data.get("finish_reason"),
            )
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise GatewayError(f"the gateway sent a reply that is not valid: {exc}") from exc

    async def chat_stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncIterator[StreamChunk]:
        """The reply as it is generated; the last chunk has ``is_final`` set."""
        async with self._send(STREAM_PATH, _body(messages, model, tools)) as response:
            final = False
            try:
                async for data in _sse_data(response.aiter_bytes()):
                    if data == "[DONE]":
                        break
                    chunk = _stream_chunk(data)
                    final = final or chunk.is_final
                    yield chunk
            except httpx.TimeoutException as exc:
                raise GatewayTimeout(f"the stream stalled: {exc}") from exc
            except httpx.TransportError as exc:
                raise StreamError(f"the connection dropped mid-stream: {exc}") from exc
            if not final:
                raise StreamError("the stream ended before its final chunk")

    # ----------------------------------------------------------------------- sending

    @asynccontextmanager
    async def _send(self, path: str, body: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """POST with auth, one token refresh on 401, and retries; yields a 200 response."""
        refreshed = False
        retries = 0
        if self._token is None:
            self._token = await self._fresh_token()
        while True:
            request = self._http.build_request(
                "POST",
                self._base_url + path,
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
            )
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise GatewayTimeout(f"the gateway did not answer: {exc}") from exc
            except httpx.TransportError as exc:
                raise GatewayConnectionError(f"cannot reach the gateway: {exc}") from exc
            try:
                if response.status_code < 400:
                    yield response
                    return
                error = await _error_of(response)
            finally:
                await response.aclose()
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self._token = await self._fresh_token()
                continue
            wait = self._retry_wait(response, retries)
            if wait is None:
                raise error
            retries += 1
            await asyncio.sleep(wait)

    async def _fresh_token(self) -> str:
        token = self._token_provider()
        if inspect.isawaitable(token):
            return str(await token)
        return token

    def _retry_wait(self, response: httpx.Response, retries: int) -> float | None:
        """Seconds to wait before retrying, or None when the error is final."""
        status = response.status_code
        retryable = status in (408, 429) or (status >= 500 and status not in FINAL_5XX)
        if not retryable or retries >= self._max_retries:
            return None
        asked = _retry_after(response.headers)
        if asked is not None:
            return asked if asked <= self._max_retry_wait else None
        backoff = min(0.5 * 2.0**retries, self._max_retry_wait)
        return backoff + random.uniform(0, backoff / 4)


# --------------------------------------------------------------------------- helpers


def _body(
    messages: Sequence[Mapping[str, Any]], model: str, tools: Sequence[Mapping[str, Any]] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
    if tools:
        body["tools"] = [dict(t) for t in tools]
    return body


async def _error_of(response: httpx.Response) -> GatewayError:
    """The typed error for an error response (its body read and parsed)."""
    try:
        await response.aread()
        detail = response.json().get("detail")
    except (httpx.HTTPError, ValueError, AttributeError):
        detail = None
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail)
    status = response.status_code
    message = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        return AuthError(message, status_code=status, detail=detail)
    if status == 404:
        return ModelNotFound(message, status_code=status, detail=detail)
    if status == 429:
        return RateLimited(
            message, status_code=status, detail=detail, retry_after=_retry_after(response.headers)
        )
    if status == 502:
        return UpstreamError(message, status_code=status, detail=detail)
    if status >= 500:
        return ServerError(message, status_code=status, detail=detail)
    return GatewayError(message, status_code=status, detail=detail)


def _retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After (seconds or an HTTP date) or retry-after-ms, in seconds."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _usage(data: Any) -> Usage | None:
    if not data:
        return None
    return Usage(int(data["prompt_tokens"]), int(data["completion_tokens"]))


def _tool_calls(data: Any) -> list[ToolCall]:
    calls = []
    for call in data or []:
        arguments = call.get("arguments") or {}
        if isinstance(arguments, str):  # tolerate a gateway that sends the JSON text
            arguments = json.loads(arguments)
        if not isinstance(arguments, dict):
            raise TypeError(f"tool call arguments must be an object, got {arguments!r}")
        calls.append(ToolCall(id=call["id"], name=call["name"], arguments=arguments))
    return calls


def _stream_chunk(data: str) -> StreamChunk:
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise StreamError(f"the gateway sent an event that is not JSON: {data[:80]!r}") from exc
    if not isinstance(payload, dict):
        raise StreamError(f"the gateway sent an event that is not an object: {data[:80]!r}")
    if "error" in payload:
        code, detail = payload.get("error"), payload.get("detail")
        raise StreamError(
            f"the gateway reported an error mid-stream: {code}" + (f": {detail}" if detail else ""),
            code=str(code),
            detail=None if detail is None else str(detail),
        )
    try:
        return StreamChunk(
            content=payload.get("content") or "",
            tool_calls=_tool_calls(payload.get("tool_calls")),
            usage=_usage(payload.get("usage")),
            is_final=bool(payload.get("is_final")),
            finish_reason=payload.get("finish_reason"),
        )
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise StreamError(f"the gateway sent a chunk that is not valid: {exc}") from exc


_BOM = b"\xef\xbb\xbf"


async def _sse_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event. Lines end at CR, LF or CRLF only; an event
    is dispatched by a blank line, so an unterminated last event is dropped (as the spec
    says); comments and other fields are skipped; one UTF-8 BOM at the very start is not
    part of the stream."""
    buffer = b""
    data: list[str] = []
    pending_cr = False
    started = False
    async for chunk in chunks:
        if pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        pending_cr = chunk.endswith(b"\r")
        buffer += chunk
        if not started:
            if _BOM.startswith(buffer):
                continue  # all so far may be the start of a BOM: wait for more
            buffer, started = buffer.removeprefix(_BOM), True
        lines = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        buffer = lines.pop()
        for raw in lines:
            line = raw.decode("utf-8", errors="replace")
            if not line:
                if data:
                    yield "\n".join(data)
                    data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
