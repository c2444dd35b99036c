"""The harness driver for the reference gateway client, written the way a user writes one
for their own adapter: it uses only harness's public API, points the client at the replay
through the ``http_client`` parameter the client already has, and reports exactly what
the client yields or raises.

Seam: ``GatewayClient(ctx.base_url, tokens, http_client=httpx.AsyncClient(transport=
ctx.transport("httpx")))``. ``tokens`` mints a new unsigned JWT-shaped token on every call,
so a refresh after a 401 sends a different Bearer token. ``ctx.options["max_retries"]``
overrides the client's retry count (2). ``request.max_tokens`` and ``request.options`` are
not sent: the client has no such parameters.

Error kinds: the client's errors carry the HTTP status, which harness's classifier reads.
A :class:`StreamError` with a ``code`` is the gateway reporting a failure inside the
stream, so :meth:`GatewayClientDriver.classify` maps the gateway's code (a server error
unless the code says otherwise); a ``StreamError`` without one is a wire defect and keeps
harness's own classification (protocol).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from itertools import count
from typing import Any, ClassVar

from harness.drivers import DriverContext
from harness.drivers.classify import classify
from harness.drivers.contract import Contract, ErrorTaxonomy, RetryRules
from harness.scenario.model import ErrorKind, FinishReason, Request, Scenario
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)

from . import client as gateway

__all__ = ["STREAM_ERROR_KINDS", "GatewayClientDriver", "gateway_messages", "gateway_tools"]

FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}

STREAM_ERROR_KINDS: Mapping[str, ErrorKind] = {
    "rate_limited": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "context_length_exceeded": "context_window",
    "token_expired": "auth",
    "invalid_token": "auth",
    "invalid_request": "bad_request",
    "model_not_found": "not_found",
}
"""In-stream error codes that are not a server failure; every other code is one."""


CONTRACT = Contract(
    retry=RetryRules(
        # client.py:8-12, 67, 300: 408, 429 and 5xx are retried, but 501 and 502 (the
        # gateway's verdict on its upstream, after its own retries) are final
        statuses=frozenset({408, 429, 500, 503, 504, 529}),
        # client.py:181 max_retries=2: three attempts in all
        max_attempts=3,
        # client.py:182, 305: a Retry-After above max_retry_wait (60 s) is not waited out,
        # the error is raised
        retry_after_cap=60,
    ),
    # client.py:19-30: every failure is a GatewayError; "nothing from httpx escapes"
    errors=ErrorTaxonomy(
        types={
            gateway.GatewayError: None,  # other 4xx: the kind its status says
            gateway.AuthError: "auth",
            gateway.ModelNotFound: "not_found",
            gateway.ServerError: "server",
            gateway.StreamError: None,  # protocol, or the in-stream code (classify below)
            gateway.GatewayTimeout: "timeout",
            gateway.GatewayConnectionError: "protocol",
        },
        throttling=(gateway.RateLimited,),
    ),
    source="examples/gateway_client/client.py:8-30,67,181-182,300-305",
)
"""What the client documents about itself (its module docstring and constructor)."""


class GatewayClientDriver:
    """``GatewayClient.chat`` / ``chat_stream`` from ``examples/gateway_client``."""

    name: ClassVar[str] = "gateway-client"
    dialect: ClassVar[str] = "gateway"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    extra: ClassVar[str] = ""
    distributions: ClassVar[tuple[str, ...]] = ("httpx",)
    contract: ClassVar[Contract] = CONTRACT
    client_class: ClassVar[type[gateway.GatewayClient] | None] = None
    """The client under test; None is ``client.GatewayClient`` (looked up at each run).
    A subclass of the driver names a changed client to try it with the same driver."""

    def supports(self, scenario: Scenario) -> str | None:
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import httpx

        request = ctx.scenario.request
        retries = int(ctx.options.get("max_retries", 2))
        async with httpx.AsyncClient(transport=ctx.transport("httpx")) as http:
            make = self.client_class or gateway.GatewayClient
            client = make(ctx.base_url, _tokens(), http_client=http, max_retries=retries)
            messages, tools = gateway_messages(request), gateway_tools(request) or None
            if not request.stream:
                result = await client.chat(messages, request.model, tools)
                if result.content:
                    yield TextEvent(text=result.content)
                for call in result.tool_calls:
                    yield ToolCallEvent(id=call.id, name=call.name, arguments=call.arguments)
                if result.usage is not None:
                    yield UsageEvent(
                        input=result.usage.prompt_tokens, output=result.usage.completion_tokens
                    )
                # returning is the reply's end: a null finish_reason is an end with no reason
                yield _finish(result.finish_reason)
                return
            finish: str | None = None
            async for chunk in client.chat_stream(messages, request.model, tools):
                if chunk.content:
                    yield TextEvent(text=chunk.content)
                for call in chunk.tool_calls:
                    yield ToolCallEvent(id=call.id, name=call.name, arguments=call.arguments)
                if chunk.usage is not None:
                    yield UsageEvent(
                        input=chunk.usage.prompt_tokens, output=chunk.usage.completion_tokens
                    )
                if chunk.is_final:
                    finish = chunk.finish_reason
            yield _finish(finish)  # the client returns only after the final chunk

    def classify(self, exc: BaseException) -> ErrorEvent | None:
        """The kind of an in-stream error payload; None leaves the rest to harness."""
        from .client import StreamError

        if isinstance(exc, StreamError) and exc.code is not None:
            event = classify(exc)
            return event.model_copy(update={"error": STREAM_ERROR_KINDS.get(exc.code, "server")})
        return None


def _finish(raw: str | None) -> FinishEvent:
    """The end of a reply; ``raw`` None is one the gateway gave no reason for."""
    return FinishEvent(reason=None if raw is None else FINISH.get(raw), raw=raw)


def _tokens() -> Callable[[], str]:
    """A token provider minting a new unsigned JWT-shaped token per call."""
    serial = count(1)

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def mint() -> str:
        n = next(serial)
        head = part({"alg": "HS256", "typ": "JWT"})
        body = part({"sub": "harness", "jti": f"token-{n}", "iat": 1735689600 + n})
        signature = hashlib.sha256(f"{head}.{body}".encode()).hexdigest()[:43]
        return f"{head}.{body}.{signature}"

    return mint


def gateway_messages(request: Request) -> list[dict[str, Any]]:
    """The scenario's conversation in the gateway's message format."""
    out: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.role == "tool":
            item["tool_call_id"] = message.tool_call_id or ""
        if message.tool_calls:
            item["tool_calls"] = [
                {
                    "id": call.id or f"call_{m_index}_{c_index}",
                    "name": call.name,
                    "arguments": call.arguments,
                }
                for c_index, call in enumerate(message.tool_calls)
            ]
        out.append(item)
    return out


def gateway_tools(request: Request) -> list[dict[str, Any]]:
    """The scenario's tools as the gateway takes them (empty when there are none)."""
    return [
        {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
        for tool in request.tools
    ]
