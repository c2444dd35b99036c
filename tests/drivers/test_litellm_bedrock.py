"""The ``litellm-bedrock`` driver: litellm's own Bedrock Converse handler (httpx, its AWS
event-stream decoder) on the replay, end to end through the runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import ErrorEvent, ToolCallEvent

pytest.importorskip("litellm")
pytest.importorskip("botocore")

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "litellm-bedrock"


def run(scenario: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{scenario}.yaml"), get_driver(NAME))


def test_registered() -> None:
    driver = get_driver(NAME)
    assert (driver.dialect, driver.http_library, driver.extra) == (
        "bedrock-converse",
        "httpx",
        "litellm",
    )


def test_a_fragmented_tool_call_over_the_event_stream() -> None:
    result = run("tool-call-fragmented")
    assert result.findings == [] and result.status == "pass"
    (call,) = [e for e in result.transcript.events if isinstance(e, ToolCallEvent)]
    assert call.arguments == {"city": "Paris", "unit": "celsius"}
    (request,) = result.transcript.requests
    assert request.path == "/model/gpt-4o-mini/converse-stream"
    assert request.body["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"


def test_a_429_surfaces_as_litellms_rate_limit_error_without_a_retry() -> None:
    """litellm retries only when num_retries is set (its declared contract)."""
    result = run("retry-429-budget-2")
    assert result.findings == []
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.type == "litellm.exceptions.RateLimitError"


def test_an_exception_frame_mid_stream_is_reported_as_a_bad_request_a_real_finding() -> None:
    """litellm raises BedrockError with the status botocore's ``to_response_dict`` gives
    every exception frame, 400 (litellm/llms/bedrock/chat/invoke_handler.py:1717-1738,
    botocore/eventstream.py:343-351): an internalServerException becomes BadRequestError."""
    result = run("fault-error-in-stream")
    assert {f.code for f in result.findings} == {"error-kind-mismatch"}
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.error == "bad_request"
