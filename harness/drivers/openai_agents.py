"""The OpenAI Agents SDK's models (``openai-agents``), at the model level every agent run
goes through: ``OpenAIChatCompletionsModel.stream_response`` (chat completions, turned into
Responses stream events by the SDK) and ``OpenAIResponsesModel.stream_response`` (the
Responses API).

Seam: the model's ``openai_client=openai.AsyncOpenAI(base_url=ctx.base_url + "/v1",
api_key=..., http_client=httpx.AsyncClient(transport=ctx.transport("httpx")))``. Handing
the client in matters: otherwise the SDK takes its process-wide default client
(``set_default_openai_client``, agents/models/_openai_shared.py:10-33) or builds one on its
shared ``httpx`` client (``shared_http_client``, agents/models/openai_provider.py:31-42),
which a replay could never reach. The base URL is the provider's real one by default
(harness serves at ``https://api.openai.com``): the SDK changes what it sends for the
official host (``is_official_openai_client``, agents/models/openai_client_utils.py:8-18).
Nothing is patched; tracing is off (``ModelTracing.DISABLED``).

Retries: the model level adds none (the Runner's retry policy is not in play); the OpenAI
client's shipped ``max_retries`` (2) apply. ``ctx.options["max_retries"]`` overrides them.

The conversation is given as Responses input items, the scenario's tools as
``FunctionTool``s (never invoked: the model level only reports calls), ``max_tokens`` as
``ModelSettings.max_tokens``. Both models yield Responses stream events, mapped by
:class:`harness.drivers.openai_sdk_responses.ResponsesStream`; the terminal event's finish
is held until the stream has ended (:class:`AgentsStream`), because the SDK raises after yielding a
``response.incomplete``/``response.failed`` event (agents/models/openai_responses.py:
611-661), and that error, not the event before it, is what the caller gets. Only streamed
scenarios run (``stream_response``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import http_client, mapped_stream
from harness.drivers.contract import Contract
from harness.drivers.contracts import OPENAI_AGENTS
from harness.drivers.openai_sdk_responses import (
    INCOMPLETE_FINISH,
    ResponsesStream,
    responses_input,
)
from harness.drivers.recipe import Recipe
from harness.scenario.model import Request, Scenario
from harness.vocab.events import ErrorEvent, Event, FinishEvent

__all__ = [
    "AgentsStream",
    "OpenAIAgentsChatDriver",
    "OpenAIAgentsDriver",
    "OpenAIAgentsResponsesDriver",
    "function_tools",
]


class OpenAIAgentsDriver(DriverBase):
    """An ``agents`` model's ``stream_response`` on the replay."""

    contract: ClassVar[Contract] = OPENAI_AGENTS
    requires: ClassVar[tuple[str, ...]] = ("agents", "openai")
    extra: ClassVar[str] = "openai-agents"
    distributions: ClassVar[tuple[str, ...]] = ("openai-agents", "openai", "httpx")
    model_class: ClassVar[str]
    """The class in ``agents.models`` (``openai_chatcompletions`` or ``openai_responses``)."""

    def supports(self, scenario: Scenario) -> str | None:
        if not scenario.request.stream:
            return "the driver calls Model.stream_response (streamed only)"
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import openai
        from agents import ModelSettings
        from agents.models.interface import ModelTracing

        request = ctx.scenario.request
        async with http_client(ctx) as http:
            client = openai.AsyncOpenAI(
                base_url=ctx.base_url + "/v1",
                api_key=ctx.api_key,
                http_client=http,
                max_retries=ctx.options.get("max_retries", openai.DEFAULT_MAX_RETRIES),
            )
            model = self.model(request.model, client)
            items = model.stream_response(
                system_instructions=None,
                input=responses_input(request),
                model_settings=ModelSettings(max_tokens=request.max_tokens),
                tools=function_tools(request),
                output_schema=None,
                handoffs=[],
                tracing=ModelTracing.DISABLED,
            )
            async with aclosing(mapped_stream(items, AgentsStream())) as events:
                async for event in events:
                    yield event

    def repro(self, scenario: Scenario) -> Recipe:
        """The same model and ``stream_response`` call on the reproducer's transport, the
        events read as :class:`AgentsStream` reads them."""
        request = scenario.request
        return Recipe(
            library="openai-agents-python",
            tracker="https://github.com/openai/openai-agents-python/issues",
            imports=AGENTS_IMPORTS,
            request={
                "model": request.model,
                "input": responses_input(request),
                "tools": [
                    {
                        "name": t.name,
                        "description": t.description,
                        "params_json_schema": dict(t.parameters),
                    }
                    for t in request.tools
                ],
                "max_tokens": request.max_tokens,
            },
            call=AGENTS_CALL.replace("MODEL", self.model_class),
            finish={
                "completed": "stop",
                "completed with function calls": "tool_calls",
                **INCOMPLETE_FINISH,
            },
            helpers=AGENTS_HELPERS,
            pieces=True,
        )

    def model(self, name: str, client: Any) -> Any:
        """The SDK's model class on ``client``."""
        import agents

        return getattr(agents, self.model_class)(model=name, openai_client=client)


