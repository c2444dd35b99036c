"""The ``azure-agents-sdk-async`` driver (``azure.ai.agents.aio`` on aiohttp through
azure-core's ``AioHttpTransport``, served by the vcrpy engine): registry (no adapter
needed), then the REAL async SDK end to end (``adapters`` marker; skipped without it).
The driver serves aiohttp only (``serving_blob(replay, ("aiohttp",))``): a request the SDK
sent any other way would be blocked by the guard and the cell a setup error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import ErrorEvent, FinishEvent, TextEvent, UsageEvent
from tests.drivers.adapters import imported_by_lookup

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "azure-agents-sdk-async"
needs_sdk = pytest.mark.skipif(
    importlib.util.find_spec("azure.ai.agents") is None
    or importlib.util.find_spec("aiohttp") is None,
    reason="azure-ai-agents or aiohttp is not installed",
)


def run(name: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), get_driver(NAME))


def test_registered_and_lazy() -> None:
    driver = get_driver(NAME)
    assert (driver.name, driver.dialect, driver.http_library, driver.extra) == (
        NAME,
        "azure-agents",
        "aiohttp",
        "azure-agents-sdk",
    )
    assert imported_by_lookup([NAME], ("azure.ai.agents", "aiohttp", "vcr")) == []


@pytest.mark.adapters
@needs_sdk
def test_a_polled_run_through_the_async_sdk_on_aiohttp() -> None:
    result = run("azure-poll-text")
    assert result.setup is None and result.transcript is not None
    assert result.transcript.events == [
        TextEvent(text="Hello! Nice to meet you."),
        UsageEvent(input=66, output=9),
        FinishEvent(reason="stop", raw="completed"),
    ]
    assert [r.method for r in result.transcript.requests] == [
        *("POST", "POST", "POST"),
        *("GET", "GET", "GET", "GET"),
    ]
    assert "aiohttp" in result.transcript.versions
    assert result.findings == []


@pytest.mark.adapters
@needs_sdk
def test_a_failed_run_is_the_terminal_error() -> None:
    result = run("azure-run-failed-rate-limit")
    assert result.transcript is not None
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.error == "rate_limit"
    assert result.findings == []


@pytest.mark.adapters
@needs_sdk
def test_the_async_retry_policy_waits_retry_after_on_the_virtual_loop() -> None:
    result = run("azure-429-run-creation")
    assert result.transcript is not None and result.findings == []
    runs = [r for r in result.transcript.requests if r.path.endswith("/runs")]
    assert len(runs) == 2 and runs[1].at - runs[0].at >= 2
