"""The ``cohere-sdk`` driver: the real cohere v2 client (``AsyncClientV2``) on the replay,
end to end through the runner and the cohere-v2 dialect."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import ErrorEvent, FinishEvent, ToolCallEvent

pytest.importorskip("cohere")

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "cohere-sdk"


def run(scenario: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{scenario}.yaml"), get_driver(NAME))


def test_registered() -> None:
    driver = get_driver(NAME)
    assert (driver.dialect, driver.http_library, driver.extra) == ("cohere-v2", "httpx", "cohere")


def test_a_fragmented_tool_call_is_assembled() -> None:
    result = run("tool-call-fragmented")
    assert result.findings == [] and result.status == "pass"
    (call,) = [e for e in result.transcript.events if isinstance(e, ToolCallEvent)]
    assert call.arguments == {"city": "Paris", "unit": "celsius"}
    (request,) = result.transcript.requests
    assert request.path == "/v2/chat" and request.body["stream"] is True


def test_a_non_streamed_429_is_retried_after_retry_after() -> None:
    from harness.scenario.model import Scenario

    scenario = load_scenario(SCENARIOS / "retry-429-seconds.yaml")
    unstreamed = Scenario.model_validate(
        {**scenario.model_dump(), "request": {**scenario.request.model_dump(), "stream": False}}
    )
    result = run_scenario(unstreamed, get_driver(NAME))
    assert result.findings == [] and len(result.transcript.requests) == 2


def test_chat_stream_never_retries_a_real_finding() -> None:
    """``AsyncHttpClient.stream`` sends once (cohere/core/http_client.py:917-1021); only
    ``request`` retries (:830-900), so chat_stream gives up on the first 429."""
    result = run("retry-429-seconds")
    assert {f.code for f in result.findings} == {"retry-missing"}
    assert isinstance(result.transcript.events[-1], ErrorEvent)


def test_an_error_message_end_is_handed_over_not_raised_a_real_finding() -> None:
    result = run("fault-error-in-stream")
    assert {f.code for f in result.findings} == {"stream-error-swallowed"}
    last = result.transcript.events[-1]
    assert isinstance(last, FinishEvent) and last.raw == "ERROR"