class OpenAIAgentsChatDriver(OpenAIAgentsDriver):
    """``agents.OpenAIChatCompletionsModel.stream_response`` (chat completions)."""

    name: ClassVar[str] = "openai-agents-chat"
    dialect: ClassVar[str] = "openai-chat"
    model_class: ClassVar[str] = "OpenAIChatCompletionsModel"


class OpenAIAgentsResponsesDriver(OpenAIAgentsDriver):
    """``agents.OpenAIResponsesModel.stream_response`` (the Responses API)."""

    name: ClassVar[str] = "openai-agents-responses"
    dialect: ClassVar[str] = "openai-responses"
    model_class: ClassVar[str] = "OpenAIResponsesModel"


AGENTS_IMPORTS = """\
import agents
import httpx
import openai
from agents import FunctionTool, ModelSettings
from agents.models.interface import ModelTracing
"""

AGENTS_HELPERS = '''\
async def not_invoked(context, arguments):
    raise AssertionError("the model level does not run tools")


def read_end(out, event):
    """The last terminal event, read once the stream has ended: the SDK raises after a
    response.incomplete or response.failed event, and that error is what the caller gets."""
    if event.type == "error":
        raise RuntimeError(f"error event: {event.code}: {event.message}")
    response = event.response
    if response.usage is not None:
        out["usage"] = {
            "input": response.usage.input_tokens,
            "output": response.usage.output_tokens,
        }
    status = response.status
    if event.type == "response.completed" and status is None:
        status = "completed"  # the chat model's Response has no status; the Runner reads the type
    if status == "failed":
        raise RuntimeError(f"response.failed: {response.error}")
    if status == "incomplete":
        details = response.incomplete_details
        out["finish"] = (details.reason if details is not None else None) or "incomplete"
    elif status == "completed":  # with function calls, a tool-call reply (the Runner's reading)
        out["finish"] = "completed with function calls" if out["tool_calls"] else "completed"
'''

AGENTS_CALL = """\
out["pieces"] = []
async with httpx.AsyncClient(transport=transport) as http:
    client = openai.AsyncOpenAI(base_url=BASE_URL + "/v1", api_key=API_KEY, http_client=http)
    model = agents.MODEL(model=REQUEST["model"], openai_client=client)
    tools = [
        FunctionTool(**tool, on_invoke_tool=not_invoked, strict_json_schema=False)
        for tool in REQUEST["tools"]
    ]
    events = model.stream_response(
        system_instructions=None,
        input=REQUEST["input"],
        model_settings=ModelSettings(max_tokens=REQUEST["max_tokens"]),
        tools=tools,
        output_schema=None,
        handoffs=[],
        tracing=ModelTracing.DISABLED,
    )
    end = None
    async for event in events:
        if event.type == "response.output_text.delta":
            out["pieces"].append(event.delta or "")
            out["text"] += event.delta or ""
        elif event.type in (
            "response.reasoning_summary_text.delta",
            "response.reasoning_text.delta",
        ):
            out["reasoning"] += event.delta or ""
        elif event.type == "response.refusal.delta":
            out["refusal"] += event.delta or ""
        elif event.type == "response.output_item.done" and event.item.type == "function_call":
            item = event.item
            out["tool_calls"].append(
                {"id": item.call_id or item.id, "name": item.name, "arguments": item.arguments}
            )
        elif event.type in (
            "response.completed",
            "response.incomplete",
            "response.failed",
            "error",
        ):
            end = event
    if end is not None:
        read_end(out, end)
"""
"""The recipe body: ``MODEL`` is the model class in ``agents``."""


def function_tools(request: Request) -> list[Any]:
    """The scenario's tools as ``agents.FunctionTool``s; the model level never invokes them."""
    from agents import FunctionTool

    async def not_invoked(_context: Any, _arguments: str) -> str:
        raise AssertionError("the model level does not run tools")

    return [
        FunctionTool(
            name=tool.name,
            description=tool.description,
            params_json_schema=dict(tool.parameters),
            on_invoke_tool=not_invoked,
            strict_json_schema=False,
        )
        for tool in request.tools
    ]


class AgentsStream:
    """:class:`ResponsesStream` read the way the SDK's own Runner reads its models' events,
    with the finish and error events held until the normal end of the stream
    (:meth:`close`): an exception raised after them makes them moot.

    The Runner takes a ``response.completed`` event as the end of the turn by its type
    alone (agents/run_internal/run_loop.py:1879-1881); the chat model's synthesized
    ``Response`` carries no ``status`` (agents/models/openai_chatcompletions.py:752-764), so
    such an event is read as ``completed``.
    """

    def __init__(self) -> None:
        self._inner = ResponsesStream()
        self._held: list[Event] = []

    def feed(self, item: Any) -> list[Event]:
        out: list[Event] = []
        response = getattr(item, "response", None)
        completed = getattr(item, "type", None) == "response.completed"
        if completed and response is not None and getattr(response, "status", None) is None:
            item = item.model_copy(
                update={"response": response.model_copy(update={"status": "completed"})}
            )
        for event in self._inner.feed(item):
            if isinstance(event, FinishEvent | ErrorEvent):
                self._held.append(event)
            else:
                out.append(event)
        return out

    def close(self) -> list[Event]:
        held, self._held = self._held, []
        return held
