"""The ``azure-agents-sdk-stream`` driver (the ``azure-ai-agents`` SDK's ``runs.stream`` read
through its own ``AgentEventHandler``, on requests, served by the vcrpy engine as one blob):
registry, n/a reasons and the thread a run is put on (no adapter needed), then the REAL SDK
end to end (``adapters`` marker; skipped without it), pinning what azure-ai-agents 1.1.0
does with a stream that ends without a run (the findings of its matrix cells)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from harness.dialects import get_dialect
from harness.drivers.base import DriverError, get_driver, scenario_for
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import Scenario
from harness.transport.blob import BLOB_ONLY
from harness.transport.clock import Clock
from harness.transport.core import Replay
from harness.transport.guard import no_network
from harness.vocab.events import ErrorEvent, Event, FinishEvent, TextEvent, ToolCallEvent
from tests.drivers.adapters import imported_by_lookup

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "azure-agents-sdk-stream"
THREAD = "thread_harness_sdk_stream"
needs_sdk = pytest.mark.skipif(
    importlib.util.find_spec("azure.ai.agents") is None, reason="azure-ai-agents is not installed"
)


def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.yaml")


def run(name: str) -> Run:
    return run_scenario(scenario(name), get_driver(NAME))


def test_registered_and_lazy() -> None:
    driver = get_driver(NAME)
    assert (driver.name, driver.dialect, driver.http_library, driver.extra) == (
        NAME,
        "azure-agents",
        "requests",
        "azure-agents-sdk",
    )
    assert imported_by_lookup([NAME], ("azure.ai.agents", "azure.core", "vcr")) == []


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("azure-poll-text", "drives streamed runs"),
        ("azure-stream-text", "streams a run only on a thread it names"),
        ("fault-stream-cut", BLOB_ONLY),
    ],
)
def test_na_reasons(name: str, why: str) -> None:
    driver = get_driver(NAME)
    reason = driver.supports(scenario_for(driver, scenario(name)))
    assert reason is not None and why in reason


def test_a_streamed_run_is_put_on_a_thread_unless_its_requests_are_expected() -> None:
    driver = get_driver(NAME)
    generic = scenario("fault-error-in-stream")
    adapted = scenario_for(driver, generic)
    assert adapted.request.options["thread_id"] == THREAD
    assert (adapted.attempts, adapted.expect) == (generic.attempts, generic.expect)
    counted = scenario("azure-stream-text")  # expect.requests: create-thread-and-run's
    assert scenario_for(driver, counted) is counted
    given = scenario("azure-existing-thread-stream")
    assert scenario_for(driver, given) is given


def test_scenario_for_may_not_change_what_is_expected() -> None:
    class Rewrites:
        name = "rewrites"

        def scenario_for(self, scenario: Scenario) -> Scenario:
            return scenario.model_copy(update={"expect": scenario.expect.model_copy()})

    class Drops:
        name = "drops"

        def scenario_for(self, scenario: Scenario) -> Scenario:
            return scenario.model_copy(update={"attempts": scenario.attempts[:-1]})

    text = scenario("text-plain")
    assert scenario_for(Rewrites(), text).expect == text.expect  # an equal copy is fine
    with pytest.raises(DriverError, match="changed what text-plain scripts or expects"):
        scenario_for(Drops(), text)  # type: ignore[arg-type]


@pytest.mark.adapters
@needs_sdk
def test_a_run_on_a_named_thread_streams_through_the_sdk() -> None:
    result = run("azure-existing-thread-stream")
    assert result.setup is None and result.transcript is not None
    events = result.transcript.events
    assert "".join(e.text for e in events if isinstance(e, TextEvent)) == (
        "Tomorrow will be sunny too."
    )
    assert len([e for e in events if isinstance(e, TextEvent)]) == 3  # the SDK's deltas
    assert events[-1] == FinishEvent(reason="stop", raw="completed")
    assert [r.path.rsplit("/", 1)[-1] for r in result.transcript.requests] == [
        "messages",
        "runs",
    ]
    assert result.findings == []


@pytest.mark.adapters
@needs_sdk
def test_an_error_event_is_the_terminal_error() -> None:
    result = run("fault-error-in-stream")
    assert result.transcript is not None
    assert [r.path for r in result.transcript.requests][-1].endswith(f"/threads/{THREAD}/runs")
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.type == "builtins.str"
    assert result.findings == []


@pytest.mark.adapters
@needs_sdk
def test_a_run_that_stops_for_tools_yields_its_calls() -> None:
    """No scenario of the matrix gets here (the dialect's tool-call streams expect a request
    count or usage); the run is driven directly on the dialect's script for one."""
    driver = get_driver(NAME)
    base = scenario("azure-stream-tool-call")
    options = {"thread_id": THREAD}
    adapted = base.model_copy(
        update={"request": base.request.model_copy(update={"options": options})}
    )
    replay = Replay(get_dialect("azure-agents").synthesize(adapted), Clock())
    ctx_base = get_dialect("azure-agents").base_url
    from harness.drivers.base import DriverContext

    ctx = DriverContext(scenario=adapted, replay=replay, clock=replay.clock, base_url=ctx_base)

    async def collect() -> list[Event]:
        return [event async for event in driver.run(ctx)]

    with replay.active(), no_network():
        events = asyncio.run(collect())
    replay.assert_all_served()
    assert [(e.name, e.arguments) for e in events if isinstance(e, ToolCallEvent)] == [
        ("get_weather", {"city": "Paris", "unit": "celsius"})
    ]
    assert events[-1] == FinishEvent(reason="tool_calls", raw="requires_action")


@pytest.mark.adapters
@needs_sdk
@pytest.mark.parametrize(
    "name", ["fault-empty-stream", "fault-terminator-only", "fault-truncated-stream"]
)
def test_the_sdk_ends_a_stream_without_a_run_silently(name: str) -> None:
    """azure-ai-agents 1.1.0 models/_patch.py:1346-1369: the handler stops when the bytes
    run out, with or without a terminal run or ``done``; nothing tells the caller."""
    result = run(name)
    assert result.transcript is not None and result.transcript.events == []
    assert {f.code for f in result.findings} & {
        "empty-stream-accepted",
        "truncated-stream-accepted",
    }


@pytest.mark.adapters
@needs_sdk
def test_the_sdk_passes_a_malformed_event_on_as_a_string() -> None:
    """models/_patch.py:168-171 keeps data that is not JSON as a string, and
    ``_safe_instantiate`` (:149-150) hands the string on instead of a ThreadRun."""
    result = run("fault-malformed-event")
    assert result.transcript is not None
    assert result.transcript.events[-1] == FinishEvent(reason="stop", raw="completed")
    assert [f.code for f in result.findings] == ["malformed-event-accepted"]
