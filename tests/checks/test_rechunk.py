"""Invariant 5: re-chunking the same bytes changes nothing, or the finding names the cut."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from harness.cli.app import main
from harness.dialects.script import Chunk, Exchange, Script
from harness.drivers.base import DriverContext
from harness.run.rechunk import (
    CHECK,
    describe,
    differences,
    minimal_splits,
    normalize,
    rechunk_check,
    split_points,
    with_chunking,
)
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import EveryN, SplitAt
from harness.vocab.events import ErrorEvent, Event, FinishEvent, TextEvent, Transcript, UsageEvent
from tests.checks.planted import _INSIDE_ARGUMENTS, Bugs, PlantedDriver

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


class Counting(PlantedDriver):
    """The correct planted client, counting its runs."""

    runs = 0

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        type(self).runs += 1
        async for event in super().run(ctx):
            yield event


def test_correct_client_keeps_its_output_under_every_split() -> None:
    scenario = load_scenario(SCENARIOS / "tool-call-fragmented.yaml")
    driver = PlantedDriver()
    result = rechunk_check(run_scenario(scenario, driver), driver)
    assert result.name == CHECK
    assert result.findings == [] and result.passed


def test_split_inside_arguments_is_found_and_shrunk_to_one_cut() -> None:
    scenario = load_scenario(SCENARIOS / "tool-call-fragmented.yaml")
    driver = PlantedDriver(Bugs(drop_fragment_on_split_args=True))
    run = run_scenario(scenario, driver)
    assert run.status == "pass"  # per-event reads never end inside "arguments"
    findings = rechunk_check(run, driver).findings
    assert {f.code for f in findings} == {"rechunk-changed-output"}
    first = findings[0]
    assert "every 1 byte" in first.message and "tool_calls" in first.message
    assert "against the run cut per event" in first.message
    cut = re.search(r"split exchange 1 at \[(\d+)\]$", first.where)
    assert cut is not None, first.where
    assert first.where.startswith("scenarios/") or "tool-call-fragmented.yaml" in first.where
    # the one cut left falls inside an "arguments" string of the body
    assert run.script is not None
    body = run.script.exchanges[0].body
    offset = int(cut.group(1))
    line = body[:offset].rsplit(b"\n", 1)[-1]
    assert _INSIDE_ARGUMENTS.search(line), line[-60:]
    assert isinstance(first.expected, dict) and isinstance(first.actual, dict)
    assert first.expected["tool_calls"] != first.actual["tool_calls"]


def test_cuts_already_tried_are_not_run_again() -> None:
    driver = Counting()
    # an HTTP error body is one chunk whatever the chunking: nothing to re-run
    scenario = load_scenario(SCENARIOS / "fault-http-400.yaml")
    run = run_scenario(scenario, driver)
    Counting.runs = 0
    assert rechunk_check(run, driver).findings == []
    assert Counting.runs == 0
    # plain ASCII text: mid-UTF-8 cuts where per-event does, so three re-runs, not four
    scenario = load_scenario(SCENARIOS / "text-plain.yaml")
    run = run_scenario(scenario, driver)
    Counting.runs = 0
    rechunk_check(run, driver)
    assert Counting.runs == 2  # every 1 byte, every 7 bytes (its own cut is per event)


def test_not_applicable_runs_have_nothing_to_compare() -> None:
    scenario = load_scenario(SCENARIOS / "nonstream-text.yaml")
    driver = PlantedDriver()
    run = run_scenario(scenario, driver)
    assert run.status == "n/a"
    assert rechunk_check(run, driver).findings == []


def test_normalize_and_differences() -> None:
    t = Transcript(
        scenario="s",
        driver="d",
        dialect="openai-chat",
        events=[
            TextEvent(text="He"),
            TextEvent(text="llo"),
            UsageEvent(input=1, output=2),
            FinishEvent(reason="stop"),
        ],
    )
    n = normalize(t)
    assert n["text"] == "Hello" and n["finish"] == "stop" and n["error"] is None
    assert n["usage"] == [{"input": 1, "output": 2, "cache_read": None, "cache_write": None}]
    broken = t.model_copy(
        update={"events": [TextEvent(text="He"), ErrorEvent(error="protocol", type="X")]}
    )
    assert differences(n, normalize(broken)) == ["text", "finish", "usage", "error"]
    assert differences(n, dict(n)) == []


def test_minimal_splits_finds_the_cut_that_matters() -> None:
    calls: list[list[int]] = []

    def needs(*wanted: int) -> Callable[[list[int]], bool]:
        def still_fails(offsets: list[int]) -> bool:
            calls.append(offsets)
            return set(wanted) <= set(offsets)

        return still_fails

    assert minimal_splits(range(1, 200), needs(42), budget=64) == [42]
    assert minimal_splits(range(1, 200), needs(10, 150), budget=64) == [10, 150]
    calls.clear()
    minimal_splits(range(1, 2000), needs(1234), budget=5)
    assert len(calls) <= 5
    assert minimal_splits([5], lambda offsets: True, budget=4) == []


def test_split_points_describe_and_with_chunking() -> None:
    script = Script(
        exchanges=(
            Exchange("POST", "/x", chunks=(Chunk(b"abc"), Chunk(b"de"), Chunk(b"f"))),
            Exchange("POST", "/x", status=429, chunks=(Chunk(b"{}"),)),
        )
    )
    assert split_points(script) == [[3, 5], []]
    assert describe(EveryN(every=1)) == "every 1 byte"
    assert describe(EveryN(every=7)) == "every 7 bytes"
    assert describe(SplitAt(at=[4])) == "at offsets [4]"
    assert describe("mid_utf8") == "mid-UTF-8"
    scenario = load_scenario(SCENARIOS / "wire-split-utf8.yaml")
    cut = with_chunking(scenario, EveryN(every=3))
    assert cut.replies()[0].wire.chunking == EveryN(every=3)
    assert scenario.replies()[0].wire.chunking == "mid_utf8"
    assert cut.where() == scenario.where()


@pytest.mark.adapters
def test_run_cli_rechunk(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openai")
    path = SCENARIOS / "wire-split-utf8.yaml"
    assert main(["run", str(path), "--driver", "openai-sdk-chat", "--rechunk"]) == 0
    assert "[ok] invariant:rechunk" in capsys.readouterr().out
