"""instructor over the OpenAI SDK: ``instructor.from_openai(AsyncOpenAI())`` and
``create_partial(response_model=...)``, the partial streaming of one tool-call object.

Environment: instructor 1.17 requires ``rich<15`` (harness's main environment has 15) and
``jiter<0.15``, so the driver declares ``environment`` and runs in a virtualenv of its own
(:mod:`harness.matrix.envs`), pinned by ``constraints/instructor-openai.txt`` with the same
openai (2.54) as ``openai-sdk-chat``, so the two columns differ only by instructor.

Built as an application builds it by default: ``openai.AsyncOpenAI(api_key=...)`` (the real
host, the SDK's own client and retries) wrapped by ``instructor.from_openai`` in its default
``Mode.TOOLS``; served by :func:`harness.transport.serving`. The scenario's one tool becomes
the ``response_model``: a pydantic model named after the tool, its docstring the tool's
description, one field per property of its JSON schema (required ones without a default).

What the caller gets is the stream of partial objects and nothing else: no text, usage or
finish reason (instructor/v2/providers/openai/handlers.py:503-517 reads only the first tool
call's argument deltas of each chunk). The driver yields the last object as the tool call,
its fields that are not None (``model_dump(exclude_none=True)``: every field of a partial
object is optional, so a field not sent and one sent as null read alike), then, when
``create_partial`` ended without an error, a ``tool_calls`` finish with no raw reason:
returning is instructor's only statement that the object is complete
(instructor/v2/dsl/partial.py:500-512 validates a complete final object against the model).
So a scenario is n/a unless it streams one tool call of the request's one tool and nothing
else.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import openai_messages, tool_call_event
from harness.drivers.contract import Contract
from harness.drivers.contracts import INSTRUCTOR_OPENAI
from harness.drivers.recipe import Recipe
from harness.scenario.model import Scenario, Tool, ToolCallPart
from harness.transport import serving
from harness.vocab.events import Event, FinishEvent

__all__ = ["InstructorOpenAIDriver", "response_model", "tool_dict"]


class InstructorOpenAIDriver(DriverBase):
    """``instructor.from_openai(openai.AsyncOpenAI()).chat.completions.create_partial(...)``."""

    name: ClassVar[str] = "instructor-openai"
    contract: ClassVar[Contract] = INSTRUCTOR_OPENAI
    dialect: ClassVar[str] = "openai-chat"
    requires: ClassVar[tuple[str, ...]] = ("instructor", "openai")
    extra: ClassVar[str] = "instructor"
    environment: ClassVar[tuple[str, ...]] = ("instructor==1.17.0",)
    """Installed in a virtualenv of its own (see :mod:`harness.matrix.envs`)."""
    distributions: ClassVar[tuple[str, ...]] = ("instructor", "openai", "httpx")

    def supports(self, scenario: Scenario) -> str | None:
        request = scenario.request
        if not request.stream:
            return "create_partial streams: a non-streamed scenario is not its call"
        if len(request.tools) != 1:
            return "instructor extracts one response_model: the scenario needs exactly one tool"
        for reply in scenario.replies():
            kinds = [type(p) for p in reply.parts]
            if kinds != [ToolCallPart] or reply.refusal is not None:
                return (
                    "instructor's TOOLS mode reads only one tool call's arguments "
                    "(instructor/v2/providers/openai/handlers.py:503-517): the reply must be "
                    "one tool call and nothing else"
                )
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import instructor
        import openai

        request = ctx.scenario.request
        (tool,) = request.tools
        model = response_model(tool_dict(tool))
        kwargs: dict[str, Any] = {"api_key": ctx.api_key}
        if "max_retries" in ctx.options:
            kwargs["max_retries"] = ctx.options["max_retries"]
        with serving(ctx.replay):
            sdk = openai.AsyncOpenAI(**kwargs)
            try:
                client = instructor.from_openai(sdk)
                extra: dict[str, Any] = {}
                if request.max_tokens is not None:
                    extra["max_tokens"] = request.max_tokens
                last: Any = None
                async for partial in client.chat.completions.create_partial(
                    model=request.model,
                    messages=openai_messages(request),
                    response_model=model,
                    **extra,
                ):
                    last = partial
                if last is not None:
                    yield tool_call_event(None, tool.name, last.model_dump(exclude_none=True))
                yield FinishEvent(reason="tool_calls", raw=None)
            finally:
                await sdk.close()

    def repro(self, scenario: Scenario) -> Recipe:
        """The same ``create_partial`` call on an ``AsyncOpenAI`` whose httpx client sends
        through the reproducer's transport; the last partial object as the tool call, and
        ``returned`` (instructor's only word that the object is complete) as the finish."""
        request = scenario.request
        tool = request.tools[0] if request.tools else None  # one, where the driver runs
        kwargs: dict[str, Any] = {"model": request.model, "messages": openai_messages(request)}
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        return Recipe(
            library="instructor",
            tracker="https://github.com/567-labs/instructor/issues",
            imports="import httpx\nimport instructor\nimport openai\n",
            request={"create": kwargs, "tool": None if tool is None else tool_dict(tool)},
            call=INSTRUCTOR_CALL,
            finish={"returned": "tool_calls"},
            helpers=inspect.getsource(response_model),
        )


INSTRUCTOR_CALL = """\
async with httpx.AsyncClient(transport=transport) as http:
    sdk = openai.AsyncOpenAI(base_url=BASE_URL + "/v1", api_key=API_KEY, http_client=http)
    client = instructor.from_openai(sdk)
    last = None
    async for partial in client.chat.completions.create_partial(
        **REQUEST["create"], response_model=response_model(REQUEST["tool"])
    ):
        last = partial
    if last is not None:
        arguments = json.dumps(last.model_dump(exclude_none=True))
        name = REQUEST["tool"]["name"]
        out["tool_calls"].append({"id": None, "name": name, "arguments": arguments})
    out["finish"] = "returned"  # returning is instructor's statement that the object is complete
"""


def tool_dict(tool: Tool) -> dict[str, Any]:
    """The scenario's tool as :func:`response_model` takes it (and the reproducer writes it)."""
    return {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)}


def response_model(tool: dict[str, Any]) -> type[Any]:
    """A pydantic model for the tool's JSON schema (``tool`` as a dict: ``name``,
    ``description``, ``parameters``): one field per property (an ``enum`` as a ``Literal``),
    required ones without a default, the description as its docstring.

    Self-contained (its imports inside, no module globals), so a reproducer carries it as is."""
    from collections.abc import Mapping
    from typing import Any, Literal, Optional

    from pydantic import create_model

    json_types = {
        "string": str,
        "integer": int,
        "number": float,
        "boolean": bool,
        "array": list,
        "object": dict,
    }
    schema = tool["parameters"] or {}
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for prop, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, Mapping):
            spec = {}
        kind: Any = Literal[tuple(spec["enum"])] if spec.get("enum") else None
        if kind is None:
            kind = json_types.get(str(spec.get("type")), Any)
        fields[prop] = (kind, ...) if prop in required else (Optional[kind], None)  # noqa: UP045
    model: type[Any] = create_model(tool["name"], __doc__=tool["description"] or None, **fields)
    return model
