"""The reference client of each dialect, called the way an application calls it.

Each client returns a :class:`Result` (the text and the tool calls it got), so a test can
check that a replayed cassette gives the client back exactly what the recording gave it.
The SDKs are optional: each is imported when its dialect is called.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CLIENTS", "DEFAULT_SCENARIOS", "KEY", "Result", "call"]

KEY = "sk-local-recording-placeholder-key"
"""The key the clients send. The local server ignores it; recording redacts it anyway."""
PROMPT = [{"role": "user", "content": "Say hello in one short sentence."}]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@dataclass
class Result:
    """What the client got: the streamed text and the tool calls (name, arguments)."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _openai_chat(base: str, tools: bool) -> Result:
    import openai

    client = openai.OpenAI(base_url=base + "/v1", api_key=KEY, max_retries=0)
    extra: dict[str, Any] = {}
    if tools:
        extra["tools"] = [{"type": "function", "function": WEATHER_TOOL}]
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=PROMPT,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        **extra,
    )
    result, calls = Result(), dict[int, list[str]]()
    for chunk in stream:
        for choice in chunk.choices:
            result.text += choice.delta.content or ""
            for tc in choice.delta.tool_calls or ():
                slot = calls.setdefault(tc.index, ["", ""])
                if tc.function is not None:
                    slot[0] += tc.function.name or ""
                    slot[1] += tc.function.arguments or ""
    result.tool_calls = [(n, json.loads(a or "{}")) for n, a in calls.values()]
    return result


def _openai_responses(base: str, tools: bool) -> Result:
    import openai

    client = openai.OpenAI(base_url=base + "/v1", api_key=KEY, max_retries=0)
    extra: dict[str, Any] = {}
    if tools:
        extra["tools"] = [{"type": "function", **WEATHER_TOOL}]
    result = Result()
    for event in client.responses.create(
        model="gpt-4o-mini",
        input=PROMPT,
        stream=True,
        **extra,  # type: ignore[arg-type]
    ):
        if event.type == "response.output_text.delta":
            result.text += event.delta
        elif event.type == "response.output_item.done" and event.item.type == "function_call":
            result.tool_calls.append((event.item.name, json.loads(event.item.arguments or "{}")))
    return result


def _anthropic_messages(base: str, tools: bool) -> Result:
    import anthropic

    client = anthropic.Anthropic(base_url=base, api_key=KEY, max_retries=0)
    extra: dict[str, Any] = {}
    if tools:
        extra["tools"] = [
            {
                "name": WEATHER_TOOL["name"],
                "description": WEATHER_TOOL["description"],
                "input_schema": WEATHER_TOOL["parameters"],
            }
        ]
    with client.messages.stream(
        model="claude-sonnet-4-5",
        max_tokens=256,
        messages=PROMPT,
        **extra,  # type: ignore[arg-type]
    ) as stream:
        message = stream.get_final_message()
    result = Result()
    for block in message.content:
        if block.type == "text":
            result.text += block.text
        elif block.type == "tool_use":
            result.tool_calls.append((block.name, dict(block.input)))  # type: ignore[call-overload]
    return result


def _azure_agents(base: str, tools: bool) -> Result:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch at import
    import litellm

    result = Result()

    async def run() -> None:
        stream = await litellm.acompletion(
            model="azure_ai/agents/asst_local",
            messages=PROMPT,
            api_base=base + "/api/projects/harness",
            api_key=KEY,
            stream=True,
        )
        async for chunk in stream:
            for choice in chunk.choices:
                result.text += choice.delta.content or ""

    asyncio.run(run())
    return result


def _gateway(base: str, tools: bool) -> Result:
    from examples.gateway_client import GatewayClient

    result = Result()

    async def run() -> None:
        async with GatewayClient(base, lambda: KEY, max_retries=0) as client:
            async for chunk in client.chat_stream(
                PROMPT, model="gpt-4o-mini", tools=[WEATHER_TOOL] if tools else None
            ):
                result.text += chunk.content
                result.tool_calls += [(c.name, c.arguments) for c in chunk.tool_calls]

    asyncio.run(run())
    return result


def _gemini(base: str, tools: bool) -> Result:
    from google import genai
    from google.genai import types

    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=base))
    config = types.GenerateContentConfig()
    if tools:
        declaration = types.FunctionDeclaration(
            name=WEATHER_TOOL["name"],
            description=WEATHER_TOOL["description"],
            parameters_json_schema=WEATHER_TOOL["parameters"],
        )
        config.tools = [types.Tool(function_declarations=[declaration])]
        config.automatic_function_calling = types.AutomaticFunctionCallingConfig(disable=True)
    result = Result()
    with client:
        for chunk in client.models.generate_content_stream(
            model="gemini-2.5-flash", contents=PROMPT[0]["content"], config=config
        ):
            for candidate in chunk.candidates or []:
                for part in (candidate.content.parts if candidate.content else None) or []:
                    if part.function_call is not None:
                        call = part.function_call
                        result.tool_calls.append((call.name or "", dict(call.args or {})))
                    elif part.text:
                        result.text += part.text
    return result


