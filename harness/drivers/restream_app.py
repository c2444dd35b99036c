"""``restream-app``: the example service in ``examples/restream_app`` (FastAPI, re-streaming a
Responses stream it reads with ``llama-stack-client`` 0.2.12), driven as an ASGI app.

Its upstream client is built in the app's lifespan, inside ``serving(ctx.replay)``, so it
talks to the replay on the ``openai-responses`` dialect; its downstream events are mapped
as below. The app always streams, so non-streamed scenarios are n/a.
``ctx.options["max_retries"]`` is passed to the upstream client (default: the client's 2).
The app lives in the source checkout's ``examples/`` (see :mod:`harness.drivers._examples`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import JsonValue

from harness.drivers._examples import example_missing, import_example
from harness.drivers.asgi import (
    ASGIApp,
    ASGIAppDriver,
    Mapper,
    each,
    error,
    finish,
    ignore,
    text,
    tool_call,
    usage,
)
from harness.drivers.base import DriverContext
from harness.scenario.model import ErrorKind, Scenario

__all__ = ["APP_ERROR_KINDS", "RestreamAppDriver"]

APP_ERROR_KINDS: Mapping[str, ErrorKind] = {
    "upstream_timeout": "timeout",
    "upstream_unreachable": "protocol",
    "upstream_disconnected": "protocol",
    "upstream_invalid_event": "protocol",
    "upstream_truncated": "protocol",
    "upstream_failed": "server",
    "upstream_error": "server",
}
"""The app's own error codes; the provider's codes and HTTP statuses it forwards are read
by harness's classifier."""


class RestreamAppDriver(ASGIAppDriver):
    """``POST /chat`` on ``examples.restream_app.app.create_app(...)``."""

    name: ClassVar[str] = "restream-app"
    dialect: ClassVar[str] = "openai-responses"
    requires: ClassVar[tuple[str, ...]] = ("fastapi", "llama_stack_client", "fire")
    """``fire`` too: llama-stack-client 0.2.12 imports it without declaring it."""
    extra: ClassVar[str] = "asgi"
    distributions: ClassVar[tuple[str, ...]] = ("fastapi", "llama-stack-client", "httpx")
    path: ClassVar[str] = "/chat"
    mapping: ClassVar[Mapping[str, Mapper]] = {
        "start": ignore(),
        "token": text("text"),
        "tool_call": tool_call(),
        "turn_complete": each(usage("usage.input_tokens", "usage.output_tokens"), finish("finish")),
        "error": error(kinds=APP_ERROR_KINDS),
        "end": ignore(),
    }

    @property
    def unavailable(self) -> str | None:
        """Why this install cannot run the app (its example is absent), or None."""
        return example_missing("restream_app")

    def supports(self, scenario: Scenario) -> str | None:
        missing = example_missing("restream_app")
        if missing is not None:
            return missing
        if not scenario.request.stream:
            return "the restream app always streams: it has no non-streamed reply"
        return None

    def app_factory(self, ctx: DriverContext) -> ASGIApp:
        app: ASGIApp = import_example("restream_app.app").create_app(
            ctx.base_url, ctx.api_key, max_retries=ctx.options.get("max_retries")
        )
        return app

    def request_body(self, scenario: Scenario) -> JsonValue:
        request = scenario.request
        messages: list[JsonValue] = []
        for i, message in enumerate(request.messages):
            item: dict[str, JsonValue] = {"role": message.role, "content": message.content}
            if message.tool_call_id is not None:
                item["tool_call_id"] = message.tool_call_id
            if message.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.id or f"call_{i}_{j}",
                        "name": call.name,
                        "arguments": call.arguments,
                    }
                    for j, call in enumerate(message.tool_calls)
                ]
            messages.append(item)
        tools: list[JsonValue] = [
            {"name": t.name, "description": t.description, "parameters": t.parameters}
            for t in request.tools
        ]
        body: dict[str, Any] = {"model": request.model, "messages": messages, "tools": tools}
        return body
