"""The async Azure AI Agents SDK (``azure.ai.agents.aio``, on aiohttp through azure-core's
``AioHttpTransport``), the same polled run as ``azure-agents-sdk``:

``await threads.create()``, ``await messages.create(...)`` per message, ``await
runs.create_and_process(thread_id, agent_id)`` (the SDK's own polling loop: ``await
asyncio.sleep(polling_interval)`` then ``runs.get`` while the run is queued, in progress or
stopped for tools, ``azure/ai/agents/aio/operations/_patch.py:556-597``), then, for a
completed run, ``await messages.get_last_message_text_by_role(thread_id,
MessageRole.AGENT)`` (``aio/operations/_patch.py:2277-2298``).

Seam: azure-core's default async transport is ``AioHttpTransport`` (aiohttp), so
:func:`harness.transport.blob.serving_blob` serves the replay through vcrpy's stub of
``ClientSession._request``, **each body as one blob**; the polling and retry sleeps are
``asyncio.sleep`` on the run's virtual loop. The scenarios it runs, the events it reads and
its n/a reasons are ``azure-agents-sdk``'s (:class:`AzureAgentsSDKDriver`), and so is its
contract: the async pipeline's ``AsyncRetryPolicy`` shares ``RetryPolicy``'s settings and
rules (``azure/core/pipeline/policies/_retry_async.py:53-213``, on ``RetryPolicyBase``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.dialects.azure_agents import API_VERSION, agent_id
from harness.drivers.azure_agents_sdk import (
    API_BASE_PATH,
    AzureAgentsSDKDriver,
    failed_run,
    run_status,
)
from harness.drivers.base import DriverContext
from harness.vocab.events import Event, FinishEvent, TextEvent, UsageEvent

__all__ = ["AsyncStaticToken", "AzureAgentsSDKAsyncDriver"]


class AsyncStaticToken:
    """An ``AsyncTokenCredential`` with one token that does not expire during a run."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("harness-token", int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncStaticToken:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class AzureAgentsSDKAsyncDriver(AzureAgentsSDKDriver):
    """``azure.ai.agents.aio.AgentsClient``: the polled run, awaited, on aiohttp."""

    name: ClassVar[str] = "azure-agents-sdk-async"
    http_library: ClassVar[str] = "aiohttp"
    requires: ClassVar[tuple[str, ...]] = ("azure.ai.agents", "azure.core", "aiohttp", "vcr")
    distributions: ClassVar[tuple[str, ...]] = ("azure-ai-agents", "azure-core", "aiohttp")
    """Installed distributions whose versions the transcript records."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from azure.ai.agents.aio import AgentsClient
        from azure.ai.agents.models import MessageRole

        from harness.transport.blob import serving_blob

        request = ctx.scenario.request
        options = dict(request.options)
        # everything is awaited inside the block and yielded after it: the block never
        # stays open across a yield the runner may not resume
        with serving_blob(ctx.replay, ("aiohttp",)):
            client = AgentsClient(
                endpoint=ctx.base_url + API_BASE_PATH,
                credential=AsyncStaticToken(),  # type: ignore[arg-type]
                api_version=str(options.pop("api_version", API_VERSION)),
            )
            async with client:
                thread_id = options.get("thread_id")
                if not isinstance(thread_id, str):
                    thread_id = (await client.threads.create()).id
                for message in request.messages:
                    await client.messages.create(
                        thread_id=thread_id, role=message.role, content=message.content
                    )
                run = await client.runs.create_and_process(
                    thread_id=thread_id, agent_id=agent_id(request.model)
                )
                text = None
                if run.status == "completed":
                    text = await client.messages.get_last_message_text_by_role(
                        thread_id=thread_id, role=MessageRole.AGENT
                    )
        if run.status != "completed":
            yield failed_run(run)
            return
        if text is not None and text.text.value:
            yield TextEvent(text=text.text.value)
        usage = run.usage
        if usage is not None:
            yield UsageEvent(input=usage.prompt_tokens, output=usage.completion_tokens)
        yield FinishEvent(reason="stop", raw=run_status(run))
