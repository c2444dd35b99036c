"""strands' ``LiteLLMModel.stream`` (strands-agents' litellm provider), model level.

Seam: ``LiteLLMModel(client_args={"client": openai.AsyncOpenAI(base_url=..., api_key=...,
http_client=httpx.AsyncClient(transport=ctx.transport("httpx"))), "api_base": ...,
"api_key": ...}, model_id="openai/<model>", params={...})``. strands spreads
``client_args`` into every ``litellm.acompletion`` call, and litellm sends with the client
it is given, so nothing is patched. litellm is prepared by
:mod:`harness.drivers.litellm_hygiene`.

Retries, as shipped: strands adds none and passes no ``max_retries``, so litellm's default
applies: the OpenAI client is retried twice by the SDK (see ``litellm_chat``).
``ctx.options["max_retries"]`` goes into ``client_args`` when set.

Streaming is strands' default; a non-streaming scenario sets ``params={"stream": False}``,
which strands 1.36 honours (``_handle_non_streaming_response``). strands builds the whole
request itself (it always adds ``stream_options.include_usage``).

The conversation is given in strands' own format: text blocks, ``toolUse`` blocks on the
assistant turn, and consecutive tool results as ``toolResult`` blocks of one user turn;
system messages become ``system_prompt_content`` blocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import finish_event, mapped_stream, tool_call_event
from harness.drivers.contract import Contract
from harness.drivers.contracts import STRANDS_LITELLM
from harness.drivers.litellm_chat import LITELLM_IMPORTS, litellm_client
from harness.drivers.recipe import Recipe
from harness.scenario.model import FinishReason, Request, Scenario
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent

__all__ = ["STRANDS_STOP", "StrandsEvents", "StrandsLiteLLMDriver", "strands_messages"]

STRANDS_STOP: Mapping[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
"""strands ``stopReason`` values in the harness vocabulary."""


class StrandsLiteLLMDriver(DriverBase):
    """``strands.models.litellm.LiteLLMModel(...).stream(...)``."""

    name: ClassVar[str] = "strands-litellm"
    contract: ClassVar[Contract] = STRANDS_LITELLM
    dialect: ClassVar[str] = "openai-chat"
    requires: ClassVar[tuple[str, ...]] = ("strands", "litellm", "openai")
    extra: ClassVar[str] = "strands"
    distributions: ClassVar[tuple[str, ...]] = ("strands-agents", "litellm", "openai", "httpx")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        _litellm_env.load_litellm()
        import httpx
        import openai
        from strands.models.litellm import LiteLLMModel

        _litellm_env.flush_clients()
        request = ctx.scenario.request
        api_base = ctx.base_url + "/v1"
        messages, system = strands_messages(request)
        params: dict[str, Any] = {}
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        if not request.stream:
            params["stream"] = False
        try:
            async with httpx.AsyncClient(transport=ctx.transport("httpx")) as http:
                client_args: dict[str, Any] = {
                    "client": openai.AsyncOpenAI(
                        base_url=api_base, api_key=ctx.api_key, http_client=http
                    ),
                    "api_base": api_base,
                    "api_key": ctx.api_key,
                }
                if "max_retries" in ctx.options:
                    client_args["max_retries"] = ctx.options["max_retries"]
                model: Any = LiteLLMModel(
                    client_args=client_args, model_id=f"openai/{request.model}", params=params
                )
                specs = [
                    {
                        "name": tool.name,
                        "description": tool.description,
                        "inputSchema": {"json": tool.parameters},
                    }
                    for tool in request.tools
                ]
                items = model.stream(messages, specs or None, system_prompt_content=system or None)
                async with aclosing(mapped_stream(items, StrandsEvents())) as events:
                    async for event in events:
                        yield event
        finally:
            await _litellm_env.settle()

    def repro(self, scenario: Scenario) -> Recipe:
        """``LiteLLMModel(client_args=...).stream(...)`` with an ``AsyncOpenAI`` client on
        the reproducer's transport, read as :class:`StrandsEvents` does."""
        request = scenario.request
        messages, system = strands_messages(request)
        params: dict[str, Any] = {}
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        if not request.stream:
            params["stream"] = False
        specs = [
            {"name": t.name, "description": t.description, "inputSchema": {"json": t.parameters}}
            for t in request.tools
        ]
        return Recipe(
            library="strands-agents (sdk-python)",
            tracker="https://github.com/strands-agents/sdk-python/issues",
            imports=LITELLM_IMPORTS + "from strands.models.litellm import LiteLLMModel\n",
            request={
                "model_id": f"openai/{request.model}",
                "params": params,
                "messages": messages,
                "tool_specs": specs or None,
                "system_prompt_content": system or None,
            },
            call=litellm_client(STRANDS_READ),
            finish=dict(STRANDS_STOP),
        )


