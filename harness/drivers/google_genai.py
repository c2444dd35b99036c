"""Google's official Gemini SDK, ``google-genai`` (``genai.Client().aio.models``), on httpx2.

Seam: ``http_options=HttpOptions(base_url=ctx.base_url, async_client_args={"transport":
ctx.transport("httpx2")})``. google-genai 3.6 sends with httpx2 by default (httpx when the
transport it is given is httpx's: ``google/genai/_api_client.py:1036-1103``), and its async
client with aiohttp when aiohttp is installed, unless ``async_client_args`` brings a
transport (``_use_aiohttp``, ``_api_client.py:1868-1875``): the transport given here is
the SDK's own documented way to choose its HTTP stack, nothing is patched.

Calls ``generate_content_stream`` (streamed) or ``generate_content``: the async twins of
``client.models.generate_content_stream``, on the same ``BaseApiClient``
(``async_request_streamed``, ``_api_client.py:2417-2451``, which raises ``APIError`` for a
``{"error": ...}`` chunk). The conversation as ``contents`` (assistant turns as ``model``
with ``function_call`` parts, tool results as ``function_response`` parts naming the
function of the call they answer), system messages as ``system_instruction``, tools as
function declarations with their JSON schema, ``max_output_tokens``; automatic function
calling is off (the scenario's tools are declarations, not Python functions). Each
``GenerateContentResponse`` goes through the Gemini dialect's normalizer
(:class:`harness.dialects.gemini.normalize.GeminiNormalizer`), which reads the SDK's objects.

Retries as shipped: none. ``retry_options`` unset is "never retry"
(``_api_client.py:805-816``: ``stop_after_attempt(1)``); ``ctx.options["retry_attempts"]``
turns on the SDK's ``HttpRetryOptions(attempts=N)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.dialects.gemini import gemini_model
from harness.dialects.gemini.normalize import GeminiNormalizer
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import mapped_stream
from harness.drivers.contract import Contract
from harness.drivers.contracts import GOOGLE_GENAI
from harness.scenario.model import Request
from harness.vocab.events import Event

__all__ = ["GoogleGenAIDriver", "genai_config", "genai_contents"]


class GoogleGenAIDriver(DriverBase):
    """``genai.Client().aio.models.generate_content_stream()`` / ``generate_content()``."""

    name: ClassVar[str] = "google-genai"
    contract: ClassVar[Contract] = GOOGLE_GENAI
    dialect: ClassVar[str] = "gemini"
    http_library: ClassVar[str] = "httpx2"
    requires: ClassVar[tuple[str, ...]] = ("google.genai", "httpx2")
    extra: ClassVar[str] = "gemini"
    distributions: ClassVar[tuple[str, ...]] = ("google-genai", "httpx2")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from google import genai
        from google.genai import types

        request = ctx.scenario.request
        options: dict[str, Any] = {
            "base_url": ctx.base_url,
            "async_client_args": {"transport": ctx.transport("httpx2")},
        }
        if "retry_attempts" in ctx.options:
            options["retry_options"] = types.HttpRetryOptions(
                attempts=int(ctx.options["retry_attempts"])
            )
        client = genai.Client(api_key=ctx.api_key, http_options=types.HttpOptions(**options))
        try:
            models = client.aio.models
            kwargs: dict[str, Any] = {
                "model": gemini_model(request.model),
                "contents": genai_contents(request),
                "config": genai_config(request),
            }
            normalizer = GeminiNormalizer()
            if not request.stream:
                response = await models.generate_content(**kwargs)
                for event in [*normalizer.feed(response), *normalizer.close()]:
                    yield event
                return
            stream = await models.generate_content_stream(**kwargs)
            async with aclosing(mapped_stream(stream, normalizer)) as events:
                async for event in events:
                    yield event
        finally:
            await client.aio.aclose()


def genai_contents(request: Request) -> list[dict[str, Any]]:
    """The conversation (system messages aside) as google-genai ``contents``: consecutive
    tool results one ``user`` turn of ``function_response`` parts."""
    names: dict[str, str] = {}
    contents: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            call_id = message.tool_call_id or ""
            answer = {
                "name": names.get(call_id, call_id),
                "response": {"result": message.content},
            }
            part = {"function_response": answer}
            last = contents[-1] if contents else None
            if last is not None and all("function_response" in p for p in last["parts"]):
                last["parts"].append(part)
            else:
                contents.append({"role": "user", "parts": [part]})
            continue
        parts: list[dict[str, Any]] = []
        if message.content:
            parts.append({"text": message.content})
        for call in message.tool_calls:
            if call.id:
                names[call.id] = call.name
            parts.append({"function_call": {"name": call.name, "args": call.arguments}})
        role = "model" if message.role == "assistant" else "user"
        contents.append({"role": role, "parts": parts or [{"text": ""}]})
    return contents


def genai_config(request: Request) -> dict[str, Any]:
    """``GenerateContentConfig`` fields: system instruction, tools, output limit."""
    config: dict[str, Any] = {"automatic_function_calling": {"disable": True}}
    system = [m.content for m in request.messages if m.role == "system"]
    if system:
        config["system_instruction"] = "\n\n".join(system)
    if request.tools:
        config["tools"] = [
            {
                "function_declarations": [
                    {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters_json_schema": tool.parameters,
                    }
                    for tool in request.tools
                ]
            }
        ]
    if request.max_tokens is not None:
        config["max_output_tokens"] = request.max_tokens
    return config
