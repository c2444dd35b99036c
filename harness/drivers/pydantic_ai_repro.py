"""The pydantic-ai drivers' reproduction recipes (:mod:`harness.drivers.recipe`): the model
built on the reproducer's transport through the provider seam the driver uses, called as
the driver calls it (``Model.request_stream``/``Model.request``, or ``Agent.run_stream``),
and what it yields read into ``out`` as :mod:`harness.drivers.pydantic_ai_common` maps it:
the text and thinking pieces as they stream, the finished ``ModelResponse``'s tool calls,
usage (0 is "not reported"), refusal and finish; a ``state`` other than ``complete`` or
``suspended`` is pydantic-ai saying the reply did not end, which the recipe raises as the
caller who checks it would.

The conversation is written as pydantic-ai's own message dicts (``kind``/``part_kind``),
validated back with ``ModelMessagesTypeAdapter`` in the file.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Mapping
from typing import Any

from harness.drivers.pydantic_ai_common import PYDANTIC_AI_FINISH, pydantic_messages, refusal_of
from harness.drivers.recipe import Recipe
from harness.scenario.model import Request

__all__ = [
    "PYDANTIC_AI_TRACKER",
    "agent_recipe",
    "finish_values",
    "message_dicts",
    "model_recipe",
]

PYDANTIC_AI_TRACKER = "https://github.com/pydantic/pydantic-ai/issues"

_KEEP = frozenset({"kind", "parts", "part_kind", "content", "tool_name", "args", "tool_call_id"})


def message_dicts(request: Request) -> list[Any]:
    """The conversation as pydantic-ai message dicts, only the fields the scenario sets."""
    from pydantic_ai.messages import ModelMessagesTypeAdapter

    dumped: list[Any] = _pruned(
        ModelMessagesTypeAdapter.dump_python(pydantic_messages(request), mode="json")
    )
    return dumped


def _pruned(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _pruned(v) for k, v in value.items() if k in _KEEP}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _request(request: Request) -> dict[str, Any]:
    return {
        "model": request.model,
        "messages": message_dicts(request),
        "tools": [
            {
                "name": t.name,
                "description": t.description,
                "parameters_json_schema": dict(t.parameters),
            }
            for t in request.tools
        ],
        "settings": {"max_tokens": request.max_tokens} if request.max_tokens is not None else None,
    }


_FINISH: dict[str, str | tuple[str, ...]] = {**PYDANTIC_AI_FINISH, "suspended": "paused"}

IMPORTS = """\
import httpx
from pydantic_ai.messages import (
    BaseToolCallPart,
    ModelMessagesTypeAdapter,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ThinkingPart,
    ThinkingPartDelta,
)
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.tools import ToolDefinition
"""

HELPERS = '''\
def read_event(out, event):
    """A streamed text or thinking piece."""
    if isinstance(event, PartStartEvent):
        if isinstance(event.part, TextPart):
            out["text"] += event.part.content
        elif isinstance(event.part, ThinkingPart):
            out["reasoning"] += event.part.content
    elif isinstance(event, PartDeltaEvent):
        if isinstance(event.delta, TextPartDelta):
            out["text"] += event.delta.content_delta or ""
        elif isinstance(event.delta, ThinkingPartDelta):
            out["reasoning"] += event.delta.content_delta or ""


def read_parts(out, response):
    """The text and thinking of a whole (not streamed) response."""
    for part in response.parts:
        if isinstance(part, TextPart):
            out["text"] += part.content
        elif isinstance(part, ThinkingPart):
            out["reasoning"] += part.content


def read_end(out, response):
    """Tool calls, refusal, usage and finish of the finished ModelResponse. A state other
    than complete (or suspended, a paused turn) is pydantic-ai saying the reply did not
    end: raised, as a caller that checks it would."""
    usage = response.usage
    if usage.input_tokens or usage.output_tokens:  # pydantic-ai counts 0 for "not reported"
        out["usage"] = {"input": usage.input_tokens, "output": usage.output_tokens}
    out["refusal"] = (response.provider_details or {}).get("refusal") or ""
    state = getattr(response, "state", "complete")
    if state not in ("complete", "suspended"):
        raise RuntimeError(
            f"ModelResponse.state={state!r} (finish_reason={response.finish_reason!r})"
        )
    for part in response.parts:
        if isinstance(part, BaseToolCallPart):
            args = part.args if isinstance(part.args, str) else json.dumps(part.args)
            call = {"id": part.tool_call_id, "name": part.tool_name, "arguments": args}
            out["tool_calls"].append(call)
    out["finish"] = "suspended" if state == "suspended" else response.finish_reason


def messages_and_tools():
    messages = ModelMessagesTypeAdapter.validate_python(REQUEST["messages"])
    tools = [ToolDefinition(**tool) for tool in REQUEST["tools"]]
    return messages, tools
'''

MODEL_CALL = """\
async with httpx.AsyncClient(transport=transport) as http:
    provider = PROVIDER
    model = MODEL(REQUEST["model"], provider=provider)
    messages, tools = messages_and_tools()
    params = ModelRequestParameters(function_tools=tools, allow_text_output=True)
