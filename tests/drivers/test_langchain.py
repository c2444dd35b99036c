"""The ``langchain-openai`` and ``langchain-anthropic`` drivers: registered without importing
LangChain, LangChain's output read as an application reads it, then each library end to
end through the runner (``adapters`` marker; skipped without the library).

The end-to-end tests pin what langchain-openai 1.8.1 and langchain-anthropic 1.7.10 do: a
stalled stream waits forever (both pass ``timeout=None`` to their SDK), and a stream cut
inside a tool call's arguments reaches the caller as a complete call, without an error."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import ToolCallEvent
from tests.drivers.adapters import imported_by_lookup

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DRIVERS = {"langchain-openai": "langchain_openai", "langchain-anthropic": "langchain_anthropic"}


def installed(module: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        importlib.util.find_spec(module) is None, reason=f"{module} is not installed"
    )


needs_langchain_core = installed("langchain_core")


def run(name: str, driver: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), get_driver(driver))


@pytest.mark.parametrize(
    ("name", "dialect"),
    [("langchain-openai", "openai-chat"), ("langchain-anthropic", "anthropic-messages")],
)
def test_registered_and_lazy(name: str, dialect: str) -> None:
    driver = get_driver(name)
    assert (driver.name, driver.dialect, driver.extra) == (name, dialect, "langchain")
    assert imported_by_lookup([name], ("langchain", "openai", "anthropic")) == []


# --------------------------------------------------------------------------- the reader


@needs_langchain_core
def test_the_reader_merges_chunks_as_an_application_does() -> None:
    """Text as it comes; the merged message's calls (fragments joined by index), usage and
    finish at the end."""
    from langchain_core.messages import AIMessageChunk

    from harness.dialects.openai_chat.normalize import OPENAI_FINISH
    from harness.drivers.langchain_chat import LangChainReader

    reader = LangChainReader("finish_reason", OPENAI_FINISH)
    first = AIMessageChunk(
        content="Let me check.",
        tool_call_chunks=[{"name": "get_weather", "args": '{"city": "Pa', "id": "c1", "index": 0}],
    )
    second = AIMessageChunk(
        content="",
        tool_call_chunks=[{"name": None, "args": 'ris"}', "id": None, "index": 0}],
        response_metadata={"finish_reason": "tool_calls"},
    )
    assert [e.model_dump() for e in reader.feed(first)] == [
        {"kind": "text", "text": "Let me check."}
    ]
    assert reader.feed(second) == []
    kinds = [e.kind for e in reader.close(None)]
    assert kinds == ["tool_call", "finish"]
    call, finish = reader.close(None)
    assert isinstance(call, ToolCallEvent)
    assert (call.id, call.name, call.arguments) == ("c1", "get_weather", {"city": "Paris"})
    assert finish.model_dump()["reason"] == "tool_calls"


@needs_langchain_core
def test_the_reader_keeps_arguments_langchain_could_not_parse_as_text() -> None:
    from langchain_core.messages import AIMessage

    from harness.dialects.openai_chat.normalize import OPENAI_FINISH
    from harness.drivers.langchain_chat import LangChainReader

    message = AIMessage(
        content="",
        invalid_tool_calls=[
            {
                "name": "f",
                "args": "{not json",
                "id": "c9",
                "error": "bad",
                "type": "invalid_tool_call",
            }
        ],
        additional_kwargs={"refusal": "No."},
    )
    events = LangChainReader("finish_reason", OPENAI_FINISH).message_events(message, None)
    assert [e.model_dump() for e in events] == [
        {"kind": "tool_call", "id": "c9", "name": "f", "arguments": None, "raw": "{not json"},
        {"kind": "refusal", "text": "No."},
        {"kind": "finish", "reason": None, "raw": None},  # invoke returned it whole
    ]


# --------------------------------------------------------------------------- end to end


@pytest.mark.adapters
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_a_streamed_tool_call_passes_twice_in_one_process(driver: str) -> None:
    """Built by default (the real host, a cached client): the second cell is served too,
    because the driver clears the library's client cache, and leaves no task behind."""
    pytest.importorskip(DRIVERS[driver])
    for _ in range(2):
        result = run("tool-call-fragmented", driver)
        assert result.status == "pass", result.reason()
        assert result.leaked_tasks == []
        assert result.transcript is not None
        assert result.transcript.requests[0].url.startswith(
            "https://api.openai.com/" if driver == "langchain-openai" else "https://api.anthropic"
        )


@pytest.mark.adapters
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_a_stalled_stream_is_an_endless_wait_not_a_hang_of_the_matrix(driver: str) -> None:
    """``timeout=None`` reaches the SDK: a real call would never return."""
    pytest.importorskip(DRIVERS[driver])
    result = run("fault-stream-stall", driver)
    assert [f.code for f in result.findings] == ["adapter-hung"]
    assert "no read timeout" in result.findings[0].message


@pytest.mark.adapters
@pytest.mark.parametrize(
    ("driver", "arguments"),
    [("langchain-openai", {"city": "Paris"}), ("langchain-anthropic", {})],
)
def test_arguments_cut_mid_json_reach_the_caller_as_a_complete_call(
    driver: str, arguments: dict[str, str]
) -> None:
    """The server sent ``{"city":"Paris","u`` and no end: LangChain repairs (OpenAI) or
    empties (Anthropic) the arguments and raises nothing."""
    pytest.importorskip(DRIVERS[driver])
    result = run("fault-truncated-tool-args", driver)
    (finding,) = [f for f in result.findings if f.code == "truncated-stream-accepted"]
    assert f"as complete: get_weather({json.dumps(arguments)})" in finding.message
    assert result.transcript is not None
    calls = result.transcript.tool_calls()
    assert [(c.name, c.arguments, c.raw) for c in calls] == [("get_weather", arguments, None)]
