"""How the llama-index ``OpenAI`` driver is reproduced without harness (a
:class:`~harness.drivers.recipe.Recipe`): the same LLM, built with an ``httpx.AsyncClient``
on the reproducer's transport through its documented ``async_http_client`` (its timeout and
retries are passed to the OpenAI client either way, llama_index/llms/openai/base.py:447-455,
so giving the client changes neither), called with ``astream_chat_with_tools`` (or
``achat_with_tools``) and read as :mod:`harness.drivers.llama_index_openai` reads it.
"""

from __future__ import annotations

from harness.drivers.common import OPENAI_FINISH
from harness.drivers.llama_index_openai import llama_kwargs, llama_message_specs
from harness.drivers.recipe import Recipe
from harness.scenario.model import Scenario

__all__ = ["LLAMA_INDEX_TRACKER", "llama_index_recipe"]

LLAMA_INDEX_TRACKER = "https://github.com/run-llama/llama_index/issues"

_IMPORTS = """\
import copy
from dataclasses import dataclass, field

import anyio
import httpx
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool, ToolMetadata
from llama_index.llms.openai import OpenAI
"""

_HELPERS = '''\
@dataclass
class SchemaMetadata(ToolMetadata):
    """A tool's metadata that declares its JSON schema as it is."""

    schema: dict = field(default_factory=dict)

    def get_parameters_dict(self):
        return copy.deepcopy(self.schema)  # llama-index edits what it gets (strict mode)


def never_called(**kwargs):
    return None


def llama_tools(specs):
    return [
        FunctionTool(
            fn=never_called,
            metadata=SchemaMetadata(
                description=t["description"], name=t["name"], schema=t["parameters"]
            ),
        )
        for t in specs
    ]


def llama_messages(specs):
    """REQUEST's messages as ChatMessages (an assistant turn's calls as ToolCallBlocks)."""
    out = []
    for m in specs:
        if "tool_calls" in m:
            blocks = [TextBlock(text=m["content"])] if m["content"] else []
            blocks += [ToolCallBlock(**call) for call in m["tool_calls"]]
            out.append(ChatMessage(role="assistant", blocks=blocks))
        else:
            out.append(ChatMessage(**m))
    return out


def field_of(value, name):
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def read_counts(out, response):
    """Usage the response carries (additional_kwargs), and the finish reason of the OpenAI
    chunk or completion it passes on as `raw`."""
    counts = response.additional_kwargs or {}
    if "prompt_tokens" in counts or "completion_tokens" in counts:
        out["usage"] = {
            "input": counts.get("prompt_tokens"),
            "output": counts.get("completion_tokens"),
        }
    for choice in field_of(response.raw, "choices") or []:
        reason = field_of(choice, "finish_reason")
        if reason:
            out["finish"] = str(reason)


def read_calls(out, llm, last):
    """The tool calls of the last response, as llama-index's function agents get them."""
    if last is None:
        return
    for call in llm.get_tool_calls_from_response(last, error_on_no_tool_call=False):
        out["tool_calls"].append(
            {"id": call.tool_id, "name": call.tool_name, "arguments": json.dumps(call.tool_kwargs)}
        )
'''

_CLIENT = """\
async with httpx.AsyncClient(transport=transport) as http:
    llm = OpenAI(
        **REQUEST["llm"], api_key=API_KEY, api_base=BASE_URL + "/v1", async_http_client=http
    )
    call = {
        "tools": llama_tools(REQUEST["tools"]),
        "chat_history": llama_messages(REQUEST["messages"]),
        "allow_parallel_tool_calls": True,
    }
"""

_STREAM = """\
    last = None
    async for response in await llm.astream_chat_with_tools(**call):
        last = response
        out["reasoning"] += (response.additional_kwargs or {}).get("thinking_delta") or ""
        out["text"] += response.delta or ""
        read_counts(out, response)
    read_calls(out, llm, last)
"""

_WHOLE = """\
    response = await llm.achat_with_tools(**call)
    for block in response.message.blocks:
        if type(block).__name__ == "ThinkingBlock" and block.content:
            out["reasoning"] += block.content
    out["text"] = response.message.content or ""
    read_counts(out, response)
    read_calls(out, llm, response)
"""


def llama_index_recipe(scenario: Scenario) -> Recipe:
    request = scenario.request
    return Recipe(
        library="llama-index-llms-openai (run-llama/llama_index)",
        tracker=LLAMA_INDEX_TRACKER,
        imports=_IMPORTS,
        request={
            "llm": llama_kwargs(request),
            "tools": [
                {"name": t.name, "description": t.description, "parameters": t.parameters}
                for t in request.tools
            ],
            "messages": llama_message_specs(request),
        },
        call=_CLIENT + (_STREAM if request.stream else _WHOLE),
        finish=dict(OPENAI_FINISH),
        helpers=_HELPERS,
        # The OpenAI SDK waits between its attempts with anyio.sleep (the default
        # retry_sleep). llama-index retries once more around it, with tenacity, which waits
        # with asyncio.sleep (tenacity 9.1.4 tenacity/asyncio/__init__.py:49-64) once the SDK
        # gives up on a retryable error: the Retry-After up to 120 s, else 1-20 s
        # (llama-index-llms-openai 0.8.3 llama_index/llms/openai/base.py:102-116,
        # utils.py:280-361). Only a call that is not streamed gets there: `_astream_chat` is
        # decorated too, but it returns the stream before a request is sent (base.py:
        # 811-833), so the SDK's error surfaces while iterating, outside tenacity.
        other_sleeps=() if request.stream else ("asyncio.sleep",),
    )