"""

STREAMED = """\
async with model.request_stream(messages, REQUEST["settings"], params) as streamed:
    async for event in streamed:
        read_event(out, event)
    response = streamed.get()
read_end(out, response)
"""

NOT_STREAMED = """\
response = await model.request(messages, REQUEST["settings"], params)
read_parts(out, response)
read_end(out, response)
"""

OPENAI_PROVIDER = (
    'OpenAIProvider(base_url=BASE_URL + "/v1", api_key=API_KEY, http_client=http)',
    "from pydantic_ai.providers.openai import OpenAIProvider\n",
)

ANTHROPIC_PROVIDER = (
    "AnthropicProvider(\n"
    "        anthropic_client=anthropic.AsyncAnthropic(\n"
    "            base_url=BASE_URL, api_key=API_KEY, http_client=http\n"
    "        )\n"
    "    )",
    "import anthropic\nfrom pydantic_ai.providers.anthropic import AnthropicProvider\n",
)


def finish_values(dialect: str) -> dict[str, str | tuple[str, ...]]:
    """pydantic-ai's finish values in harness's words; on a wire whose finish does not name
    tool calls (a Responses ``completed``), ``stop`` is also a tool-call reply's finish, as
    the checks accept it (``harness.checks.wire.wire_names_tool_calls``)."""
    from harness.dialects import get_dialect

    finish = dict(_FINISH)
    if not getattr(get_dialect(dialect), "finish_names_tool_calls", True):
        finish["stop"] = ("stop", "tool_calls")
    return finish


def model_recipe(request: Request, model_class: str, dialect: str) -> Recipe:
    """``<model_class>(...).request_stream`` (or ``request``) on the reproducer's transport:
    ``OpenAIChatModel``/``OpenAIResponsesModel`` on an ``OpenAIProvider``, ``AnthropicModel``
    on an ``AnthropicProvider`` around an ``AsyncAnthropic`` (the SDK's shipped retries, as
    the drivers use them)."""
    anthropic = model_class == "AnthropicModel"
    provider, provider_import = ANTHROPIC_PROVIDER if anthropic else OPENAI_PROVIDER
    module = "anthropic" if anthropic else "openai"
    body = MODEL_CALL.replace("PROVIDER", provider).replace("MODEL", model_class)
    body += textwrap.indent(STREAMED if request.stream else NOT_STREAMED, "    ")
    return Recipe(
        library="pydantic-ai",
        tracker=PYDANTIC_AI_TRACKER,
        imports=IMPORTS + f"from pydantic_ai.models.{module} import {model_class}\n"
        f"{provider_import}",
        request=_request(request),
        call=body,
        finish=finish_values(dialect),
        helpers=HELPERS,
    )


AGENT_HELPERS = '''\
def added(before, now):
    """What `now` adds to `before` (all of `now` if it does not extend it)."""
    return now[len(before):] if now.startswith(before) else now


def read_snapshot(out, seen, snapshot):
    """The text and thinking a ModelResponse snapshot adds to the one before."""
    text = "".join(p.content for p in snapshot.parts if isinstance(p, TextPart))
    thinking = "".join(p.content for p in snapshot.parts if isinstance(p, ThinkingPart))
    out["reasoning"] += added(seen["thinking"], thinking)
    out["text"] += added(seen["text"], text)
    seen["text"], seen["thinking"] = text, thinking
'''

AGENT_CALL = """\
async with httpx.AsyncClient(transport=transport) as http:
    provider = OpenAIProvider(base_url=BASE_URL + "/v1", api_key=API_KEY, http_client=http)
    model = OpenAIChatModel(REQUEST["model"], provider=provider)
    messages, tools = messages_and_tools()
    agent = Agent(
        model,
        output_type=[str, DeferredToolRequests],
        toolsets=[ExternalToolset(tools)] if tools else None,
    )
    seen = {"text": "", "thinking": ""}
    try:
        async with agent.run_stream(
            message_history=messages, model_settings=REQUEST["settings"]
        ) as result:
            async for snapshot in result.stream_response(debounce_by=None):
                read_snapshot(out, seen, snapshot)
            final = result.response
    except ContentFilterError as exc:  # the refusal reaches the caller inside the error
        out["refusal"] = refusal_of(exc)
        raise
    read_snapshot(out, seen, final)
    read_end(out, final)
"""


def agent_recipe(request: Request) -> Recipe:
    """``Agent(OpenAIChatModel(...), output_type=[str, DeferredToolRequests],
    toolsets=[ExternalToolset(tools)]).run_stream(...)`` on the reproducer's transport."""
    return Recipe(
        library="pydantic-ai",
        tracker=PYDANTIC_AI_TRACKER,
        imports=IMPORTS
        + "from pydantic_ai import Agent, DeferredToolRequests\n"
        + "from pydantic_ai.exceptions import ContentFilterError\n"
        + "from pydantic_ai.models.openai import OpenAIChatModel\n"
        + "from pydantic_ai.providers.openai import OpenAIProvider\n"
        + "from pydantic_ai.toolsets import ExternalToolset\n",
        request=_request(request),
        call=AGENT_CALL,
        finish=dict(_FINISH),
        helpers=HELPERS + "\n\n" + AGENT_HELPERS + "\n\n" + inspect.getsource(refusal_of),
    )
