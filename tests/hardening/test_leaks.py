"""No leaked streams or tasks: an adapter that abandons a response stream or leaves a task
running is reported (warnings: the reply may still be right), and harness cleans up after it.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import httpx

from harness.drivers.base import DriverContext
from harness.drivers.openai_sdk import OpenAIChatDriver
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.transport.core import Replay
from harness.vocab.events import Event, TextEvent

SCENARIO = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "text-plain.yaml")


class Abandoning:
    """Reads the first chunk of the stream, then walks away without closing the response."""

    name: ClassVar[str] = "abandoning"
    dialect: ClassVar[str] = "openai-chat"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

    def __init__(self) -> None:
        self.replay: Replay | None = None

    def supports(self, scenario: object) -> str | None:
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        self.replay = ctx.replay
        client = httpx.AsyncClient(transport=ctx.transport(), base_url=ctx.base_url)
        request = client.build_request("POST", "/v1/chat/completions", json={"stream": True})
        response = await client.send(request, stream=True)
        reads = response.aiter_raw()
        first = await reads.__anext__()
        assert self.replay.unclosed_streams(), "the stream is open while it is being read"
        yield TextEvent(text=first[:10].decode("utf-8", "replace"))


class LeavesATask(OpenAIChatDriver):
    """The real OpenAI SDK, with a background task the call never awaits."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        self.task = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        async for event in super().run(ctx):
            yield event


def test_an_abandoned_stream_is_reported_and_closed_by_the_transport() -> None:
    driver = Abandoning()
    run = run_scenario(SCENARIO, driver)  # type: ignore[arg-type]
    [finding] = [f for f in run.findings if f.code == "stream-not-closed"]
    assert finding.severity == "warning" and finding.actual == 1
    assert run.unclosed_streams == 1
    assert driver.replay is not None and driver.replay.unclosed_streams() == []


def test_a_task_left_running_is_reported_as_a_warning() -> None:
    driver = LeavesATask()
    run = run_scenario(SCENARIO, driver)
    [finding] = [f for f in run.findings if f.code == "task-leaked"]
    assert finding.severity == "warning"
    assert finding.actual == ["asyncio.tasks.sleep"]
    assert run.status == "pass"  # a warning: the reply itself was right
    assert driver.task.cancelled()  # the run's loop cancelled it on the way out


def test_the_reference_adapter_leaks_nothing() -> None:
    run = run_scenario(SCENARIO, OpenAIChatDriver())
    assert run.status == "pass"
    assert not run.leaked_tasks and run.unclosed_streams == 0
    assert not [f for f in run.findings if f.severity == "warning"]


class _Dropped:
    """An object in a reference cycle whose finalizer schedules its own close on whatever
    loop is running, as litellm's ``AsyncHTTPHandler.__del__`` does."""

    def __init__(self) -> None:
        self.cycle = self

    async def close(self) -> None:
        await asyncio.sleep(3600)

    def __del__(self) -> None:
        asyncio.get_running_loop().create_task(self.close())


class FreedByTheCollector(OpenAIChatDriver):
    """The real OpenAI SDK; the collector frees an unreachable cycle during the call (in a
    suite, one left by an earlier cell, whenever the allocation count says so)."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        _Dropped()
        gc.collect()  # the collection that would otherwise come at an arbitrary point
        self.left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        async for event in super().run(ctx):
            yield event


def test_a_task_a_finalizer_scheduled_is_not_the_adapters_leak() -> None:
    """Which cell a collection lands in depends on what ran before it: a task created by a
    ``__del__`` would give a verdict that changes with the order of the suite (a CI run
    reported task-leaked for litellm-bedrock x fault-error-in-stream once in many)."""
    driver = FreedByTheCollector()
    run = run_scenario(SCENARIO, driver)
    assert [t.get_coro().__qualname__ for t in driver.left] == ["_Dropped.close"]
    assert run.leaked_tasks == [] and run.status == "pass"
    assert not [f for f in run.findings if f.code == "task-leaked"]
    assert all(t.done() for t in driver.left)  # the loop's end still cancels it


class LeavesATaskAndAFinalizerOne(LeavesATask):
    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        _Dropped()
        gc.collect()
        async for event in super().run(ctx):
            yield event


def test_a_finalizers_task_does_not_hide_the_adapters_own() -> None:
    run = run_scenario(SCENARIO, LeavesATaskAndAFinalizerOne())
    assert run.leaked_tasks == ["asyncio.tasks.sleep"]
