"""The ``llama-index-openai`` driver: registered without importing llama-index, the scenario
turned into llama-index's tools and messages, then the library end to end through the runner
(``adapters`` marker; skipped without llama-index-llms-openai).

The end-to-end tests pin what llama-index-llms-openai 0.8.3 does: parallel calls streamed
at one index are merged into one call with joined ids and names, and a stream cut inside a
tool call's arguments reaches the caller as a complete call."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from tests.drivers.adapters import imported_by_lookup

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "llama-index-openai"
needs_llama_index = pytest.mark.skipif(
    importlib.util.find_spec("llama_index") is None
    or importlib.util.find_spec("llama_index.llms.openai") is None,
    reason="llama-index-llms-openai is not installed",
)


def run(name: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), get_driver(NAME))


def test_registered_and_lazy() -> None:
    driver = get_driver(NAME)
    assert (driver.name, driver.dialect, driver.extra) == (NAME, "openai-chat", "llama-index")
    assert imported_by_lookup([NAME], ("llama_index", "openai")) == []


@needs_llama_index
def test_tools_declare_the_scenario_schema_and_messages_keep_call_ids() -> None:
    from harness.drivers.llama_index_openai import llama_messages, llama_tools

    scenario = load_scenario(SCENARIOS / "fault-empty-after-tool-result.yaml")
    request = scenario.request
    (tool,) = llama_tools(request)
    spec = tool.metadata.to_openai_tool()
    assert spec["function"]["name"] == request.tools[0].name
    assert spec["function"]["parameters"] == request.tools[0].parameters
    spec["function"]["parameters"]["additionalProperties"] = False  # as strict mode does
    assert "additionalProperties" not in request.tools[0].parameters  # a copy was edited

    from llama_index.llms.openai.utils import to_openai_message_dicts

    dicts = to_openai_message_dicts(llama_messages(request))
    sent = [m for m in request.messages if m.role == "tool"]
    assert [d.get("tool_call_id") for d in dicts if d["role"] == "tool"] == [
        m.tool_call_id for m in sent
    ]
    calls = [c for d in dicts if d["role"] == "assistant" for c in d.get("tool_calls") or []]
    wanted = [c for m in request.messages for c in m.tool_calls]
    assert [c["function"]["name"] for c in calls] == [c.name for c in wanted]


@pytest.mark.adapters
@needs_llama_index
@pytest.mark.parametrize("scenario", ["tool-call-fragmented", "nonstream-tool-call"])
def test_a_tool_call_streamed_or_not_passes(scenario: str) -> None:
    result = run(scenario)
    assert result.status == "pass", result.reason()
    assert result.leaked_tasks == []


@pytest.mark.adapters
@needs_llama_index
def test_parallel_calls_at_one_index_are_merged_into_one() -> None:
    """llama_index/llms/openai/utils.py:1088-1140 ``update_tool_calls`` starts a new call
    only when the index changes: the second call's id and name are appended to the first."""
    result = run("chat-tool-calls-index-zero")
    assert "tool-call-index-reused-mishandled" in [f.code for f in result.findings]
    assert result.transcript is not None
    (call,) = result.transcript.tool_calls()
    assert (call.id, call.name) == ("call_paris01call_rome002", "get_weatherget_weather")


@pytest.mark.adapters
@needs_llama_index
def test_arguments_cut_mid_json_reach_the_caller_as_a_complete_call() -> None:
    """``get_tool_calls_from_response`` parses with ``parse_partial_json``, which completes
    ``{"city":"Paris","u`` into ``{"city": "Paris"}``."""
    result = run("fault-truncated-tool-args")
    assert "truncated-stream-accepted" in [f.code for f in result.findings]
    assert result.transcript is not None
    assert [(c.name, c.arguments) for c in result.transcript.tool_calls()] == [
        ("get_weather", {"city": "Paris"})
    ]
