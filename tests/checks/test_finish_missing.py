"""A reply that carries no finish reason (``finish: none``; OpenAI chat's non-streamed
``finish_reason: null``): a correct adapter ends with a finish whose reason is None; one
that reports ``stop`` claims an ending the server never stated (finish-mismatch); only
OpenAI chat and the gateway (a nullable ``finish_reason``) can say such a reply, other
wires are n/a."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest

from harness.dialects import get_dialect
from harness.drivers.base import DriverBase, DriverContext
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.codes import Code
from harness.vocab.events import Event, FinishEvent, TextEvent, UsageEvent

SCENARIO = load_scenario(
    Path(__file__).resolve().parents[2] / "scenarios" / "nonstream-finish-missing.yaml"
)


class _Ends(DriverBase):
    """Yields the scenario's text and usage, then ``finish`` (or nothing); sends no request."""

    name: ClassVar[str] = "ends"
    dialect: ClassVar[str] = "openai-chat"

    def __init__(self, finish: FinishEvent | None) -> None:
        self.finish = finish

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        yield TextEvent(text=ctx.scenario.expect.text or "")
        yield UsageEvent(input=14, output=7)
        if self.finish is not None:
            yield self.finish


def _codes(finish: FinishEvent | None) -> set[str]:
    return {f.code for f in run_scenario(SCENARIO, _Ends(finish)).findings}


def test_a_finish_without_a_reason_meets_it() -> None:
    assert Code.FINISH_MISMATCH not in _codes(FinishEvent(reason=None, raw=None))


def test_an_invented_stop_is_a_finish_mismatch_that_says_so() -> None:
    run = run_scenario(SCENARIO, _Ends(FinishEvent(reason="stop", raw="stop")))
    found = [f for f in run.findings if f.code == Code.FINISH_MISMATCH]
    assert len(found) == 1
    assert (found[0].expected, found[0].actual) == ("none", "stop")
    assert "carried no finish reason" in found[0].message


def test_no_finish_event_at_all_is_still_no_terminal_event() -> None:
    assert Code.NO_TERMINAL_EVENT in _codes(None)


def test_openai_chat_writes_finish_reason_null() -> None:
    script = get_dialect("openai-chat").synthesize(SCENARIO)
    body = json.loads(script.exchanges[0].body)
    assert body["choices"][0]["finish_reason"] is None


def test_the_gateway_writes_finish_reason_null() -> None:
    """(Read back as ``finish: none`` by tests/dialects/test_contract.py, as every wire.)"""
    gateway = get_dialect("gateway")
    assert gateway.supports(SCENARIO) is None
    body = json.loads(gateway.synthesize(SCENARIO).exchanges[0].body)
    assert "finish_reason" in body and body["finish_reason"] is None


@pytest.mark.parametrize(
    "name", ["anthropic-messages", "gemini", "ollama", "bedrock-converse", "openai-responses"]
)
def test_wires_that_always_say_a_reason_are_not_applicable(name: str) -> None:
    reason = get_dialect(name).supports(SCENARIO)
    assert reason is not None and "without a finish reason cannot be said" in reason


def test_a_streamed_reply_without_a_reason_is_left_to_the_fault_scenarios() -> None:
    streamed = SCENARIO.model_copy(
        update={"request": SCENARIO.request.model_copy(update={"stream": True})}
    )
    for name in ("openai-chat", "gateway"):
        assert "fault-*" in (get_dialect(name).supports(streamed) or "")
