"""pydantic-ai's ``Agent.run_stream``, the way most applications call pydantic-ai, over
``OpenAIChatModel`` (chat completions).

The agent is built as an application with tools it does not run itself builds it:
``Agent(model, output_type=[str, DeferredToolRequests], toolsets=[ExternalToolset(defs)])``
(pydantic-ai's documented external-tool pattern, pydantic_ai/toolsets/external.py:15-19),
so a reply with tool calls ends the run with ``DeferredToolRequests`` instead of the agent
calling a tool and asking the model again, and a text reply ends it with the text. The
scenario's conversation is the ``message_history`` (ending in the user's turn, which the
agent sends), ``max_tokens`` goes into ``model_settings``.

The run is read with ``StreamedRunResult.stream_response(debounce_by=None)``, the
snapshot stream every output type supports: each snapshot's new text and thinking are
yielded as deltas; once the stream ends, the final ``result.response`` gives the tool
calls, usage and finish (:mod:`harness.drivers.pydantic_ai_common`). A refusal the agent
raises as ``ContentFilterError`` is passed on as the refusal before the error. Only
streamed scenarios run (``run_stream`` streams).

Seam and retries: :func:`harness.drivers.pydantic_ai_models.openai_model`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import PYDANTIC_AI_OPENAI
from harness.drivers.pydantic_ai_common import (
    model_settings,
    pydantic_messages,
    refusal_of,
    response_end_events,
    tool_definitions,
)
from harness.drivers.pydantic_ai_models import openai_model
from harness.drivers.pydantic_ai_repro import agent_recipe
from harness.drivers.recipe import Recipe
from harness.scenario.model import Scenario
from harness.vocab.events import Event, ReasoningEvent, RefusalEvent, TextEvent

__all__ = ["PydanticAIAgentDriver", "SnapshotDeltas"]


class PydanticAIAgentDriver(DriverBase):
    """``pydantic_ai.Agent(OpenAIChatModel(...)).run_stream(...)``."""

    name: ClassVar[str] = "pydantic-ai-agent"
    dialect: ClassVar[str] = "openai-chat"
    contract: ClassVar[Contract] = PYDANTIC_AI_OPENAI
    requires: ClassVar[tuple[str, ...]] = ("pydantic_ai", "openai")
    extra: ClassVar[str] = "pydantic-ai"
    distributions: ClassVar[tuple[str, ...]] = ("pydantic-ai-slim", "openai", "httpx")

    def supports(self, scenario: Scenario) -> str | None:
        if not scenario.request.stream:
            return "Agent.run_stream streams (a non-streamed call is Agent.run)"
        return None

    def repro(self, scenario: Scenario) -> Recipe:
        """The same agent and run on the reproducer's transport
        (:mod:`harness.drivers.pydantic_ai_repro`)."""
        return agent_recipe(scenario.request)

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from pydantic_ai.exceptions import ContentFilterError

        try:
            async for event in self._run(ctx):
                yield event
        except ContentFilterError as exc:
            refusal = refusal_of(exc)
            if refusal:  # the refusal reaches the caller inside the error: pass it on
                yield RefusalEvent(text=refusal)
            raise

    async def _run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from pydantic_ai import Agent, DeferredToolRequests
        from pydantic_ai.toolsets import ExternalToolset

        request = ctx.scenario.request
        async with openai_model(ctx, "OpenAIChatModel") as model:
            defs = tool_definitions(request)
            agent: Any = Agent(
                model,
                output_type=[str, DeferredToolRequests],
                toolsets=[ExternalToolset(defs)] if defs else None,
            )
            deltas = SnapshotDeltas()
            async with agent.run_stream(
                message_history=pydantic_messages(request),
                model_settings=model_settings(request),
            ) as result:
                async for snapshot in result.stream_response(debounce_by=None):
                    for event in deltas.feed(snapshot):
                        yield event
                final = result.response
            for event in deltas.feed(final) + response_end_events(final):
                yield event


class SnapshotDeltas:
    """The text and thinking each ``ModelResponse`` snapshot adds to the one before."""

    def __init__(self) -> None:
        self._text = ""
        self._thinking = ""

    def feed(self, snapshot: Any) -> list[Event]:
        from pydantic_ai.messages import TextPart, ThinkingPart

        text = "".join(p.content for p in snapshot.parts if isinstance(p, TextPart))
        thinking = "".join(p.content for p in snapshot.parts if isinstance(p, ThinkingPart))
        events: list[Event] = []
        new_thinking = _added(self._thinking, thinking)
        if new_thinking:
            events.append(ReasoningEvent(text=new_thinking))
        new_text = _added(self._text, text)
        if new_text:
            events.append(TextEvent(text=new_text))
        self._text, self._thinking = text, thinking
        return events


def _added(before: str, now: str) -> str:
    """What ``now`` adds to ``before`` (all of ``now`` if it does not extend it)."""
    return now[len(before) :] if now.startswith(before) else now
