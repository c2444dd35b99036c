"""The Azure AI Agents SDK (``azure-ai-agents``, on ``requests`` through azure-core), a
polled run as its documentation shows it:

``threads.create()``, one ``messages.create(thread_id, role, content)`` per message,
``runs.create_and_process(thread_id, agent_id)`` (the SDK's own polling loop:
``time.sleep(polling_interval)`` then ``runs.get`` while the run is queued or in progress,
``azure/ai/agents/operations/_patch.py:555-562``), then, for a completed run,
``messages.get_last_message_text_by_role(thread_id, MessageRole.AGENT)``, which walks the
newest-first listing and stops at the first agent message (``_patch.py:2248-2297``).

Seam: azure-core's default transport is ``RequestsTransport`` (requests, then urllib3), so
:func:`harness.transport.blob.serving_blob` serves the replay through vcrpy's stubs, each
body as one blob; the polling sleeps are on virtual time (the runner patches ``time.sleep``
for this thread). Scenarios whose point is chunk boundaries or timing are n/a
(:func:`harness.transport.blob.blob_limit`), as are streamed runs
(``azure-agents-sdk-stream`` drives those) and runs
that stop for tools (``create_and_process`` would run the tool calls with the client's own
function tool, none here, and submit their errors).

What the SDK returns is a ``ThreadRun`` and messages, not a chat reply; the events are read
from them as the SDK exposes them: the agent message's text, the run's usage
(``prompt_tokens``/``completion_tokens``), and a finish (``completed``). A run that ended
``failed``/``cancelled``/``expired`` is returned, not raised: it becomes the terminal error,
its kind read from ``last_error.code`` (``expired``: timeout). HTTP errors are azure-core's
``HttpResponseError`` family, classified by status as any adapter's.

What is passed: ``endpoint`` = base URL + ``/api/projects/harness``, a static bearer token,
``api_version`` (``request.options["api_version"]``, else the dialect's GA version: the SDK's
own default is ``v1``), ``thread_id`` from the options when given.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.dialects import get_dialect
from harness.dialects.azure_agents import API_VERSION, agent_id
from harness.dialects.compiled import compiled
from harness.drivers.base import DriverContext
from harness.drivers.classify import code_kind
from harness.drivers.common import error_item_event
from harness.drivers.contract import Contract
from harness.drivers.contracts import AZURE_AGENTS_SDK
from harness.scenario.model import ReplyWrapper, Scenario, ToolCallPart
from harness.transport.blob import blob_limit, serving_blob
from harness.vocab.events import Event, FinishEvent, TextEvent, UsageEvent

__all__ = ["API_BASE_PATH", "AzureAgentsSDKDriver", "StaticToken", "failed_run", "run_status"]

API_BASE_PATH = "/api/projects/harness"
"""Appended to the replay's base URL: a Foundry project endpoint."""


class StaticToken:
    """A ``TokenCredential`` with one token that does not expire during a run."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("harness-token", int(time.time()) + 3600)


class AzureAgentsSDKDriver:
    """``azure.ai.agents.AgentsClient``: thread, messages, ``create_and_process``, reply."""

    name: ClassVar[str] = "azure-agents-sdk"
    contract: ClassVar[Contract] = AZURE_AGENTS_SDK
    dialect: ClassVar[str] = "azure-agents"
    http_library: ClassVar[str] = "requests"
    requires: ClassVar[tuple[str, ...]] = ("azure.ai.agents", "azure.core", "requests", "vcr")
    extra: ClassVar[str] = "azure-agents-sdk"
    distributions: ClassVar[tuple[str, ...]] = ("azure-ai-agents", "azure-core", "requests")
    """Installed distributions whose versions the transcript records."""

    def supports(self, scenario: Scenario) -> str | None:
        if scenario.request.stream:
            return "azure-agents-sdk drives polled runs (a streamed one: azure-agents-sdk-stream)"
        for attempt in scenario.attempts:
            if isinstance(attempt, ReplyWrapper) and any(
                isinstance(p, ToolCallPart) for p in attempt.reply.parts
            ):
                return (
                    "runs.create_and_process executes a run's tool calls with the client's own "
                    "function tool and submits the outputs; a run that stops for tools needs "
                    "the application's tools, which a scenario does not give"
                )
        # the script the runner then serves: compiled once (harness.dialects.compiled)
        return blob_limit(compiled(get_dialect(self.dialect), scenario), scenario)

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from azure.ai.agents import AgentsClient
        from azure.ai.agents.models import MessageRole

        request = ctx.scenario.request
        options = dict(request.options)
        with serving_blob(ctx.replay, ("httplib", "requests", "urllib3")):
            client = AgentsClient(
                endpoint=ctx.base_url + API_BASE_PATH,
                credential=StaticToken(),  # type: ignore[arg-type]
                api_version=str(options.pop("api_version", API_VERSION)),
            )
            with client:
                thread_id = options.get("thread_id")
                if not isinstance(thread_id, str):
                    thread_id = client.threads.create().id
                for message in request.messages:
                    client.messages.create(
                        thread_id=thread_id, role=message.role, content=message.content
                    )
                run = client.runs.create_and_process(
                    thread_id=thread_id, agent_id=agent_id(request.model)
                )
                if run.status != "completed":
                    yield failed_run(run)
                    return
                text = client.messages.get_last_message_text_by_role(
                    thread_id=thread_id, role=MessageRole.AGENT
                )
        if text is not None and text.text.value:
            yield TextEvent(text=text.text.value)
        usage = run.usage
        if usage is not None:
            yield UsageEvent(input=usage.prompt_tokens, output=usage.completion_tokens)
        yield FinishEvent(reason="stop", raw=run_status(run))


def run_status(run: Any) -> str:
    """The run's status as the wire says it (the SDK gives a ``RunStatus`` enum member)."""
    return str(getattr(run.status, "value", run.status))


def failed_run(run: Any) -> Event:
    """The terminal error of a run that ended without completing."""
    error = run.last_error
    code = str(getattr(error, "code", "") or "")
    status = run_status(run)
    message = str(getattr(error, "message", "") or f"run {status}")
    kind = "timeout" if status == "expired" else code_kind(code) or "unknown"
    return error_item_event(run, kind, f"{status}: {code}: {message}")
