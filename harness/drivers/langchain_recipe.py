"""How the LangChain chat-model drivers are reproduced without harness (a
:class:`~harness.drivers.recipe.Recipe`): the same synchronous ``bind_tools(...).stream()``
(``invoke`` when the scenario does not stream) on the model the driver builds, read the way
:class:`harness.drivers.langchain_chat.LangChainReader` reads it. Each driver gives the
model's construction on the reproducer's transport (``model``), which must behave as the
default-built model the driver runs.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from harness.drivers.common import openai_tools
from harness.drivers.langchain_chat import langchain_message_specs
from harness.drivers.recipe import Recipe
from harness.scenario.model import FinishReason, Scenario

__all__ = ["LANGCHAIN_TRACKER", "langchain_recipe"]

LANGCHAIN_TRACKER = "https://github.com/langchain-ai/langchain/issues"

_HELPERS = '''\
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

KINDS = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage, "tool": ToolMessage}


def langchain_messages(specs):
    """REQUEST's messages as LangChain messages: `role` names the class, the rest are its
    arguments."""
    return [KINDS[m["role"]](**{k: v for k, v in m.items() if k != "role"}) for m in specs]


def read_content(out, message):
    """Text and reasoning of a message or chunk, from LangChain's standard content_blocks."""
    for block in message.content_blocks:
        if block.get("type") == "text":
            out["text"] += block.get("text") or ""
        elif block.get("type") == "reasoning":
            out["reasoning"] += block.get("reasoning") or ""


def read_message(out, message):
    """The whole message (the chunks added up): its tool calls (those LangChain could not
    parse, in invalid_tool_calls, with their text as is), refusal, usage and finish."""
    if message is None:  # no chunk came
        return
    for call in message.tool_calls:
        arguments = json.dumps(call["args"])
        out["tool_calls"].append({"id": call["id"], "name": call["name"], "arguments": arguments})
    for bad in message.invalid_tool_calls:
        out["tool_calls"].append(
            {"id": bad.get("id"), "name": bad.get("name"), "arguments": bad.get("args") or ""}
        )
    out["refusal"] = (message.additional_kwargs or {}).get("refusal") or ""
    usage = message.usage_metadata
    if usage:
        out["usage"] = {"input": input_tokens(usage), "output": usage.get("output_tokens")}
    out["finish"] = (message.response_metadata or {}).get(FINISH_KEY)
'''

_INPUT_AS_IS = """

def input_tokens(usage):
    return usage.get("input_tokens")
"""

_INPUT_WITHOUT_CACHE = '''

def input_tokens(usage):
    """The provider's input count: LangChain's input_tokens adds the cache reads and
    writes to it (langchain_anthropic/chat_models.py:3330-3369)."""
    details = usage.get("input_token_details") or {}
    cached = (details.get("cache_read") or 0) + (details.get("cache_creation") or 0)
    given = usage.get("input_tokens")
    return given - cached if given is not None else None
'''

_STREAM = """\
full = None
for chunk in model.stream(messages):
    read_content(out, chunk)
    full = chunk if full is None else full + chunk  # LangChain's own merge of the chunks
read_message(out, full)
"""

_INVOKE = """\
message = model.invoke(messages)
read_content(out, message)
read_message(out, message)
"""


def langchain_recipe(
    scenario: Scenario,
    *,
    library: str,
    imports: str,
    model: str,
    options: Mapping[str, Any],
    http_library: str,
    finish_key: str,
    finish: Mapping[str, FinishReason],
    cache_in_input: bool,
    helpers: str = "",
) -> Recipe:
    """The recipe of a LangChain chat model built by ``model`` (source that leaves the
    chat model in ``model``, from ``REQUEST["model"]``: the ``options`` the driver builds
    it with); ``cache_in_input``: LangChain's input count includes the cached tokens the
    provider counts apart."""
    request = scenario.request
    tools = "if REQUEST['tools']:\n    model = model.bind_tools(REQUEST['tools'])\n"
    then = _STREAM if request.stream else _INVOKE
    body = model + tools + "messages = langchain_messages(REQUEST['messages'])\n" + then
    return Recipe(
        library=library,
        tracker=LANGCHAIN_TRACKER,
        imports=imports,
        request={
            "model": dict(options),
            "tools": openai_tools(request) if request.tools else [],
            "messages": langchain_message_specs(request),
        },
        call=body,
        http_library=http_library,
        finish=dict(finish),
        helpers=(
            _HELPERS
            + f"\n\nFINISH_KEY = {finish_key!r}  # where response_metadata keeps the finish\n"
            + (_INPUT_WITHOUT_CACHE if cache_in_input else _INPUT_AS_IS)
            + (("\n\n" + textwrap.dedent(helpers).rstrip() + "\n") if helpers else "")
        ),
        retry_sleep="time.sleep",
        sync=True,
    )
