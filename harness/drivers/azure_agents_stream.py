"""The Azure AI Agents SDK (``azure-ai-agents``, on ``requests`` through azure-core), a
streamed run as its documentation shows it:

one ``messages.create(thread_id, role, content)`` per message, then
``with runs.stream(thread_id, agent_id) as stream: for event_type, data, _ in stream``
(``azure/ai/agents/operations/_patch.py:899-1057``): the SDK's own ``AgentEventHandler``
cuts the body at each blank line (``models/_patch.py:1342-1369``), parses each event
(``_parse_event``, ``models/_patch.py:154-218``) into a ``MessageDeltaChunk``, a
``ThreadRun``, a ``RunStep``, a ``RunStepDeltaChunk``, a ``ThreadMessage`` or, for
``error`` and ``done``, the data as a string, and yields ``(event_type, data, handler
result)``.

Which runs: the SDK streams a run only on a thread it names (``runs.stream`` takes a
``thread_id``); its ``create_thread_and_run`` never streams (``azure/ai/agents/_patch.py:
862-872`` passes ``stream_parameter=False``). The azure-agents dialect scripts a streamed
run without a named thread as create-thread-and-run (``POST /threads/runs``), so
:meth:`AzureAgentsSDKStreamDriver.scenario_for` puts such a run on a thread
(:data:`THREAD_ID` in ``request.options``): the messages are added to it and the run is
streamed there, the protocol's other streamed flow; the attempts and expectations stay the
scenario's. A scenario that counts or lists the requests of create-thread-and-run
(``expect.requests``, ``sent``, ``min_wait``) keeps its flow and is n/a.

What is read, as the SDK hands it over: each ``MessageDeltaChunk``'s ``text`` is a text
delta; the terminal ``ThreadRun`` gives the rest: ``completed`` its usage and a ``stop``
finish; ``requires_action`` its tool calls (``required_action.submit_tool_outputs``, whole:
the SDK submits outputs itself only for a function tool the client was given,
``operations/_patch.py:1293-1340``, none here) and a ``tool_calls`` finish; ``failed``,
``cancelled`` and ``expired`` the terminal error (as ``azure-agents-sdk`` reads a polled
run); an ``error`` event is the terminal error too, its kind read from the payload's code.
A stream that ends with no terminal run gives no finish: the SDK does not say.

Seam: vcrpy (:func:`harness.transport.blob.serving_blob`), so **the body reaches the SDK
as one blob**: chunk boundaries and timing are httpx/httpx2-only, and scenarios about them
are n/a (:func:`harness.transport.blob.blob_limit`).
"""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.dialects import get_dialect
from harness.dialects.azure_agents import API_VERSION, agent_id
from harness.dialects.compiled import compiled
from harness.drivers.azure_agents_sdk import API_BASE_PATH, StaticToken, failed_run, run_status
from harness.drivers.base import DriverContext
from harness.drivers.classify import code_kind
from harness.drivers.common import error_item_event
from harness.drivers.contract import Contract
from harness.drivers.contracts import AZURE_AGENTS_SDK_STREAM
from harness.scenario.model import Scenario
from harness.transport.blob import blob_limit, serving_blob
from harness.vocab.events import (
    Event,
    FinishEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)

__all__ = ["THREAD_ID", "AzureAgentsSDKStreamDriver", "read_event"]

THREAD_ID = "thread_harness_sdk_stream"
"""The thread a streamed run without one is put on (see :meth:`scenario_for`)."""

NO_THREAD = (
    "the azure-ai-agents SDK streams a run only on a thread it names (runs.stream(thread_id, "
    "agent_id), azure/ai/agents/operations/_patch.py:899); create_thread_and_run never "
    "streams (azure/ai/agents/_patch.py:862-872, stream_parameter=False); this scenario "
    "names no thread and its expectations count or list the requests of "
    "create-thread-and-run (expect.requests, sent or min_wait), so its run cannot be put on "
    "a thread"
)


