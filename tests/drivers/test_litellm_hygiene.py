"""The public litellm helper: a user adapter on litellm runs as cleanly as the built-in
litellm drivers (which use the same module)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from harness.drivers import litellm_chat
from harness.drivers import litellm_hygiene as hygiene
from harness.plugin.declare import conformance, openai_messages
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("litellm")


@conformance(dialect="openai-chat", normalize="openai-chat")
async def user_litellm(request: Any, ctx: Any) -> AsyncIterator[Any]:
    async with hygiene.litellm_run() as litellm:
        stream = await litellm.acompletion(
            model=f"openai/{request.model}",
            messages=openai_messages(request),
            api_base=ctx.base_url + "/v1",
            api_key=ctx.api_key,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            yield chunk


@pytest.mark.parametrize("scenario", ["text-plain", "retry-429-seconds"])
def test_a_user_adapter_on_litellm_runs_clean(scenario: str) -> None:
    (driver,) = user_litellm.drivers()
    run = run_scenario(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"), driver)
    assert run.status == "pass", run.reason()
    codes = {f.code for f in run.findings}
    assert not codes & {"task-leaked", "stream-not-closed"}


def test_the_built_in_drivers_use_the_public_helper() -> None:
    assert litellm_chat._litellm_env is hygiene


def test_litellm_run_flushes_the_client_cache_on_both_sides() -> None:
    litellm = hygiene.load_litellm()
    cache: Any = litellm.in_memory_llm_clients_cache

    async def use() -> None:
        cache.set_cache("harness-test-client", object())
        async with hygiene.litellm_run() as inside:
            assert inside is litellm
            assert cache.get_cache("harness-test-client") is None
            cache.set_cache("harness-test-client", object())
        assert cache.get_cache("harness-test-client") is None

    asyncio.run(use())
