"""A warm session (harness.run.warm): many runs on one loop and one kept client, each run
still with its own replay, clock and request log, and the same verdicts as fresh runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.dialects import get_dialect
from harness.dialects.compiled import compiled
from harness.drivers.base import get_driver
from harness.run.runner import run_scenario
from harness.run.warm import Warm
from harness.scenario.load import load_scenario
from harness.transport.budget import Budget
from harness.transport.clock import Clock
from harness.transport.warmloop import WarmLoop
from tests.runtime_drivers import driver

ROOT = Path(__file__).resolve().parents[2]
SHORT = Budget(virtual_seconds=120, wall_seconds=1.0)


def scenario(name: str):  # type: ignore[no-untyped-def]
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


@pytest.mark.parametrize("name", ["text-plain", "retry-429-seconds", "chat-tool-calls-index-zero"])
def test_warm_runs_give_the_verdicts_of_fresh_runs(name: str) -> None:
    pytest.importorskip("openai")
    sdk = get_driver("openai-sdk-chat")
    fresh = run_scenario(scenario(name), sdk)
    with Warm() as warm:
        runs = [run_scenario(scenario(name), sdk, warm=warm) for _ in range(3)]
    for run in runs:
        assert run.status == fresh.status
        assert sorted(f.code for f in run.findings) == sorted(f.code for f in fresh.findings)
        assert run.transcript is not None and fresh.transcript is not None
        assert run.transcript.events == fresh.transcript.events
        # each run has its own request log and its own clock, from zero
        assert len(run.transcript.requests) == len(fresh.transcript.requests)
        assert run.transcript.virtual_seconds == fresh.transcript.virtual_seconds


def test_a_failing_run_leaves_nothing_to_the_next() -> None:
    """Findings, requests and leftovers stay in their run: failing and passing scenarios
    in turn on one warm session (as fuzz examples run) each get the verdict, findings and
    request log a fresh run gives them."""
    pytest.importorskip("openai")
    sdk = get_driver("openai-sdk-chat")
    names = ["fault-stream-cut", "text-plain", "wire-bom", "retry-429-seconds", "text-plain"]
    fresh = {name: run_scenario(scenario(name), sdk) for name in set(names)}
    assert fresh["fault-stream-cut"].findings and fresh["wire-bom"].findings
    assert fresh["text-plain"].status == "pass"
    with Warm() as warm:
        runs = [(name, run_scenario(scenario(name), sdk, warm=warm)) for name in names]
    for name, run in runs:
        alone = fresh[name]
        assert run.status == alone.status, name
        assert sorted(f.code for f in run.findings) == sorted(f.code for f in alone.findings)
        assert run.transcript is not None and alone.transcript is not None
        assert len(run.transcript.requests) == len(alone.transcript.requests), name
        assert run.misses == alone.misses == [] and run.unclosed_streams == alone.unclosed_streams


def test_the_client_is_kept_and_pointed_at_each_runs_replay() -> None:
    pytest.importorskip("openai")
    sdk = get_driver("openai-sdk-chat")
    with Warm() as warm:
        first = run_scenario(scenario("text-plain"), sdk, warm=warm)
        kept = dict(warm.kept._made)
        second = run_scenario(scenario("retry-429-seconds"), sdk, warm=warm)
        assert dict(warm.kept._made) == kept and len(kept) == 1
    assert first.status == "pass" and second.status == "pass"
    assert second.transcript is not None and len(second.transcript.requests) == 2


def test_a_run_ended_by_its_budget_takes_the_loop_with_it() -> None:
    with Warm() as warm:
        hung = run_scenario(scenario("text-plain"), driver("sleep-loop"), budget=SHORT, warm=warm)
        assert [f.code for f in hung.findings] == ["adapter-hung"]
        after = run_scenario(scenario("text-plain"), get_driver("openai-sdk-chat"), warm=warm)
    assert after.status == "pass"


def test_what_a_run_leaves_is_gone_before_the_next() -> None:
    warm = WarmLoop()
    seen: list[str] = []

    async def leave_things() -> float:
        loop = asyncio.get_running_loop()
        loop.call_later(500, seen.append, "timer")  # would move the next clock 500 s
        asyncio.get_running_loop().create_task(asyncio.sleep(900))
        return loop.time()

    async def wait_a_bit() -> float:
        await asyncio.sleep(2)
        return 0.0

    try:
        warm.run(leave_things, Clock())
        clock = Clock()
        warm.run(wait_a_bit, clock)
        assert clock.elapsed() == 2  # not 500: the last run's timer was dropped
        assert seen == []
    finally:
        warm.close()


def test_a_scenario_is_compiled_once_per_object() -> None:
    chat = get_dialect("openai-chat")
    plain = scenario("text-plain")
    assert compiled(chat, plain) is compiled(chat, plain)
    assert compiled(chat, plain) == chat.synthesize(plain)
    other = scenario("text-plain")  # an equal scenario, another object: compiled again
    assert compiled(chat, other) is not compiled(chat, plain)


@pytest.mark.parametrize("text", ["abc", "", "é\u2028"])
def test_a_delta_event_is_the_validated_event(text: str) -> None:
    from harness.vocab.events import RefusalEvent, TextEvent, delta_event

    for cls in (TextEvent, RefusalEvent):
        made = delta_event(cls, text)
        assert made == cls(text=text)
        assert made.model_dump_json() == cls(text=text).model_dump_json()
        assert made.model_copy(update={"text": "x"}) == cls(text="x")
    with pytest.raises(ValueError):
        delta_event(TextEvent, 3)  # not a str: validated, and refused