class AzureAgentsSDKStreamDriver:
    """``azure.ai.agents.AgentsClient``: messages, then ``runs.stream`` read event by event."""

    name: ClassVar[str] = "azure-agents-sdk-stream"
    contract: ClassVar[Contract] = AZURE_AGENTS_SDK_STREAM
    dialect: ClassVar[str] = "azure-agents"
    http_library: ClassVar[str] = "requests"
    requires: ClassVar[tuple[str, ...]] = ("azure.ai.agents", "azure.core", "requests", "vcr")
    extra: ClassVar[str] = "azure-agents-sdk"
    distributions: ClassVar[tuple[str, ...]] = ("azure-ai-agents", "azure-core", "requests")
    """Installed distributions whose versions the transcript records."""

    def scenario_for(self, scenario: Scenario) -> Scenario:
        """A streamed run on no named thread, put on :data:`THREAD_ID` (the SDK's flow),
        unless the scenario's expectations are about create-thread-and-run's requests."""
        request, expect = scenario.request, scenario.expect
        if not request.stream or isinstance(request.options.get("thread_id"), str):
            return scenario
        if expect.requests is not None or expect.sent is not None or expect.min_wait is not None:
            return scenario
        options = {**request.options, "thread_id": THREAD_ID}
        return scenario.model_copy(
            update={"request": request.model_copy(update={"options": options})}
        )

    def supports(self, scenario: Scenario) -> str | None:
        if not scenario.request.stream:
            return "azure-agents-sdk-stream drives streamed runs (a polled one: azure-agents-sdk)"
        if not isinstance(scenario.request.options.get("thread_id"), str):
            return NO_THREAD
        # the script the runner then serves: compiled once (harness.dialects.compiled)
        return blob_limit(compiled(get_dialect(self.dialect), scenario), scenario)

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from azure.ai.agents import AgentsClient

        request = ctx.scenario.request
        options = dict(request.options)
        thread_id = str(options["thread_id"])
        events: list[Event] = []
        # read whole inside the block, yielded after: a blob has no timing to keep, and the
        # block never stays open across a yield the runner may not resume
        with serving_blob(ctx.replay, ("httplib", "requests", "urllib3")):
            client = AgentsClient(
                endpoint=ctx.base_url + API_BASE_PATH,
                credential=StaticToken(),  # type: ignore[arg-type]
                api_version=str(options.pop("api_version", API_VERSION)),
            )
            with client:
                for message in request.messages:
                    client.messages.create(
                        thread_id=thread_id, role=message.role, content=message.content
                    )
                run = client.runs.stream(thread_id=thread_id, agent_id=agent_id(request.model))
                with run as stream:
                    for event_type, data, _ in stream:
                        events += read_event(str(event_type), data)
        for event in events:
            yield event


def read_event(event_type: str, data: Any) -> list[Event]:
    """The events of one item the SDK's ``AgentEventHandler`` yielded."""
    from azure.ai.agents.models import MessageDeltaChunk, ThreadRun

    if isinstance(data, MessageDeltaChunk):
        return [TextEvent(text=data.text)] if data.text else []
    if isinstance(data, ThreadRun):
        return _run_events(data)
    if event_type == "error":
        return [_stream_error(data)]
    return []


def _run_events(run: Any) -> list[Event]:
    status = run_status(run)
    if status in ("failed", "cancelled", "expired"):
        return [failed_run(run)]
    if status == "requires_action":
        action = run.required_action
        calls = getattr(getattr(action, "submit_tool_outputs", None), "tool_calls", None) or []
        events: list[Event] = [_tool_call(call) for call in calls]
        return [*events, FinishEvent(reason="tool_calls", raw=status)]
    if status != "completed":
        return []  # created, queued, in_progress: the run goes on
    events = []
    usage = run.usage
    if usage is not None:
        events.append(UsageEvent(input=usage.prompt_tokens, output=usage.completion_tokens))
    return [*events, FinishEvent(reason="stop", raw=status)]


def _tool_call(call: Any) -> ToolCallEvent:
    function = call.function
    raw = str(function.arguments)
    try:
        arguments = json.loads(raw)
    except ValueError:
        arguments = None
    return ToolCallEvent(id=call.id, name=function.name, arguments=arguments, raw=raw)


def _stream_error(data: Any) -> Event:
    """An ``error`` event: the SDK hands over ``str()`` of the parsed payload (a dict's repr
    when the data was JSON, ``models/_patch.py:216``)."""
    text = str(data)
    try:
        payload = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        payload = None
    code = str(payload.get("code", "")) if isinstance(payload, dict) else ""
    message = str(payload.get("message", "")) if isinstance(payload, dict) else text
    return error_item_event(data, code_kind(code) or "unknown", f"error: {code}: {message}")
