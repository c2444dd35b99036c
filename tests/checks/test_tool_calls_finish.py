"""A reply of tool calls on a wire that does not name that finish (a Responses status
``completed``, Gemini's ``STOP``, Ollama's ``stop``): an adapter whose contract reports the
completion as is (``Features(tool_calls_finish=False)``) may say ``stop``; on a wire that
names it (OpenAI chat's ``tool_calls``), or for an adapter that declares nothing, ``stop``
is still a finish mismatch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.contract import Contract, Features
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.codes import Code
from harness.vocab.events import Event, FinishEvent, ToolCallEvent

SCENARIO = load_scenario(
    Path(__file__).resolve().parents[2] / "scenarios" / "tool-call-fragmented.yaml"
)


class _SaysStop(DriverBase):
    """Yields the scenario's calls, then finish ``stop`` (sends no request: only the finish
    is looked at here)."""

    name: ClassVar[str] = "says-stop"

    def __init__(self, dialect: str, contract: Contract) -> None:
        self.dialect = dialect  # type: ignore[misc]
        self.contract = contract  # type: ignore[misc]

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        for call in ctx.scenario.expect.tool_calls or []:
            yield ToolCallEvent(id=call.id, name=call.name, arguments=call.arguments)
        yield FinishEvent(reason="stop", raw="completed")


def _codes(dialect: str, contract: Contract) -> set[str]:
    run = run_scenario(SCENARIO, _SaysStop(dialect, contract))
    return {f.code for f in run.findings}


AS_IS = Contract(features=Features(tool_calls_finish=False))


@pytest.mark.parametrize("dialect", ["openai-responses", "gemini", "ollama"])
def test_stop_stands_for_tool_calls_where_the_wire_has_no_such_finish(dialect: str) -> None:
    assert Code.FINISH_MISMATCH not in _codes(dialect, AS_IS)
    assert Code.FINISH_MISMATCH in _codes(dialect, Contract())  # nothing declared


def test_a_wire_that_names_the_finish_still_asks_for_it() -> None:
    assert Code.FINISH_MISMATCH in _codes("openai-chat", AS_IS)


def test_the_relaxation_is_shown_with_the_contract() -> None:
    assert any("tool calls finish" in line for line in AS_IS.deviations())
