"""litellm's Azure AI Foundry Agents handler (``model="azure_ai/agents/<agent_id>"``), in
the three ways an application calls it, each its own driver:

- ``litellm-azure-agents``: ``litellm.completion`` (sync): thread, messages, run, polling
  with ``time.sleep``, messages list;
- ``litellm-azure-agents-async``: ``litellm.acompletion``: the same flow, ``asyncio.sleep``;
- ``litellm-azure-agents-stream``: ``litellm.acompletion(stream=True)``: one
  create-thread-and-run SSE stream; ``stream_options={"include_usage": True}`` as an
  application that wants usage must ask (on this route it changes nothing, checked).

Seam: the handler builds its own httpx clients and takes no ``client``, so
:func:`harness.drivers.litellm_hygiene.serving_handlers` puts the replay transport where
litellm picks one (``AsyncHTTPHandler._create_async_transport``, ``litellm.sync_transport``)
for the run only. The polling sleeps are on virtual time: the runner drives on a virtual
loop with ``time.sleep`` patched for this thread, and the handler calls ``time.sleep`` /
``asyncio.sleep`` through their modules, so a 30-poll run costs no wall time.

What is passed: the agent id (``request.model``, ``asst_``-prefixed when it names a model, see
:func:`harness.dialects.azure_agents.agent_id`); the messages as chat messages;
``api_base`` (``<base>/api/projects/harness``) and ``api_key`` (sent as a Bearer token);
every ``request.options`` entry as a keyword argument as it is (``thread_id``,
``api_version``, ``instructions``...). Not passed: ``tools`` and ``max_tokens``: an agent's
tools live on the agent, and litellm declares only ``stream`` supported for this route.
Retries as shipped: litellm's ``num_retries`` is unset, so nothing retries unless an option
says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar, Literal

from harness.dialects.azure_agents import agent_id
from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverContext
from harness.drivers.common import (
    ChatStream,
    completion_events,
    mapped_stream,
    openai_messages,
)
from harness.scenario.model import Scenario
from harness.vocab.events import Event

__all__ = [
    "API_BASE_PATH",
    "AzureAgentsAsyncDriver",
    "AzureAgentsDriver",
    "AzureAgentsStreamDriver",
    "agent_kwargs",
]

API_BASE_PATH = "/api/projects/harness"
"""Appended to the replay's base URL: the shape of a Foundry project endpoint."""

Mode = Literal["sync", "async", "stream"]


class _LiteLLMAzureAgents:
    """One call mode of litellm's Azure AI Agents route; subclasses name the mode."""

    name: ClassVar[str]
    mode: ClassVar[Mode]
    dialect: ClassVar[str] = "azure-agents"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ("litellm",)
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "httpx")
    """Installed distributions whose versions the transcript records."""

    def supports(self, scenario: Scenario) -> str | None:
        if self.mode == "stream" and not scenario.request.stream:
            return (
                "a polled run (request.stream false) needs litellm-azure-agents or "
                "litellm-azure-agents-async; this driver calls acompletion(stream=True)"
            )
        if self.mode != "stream" and scenario.request.stream:
            return (
                f"litellm's {'completion' if self.mode == 'sync' else 'acompletion'} without "
                "stream polls a run; a streamed scenario needs litellm-azure-agents-stream"
            )
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        kwargs = agent_kwargs(ctx)
        try:
            with _litellm_env.serving_handlers(ctx.transport("httpx")):
                if self.mode == "sync":
                    response = litellm.completion(**kwargs)
                    for event in completion_events(response):
                        yield event
                elif self.mode == "async":
                    response = await litellm.acompletion(**kwargs)
                    for event in completion_events(response):
                        yield event
                else:
                    stream = await litellm.acompletion(
                        **kwargs, stream=True, stream_options={"include_usage": True}
                    )
                    async with aclosing(mapped_stream(stream, ChatStream())) as events:
                        async for event in events:
                            yield event
        finally:
            await _litellm_env.settle()


def agent_kwargs(ctx: DriverContext) -> dict[str, Any]:
    """The keyword arguments of the litellm call, without ``stream``."""
    request = ctx.scenario.request
    return {
        "model": f"azure_ai/agents/{agent_id(request.model)}",
        "messages": openai_messages(request),
        "api_base": ctx.base_url + API_BASE_PATH,
        "api_key": ctx.api_key,
        **request.options,
    }


class AzureAgentsDriver(_LiteLLMAzureAgents):
    """``litellm.completion(model="azure_ai/agents/<id>")``: the polled flow, sync."""

    name: ClassVar[str] = "litellm-azure-agents"
    mode: ClassVar[Mode] = "sync"


class AzureAgentsAsyncDriver(_LiteLLMAzureAgents):
    """``litellm.acompletion(model="azure_ai/agents/<id>")``: the polled flow, async."""

    name: ClassVar[str] = "litellm-azure-agents-async"
    mode: ClassVar[Mode] = "async"


class AzureAgentsStreamDriver(_LiteLLMAzureAgents):
    """``litellm.acompletion(..., stream=True)``: one create-thread-and-run SSE stream."""

    name: ClassVar[str] = "litellm-azure-agents-stream"
    mode: ClassVar[Mode] = "stream"