STRANDS_READ = """\
model = LiteLLMModel(
    client_args={"client": client, "api_base": BASE_URL + "/v1", "api_key": API_KEY},
    model_id=REQUEST["model_id"],
    params=REQUEST["params"],
)
events = model.stream(
    REQUEST["messages"],
    REQUEST["tool_specs"],
    system_prompt_content=REQUEST["system_prompt_content"],
)
tool = None
async for event in events:
    start = event.get("contentBlockStart", {}).get("start", {})
    if "toolUse" in start:
        use = start["toolUse"]
        tool = {"id": use["toolUseId"], "name": use["name"], "arguments": ""}
    delta = event.get("contentBlockDelta", {}).get("delta", {})
    out["text"] += delta.get("text", "")
    out["reasoning"] += delta.get("reasoningContent", {}).get("text", "")
    if "toolUse" in delta and tool is not None:
        tool["arguments"] += delta["toolUse"].get("input", "")
    if "contentBlockStop" in event and tool is not None:
        out["tool_calls"].append(tool)
        tool = None
    if "messageStop" in event:
        out["finish"] = event["messageStop"].get("stopReason")
    usage = event.get("metadata", {}).get("usage")
    if usage is not None:
        out["usage"] = {"input": usage.get("inputTokens"), "output": usage.get("outputTokens")}
"""


class StrandsEvents:
    """Maps strands ``StreamEvent`` dicts to events.

    Text and reasoning deltas as they come; a tool call at its ``contentBlockStop``; usage
    from ``metadata``; the finish from ``messageStop``, held until :meth:`close` because
    strands sends ``metadata`` after it.
    """

    def __init__(self) -> None:
        self._tool: tuple[str | None, str | None] | None = None
        self._pieces: list[str] = []
        self._finish: FinishEvent | None = None

    def feed(self, item: Mapping[str, Any]) -> list[Event]:
        events: list[Event] = []
        if "contentBlockStart" in item:
            tool = (item["contentBlockStart"].get("start") or {}).get("toolUse")
            if tool is not None:
                self._tool, self._pieces = (tool.get("toolUseId"), tool.get("name")), []
        if "contentBlockDelta" in item:
            delta = item["contentBlockDelta"].get("delta") or {}
            if delta.get("text"):
                events.append(TextEvent(text=delta["text"]))
            reasoning = (delta.get("reasoningContent") or {}).get("text")
            if reasoning:
                events.append(ReasoningEvent(text=reasoning))
            if "toolUse" in delta:
                self._pieces.append(delta["toolUse"].get("input") or "")
        if "contentBlockStop" in item:
            events.extend(self._end_tool())
        if "messageStop" in item and self._finish is None:
            reason = item["messageStop"].get("stopReason")
            self._finish = (
                finish_event(str(reason), STRANDS_STOP)
                if reason is not None
                else FinishEvent(reason=None, raw=None)
            )
        if "metadata" in item:
            usage = item["metadata"].get("usage")
            if usage is not None:
                events.append(
                    UsageEvent(
                        input=usage.get("inputTokens"),
                        output=usage.get("outputTokens"),
                        cache_read=usage.get("cacheReadInputTokens"),
                        cache_write=usage.get("cacheWriteInputTokens"),
                    )
                )
        return events

    def close(self) -> list[Event]:
        """A tool block left open, then the finish (if strands gave one)."""
        events = self._end_tool()
        if self._finish is not None:
            events.append(self._finish)
        return events

    def _end_tool(self) -> list[Event]:
        if self._tool is None:
            return []
        (call_id, name), text = self._tool, "".join(self._pieces)
        self._tool, self._pieces = None, []
        return [tool_call_event(call_id, name, text)]


def strands_messages(request: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(messages, system_prompt_content)`` in strands' content-block format."""
    messages: list[dict[str, Any]] = []
    system: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        if message.role == "system":
            system.append({"text": message.content})
            continue
        if message.role == "tool":
            result = {
                "toolResult": {
                    "toolUseId": message.tool_call_id or "",
                    "status": "success",
                    "content": [{"text": message.content}],
                }
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "user" and _all_results(last["content"]):
                last["content"].append(result)
            else:
                messages.append({"role": "user", "content": [result]})
            continue
        content: list[dict[str, Any]] = []
        if message.content or not message.tool_calls:
            content.append({"text": message.content})
        for c_index, call in enumerate(message.tool_calls):
            content.append(
                {
                    "toolUse": {
                        "toolUseId": call.id or f"call_{m_index}_{c_index}",
                        "name": call.name,
                        "input": dict(call.arguments),
                    }
                }
            )
        messages.append({"role": message.role, "content": content})
    return messages, system


def _all_results(blocks: list[dict[str, Any]]) -> bool:
    return bool(blocks) and all("toolResult" in block for block in blocks)