def _ollama(base: str, tools: bool) -> Result:
    import ollama

    extra: dict[str, Any] = {}
    if tools:
        extra["tools"] = [{"type": "function", "function": WEATHER_TOOL}]
    result = Result()
    # a key, as Ollama's cloud API takes one (a local server ignores it)
    with ollama.Client(host=base, headers={"Authorization": f"Bearer {KEY}"}) as client:
        for chunk in client.chat(model="llama3.2", messages=PROMPT, stream=True, **extra):
            result.text += chunk.message.content or ""
            for call in chunk.message.tool_calls or []:
                result.tool_calls.append((call.function.name, dict(call.function.arguments)))
    return result


def _bedrock_converse(base: str, tools: bool) -> Result:
    """litellm's Bedrock Converse route on httpx (``bedrock/converse/...``), streamed: the
    AWS event stream as it comes, recorded read by read."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch at import
    import litellm
    from litellm.llms.custom_httpx.http_handler import HTTPHandler

    extra: dict[str, Any] = {}
    if tools:
        extra["tools"] = [{"type": "function", "function": WEATHER_TOOL}]
    handler = HTTPHandler()  # a client of this call's own (litellm caches its default one)
    stream = litellm.completion(
        client=handler,
        model="bedrock/converse/anthropic.claude-3-5-haiku-20241022-v1:0",
        messages=PROMPT,
        api_base=base,
        aws_access_key_id="AKIALOCALRECORDING00",
        aws_secret_access_key=KEY,
        aws_region_name="us-east-1",
        stream=True,
        max_retries=0,
        **extra,
    )
    result, calls = Result(), dict[int, list[str]]()
    for chunk in stream:
        for choice in chunk.choices:
            result.text += choice.delta.content or ""
            for tc in choice.delta.tool_calls or ():
                slot = calls.setdefault(tc.index, ["", ""])
                slot[0] += tc.function.name or ""
                slot[1] += tc.function.arguments or ""
    result.tool_calls = [(n, json.loads(a or "{}")) for n, a in calls.values()]
    handler.close()
    return result


def _cohere_v2(base: str, tools: bool) -> Result:
    import cohere
    import httpx

    http = httpx.Client()  # closed below: the SDK's own client would be left open
    client = cohere.ClientV2(api_key=KEY, base_url=base, max_retries=0, httpx_client=http)
    extra: dict[str, Any] = {}
    if tools:
        extra["tools"] = [{"type": "function", "function": WEATHER_TOOL}]
    result, calls = Result(), dict[int, list[str]]()
    for event in client.chat_stream(model="command-a-03-2025", messages=PROMPT, **extra):
        if event.type == "content-delta":
            result.text += event.delta.message.content.text or ""  # type: ignore[union-attr]
        elif event.type == "tool-call-start":
            call = event.delta.message.tool_calls  # type: ignore[union-attr]
            calls[event.index] = [call.function.name, call.function.arguments or ""]
        elif event.type == "tool-call-delta":
            calls[event.index][1] += event.delta.message.tool_calls.function.arguments or ""  # type: ignore[union-attr]
    result.tool_calls = [(n, json.loads(a or "{}")) for n, a in calls.values()]
    http.close()
    return result


CLIENTS: dict[str, Callable[[str, bool], Result]] = {
    "openai-chat": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic-messages": _anthropic_messages,
    "azure-agents": _azure_agents,
    "gateway": _gateway,
    "gemini": _gemini,
    "ollama": _ollama,
    "bedrock-converse": _bedrock_converse,
    "cohere-v2": _cohere_v2,
}
"""Dialect -> client(base_url, with_tools) -> Result."""

DEFAULT_SCENARIOS: dict[str, str] = {
    "openai-chat": "text-plain",
    "openai-responses": "text-plain",
    "anthropic-messages": "text-plain",
    "azure-agents": "azure-stream-text",
    "gateway": "text-plain",
    "gemini": "text-plain",
    "ollama": "text-plain",
    "bedrock-converse": "tool-call-fragmented",
    "cohere-v2": "text-plain",
}


def call(dialect: str, base: str, *, tools: bool = False) -> Result:
    """Call ``base`` with the reference client of ``dialect``."""
    return CLIENTS[dialect](base, tools)
