"""instructor's ``create_partial`` driver: which scenarios it can run, the response model it
builds from a tool's schema (no adapter needed), then the REAL library in its own environment
through the matrix machinery.

The end-to-end test needs the driver's environment: it runs when it is already built
(``harness matrix --driver instructor-openai`` builds it) or when ``HARNESS_SLOW=1`` asks to
build it here; otherwise it is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from harness.drivers.base import get_driver
from harness.drivers.contract import contract_of
from harness.drivers.instructor_openai import response_model, tool_dict
from harness.matrix.envs import is_built
from harness.scenario.load import load_scenario
from harness.scenario.model import Tool
from tests.drivers.standalone import as_in_a_reproducer

DRIVER = "instructor-openai"
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_registered_with_its_own_environment() -> None:
    driver = get_driver(DRIVER)
    assert (driver.dialect, driver.extra) == ("openai-chat", "instructor")
    assert getattr(driver, "environment", ()) == ("instructor==1.17.0",)
    pins = (SCENARIOS.parent / "constraints" / f"{DRIVER}.txt").read_text().splitlines()
    assert "instructor==1.17.0" in pins and "openai==2.54.0" in pins
    assert any("no tool call ids" in line for line in contract_of(driver).deviations())


@pytest.mark.parametrize(
    ("scenario", "why"),
    [
        ("nonstream-tool-call", "create_partial streams"),
        ("text-plain", "exactly one tool"),
        ("text-then-tool-call", "one tool call and nothing else"),
    ],
)
def test_scenarios_it_cannot_express_are_na_with_the_reason(scenario: str, why: str) -> None:
    reason = get_driver(DRIVER).supports(load_scenario(SCENARIOS / f"{scenario}.yaml"))
    assert reason is not None and why in reason


def test_one_streamed_tool_call_is_its_call() -> None:
    for scenario in ("tool-call-fragmented", "fault-truncated-tool-args"):
        assert get_driver(DRIVER).supports(load_scenario(SCENARIOS / f"{scenario}.yaml")) is None


@pytest.mark.parametrize("make", [response_model, as_in_a_reproducer(response_model)])
def test_the_response_model_follows_the_tool_schema(make: Any) -> None:
    tool = Tool(
        name="get_weather",
        description="Current weather for a city.",
        parameters={
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city"],
        },
    )
    model = make(tool_dict(tool))
    assert model.__name__ == "get_weather" and model.__doc__ == "Current weather for a city."
    assert model(city="Paris").model_dump(exclude_none=True) == {"city": "Paris"}
    assert model(city="Rome", unit="celsius", days=2).model_dump()["days"] == 2
    for bad in ({}, {"city": "Paris", "unit": "kelvin"}):
        with pytest.raises(ValidationError):
            model(**bad)


# --------------------------------------------------------------------------- end to end

needs_env = pytest.mark.skipif(
    not (is_built(DRIVER) or os.environ.get("HARNESS_SLOW") == "1"),
    reason=f"{DRIVER}'s environment is not built (harness matrix --driver {DRIVER}, or "
    "HARNESS_SLOW=1)",
)
E2E = ["tool-call-fragmented", "tool-call-args-empty-string", "fault-truncated-tool-args"]


@pytest.mark.adapters
@pytest.mark.slow
@needs_env
def test_instructor_in_its_own_environment() -> None:
    """One matrix run: the object streamed whole passes; a stream cut inside the arguments
    ends normally with the object instructor completed from the cut JSON (it validates only
    a structurally complete object, instructor/v2/dsl/partial.py:500-512)."""
    from harness.matrix.run import run_matrix

    m = run_matrix([DRIVER], [SCENARIOS / f"{s}.yaml" for s in E2E], E2E)
    cells: dict[str, Any] = {c.scenario: c for c in m.cells}
    assert cells["tool-call-fragmented"].transcript.versions["instructor"] == "1.17.0"
    assert cells["tool-call-fragmented"].status == "pass"
    assert cells["tool-call-args-empty-string"].status == "pass"
    cut = cells["fault-truncated-tool-args"]
    assert cut.status == "fail" and "truncated-stream-accepted" in cut.codes()
    events = [e.model_dump() for e in cut.transcript.events]
    assert events == [
        {"kind": "tool_call", "id": None, "name": "get_weather",
         "arguments": {"city": "Paris"}, "raw": None},
        {"kind": "finish", "reason": "tool_calls", "raw": None},
    ]  # fmt: skip
