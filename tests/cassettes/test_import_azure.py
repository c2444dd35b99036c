"""Azure AI Agents (and OpenAI Assistants) recordings import into azure-agents scenarios: one
per run, streamed (``thread.*`` events) or polled (final status and the messages list), from
Azure's test-proxy JSON and from vcrpy cassettes; the rest of the flow is named as part of
its run. Before, every interaction was skipped with "no neutral reader"."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.import_ import scenarios_from
from harness.cassettes.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from harness.drivers.base import get_driver
from harness.run.runner import run_scenario
from harness.scenario.model import Scenario

CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
BASE = "https://x.services.ai.azure.com/api/projects/p"
JSON_HEAD = (("content-type", "application/json"),)
SSE_HEAD = (("content-type", "text/event-stream"),)


def only_scenario(cassette: Cassette) -> tuple[Scenario, list[str]]:
    found = scenarios_from(cassette)
    made = [f.scenario for f in found if f.scenario is not None]
    assert len(made) == 1, [f.skipped for f in found]
    return made[0], [f.skipped or "" for f in found if f.scenario is None]


def text_of(scenario: Scenario, driver: str) -> str:
    if importlib.util.find_spec("litellm") is None:  # not imported here: the driver sets it up
        pytest.skip("litellm is not installed")
    run = run_scenario(scenario, get_driver(driver))
    return "".join(getattr(e, "text", "") for e in run.transcript.events if e.kind == "text")


@needs_corpus
def test_a_test_proxy_stream_becomes_one_streamed_run_that_replays_its_text() -> None:
    name = "azure-sdk-assets__test_agents_client.pyTestAgentClienttest_create_stream.json"
    cassette = load_cassette(CORPUS / "azure-agents" / name)
    scenario, skipped = only_scenario(cassette)
    assert scenario.dialects == ["azure-agents"] and scenario.request.stream
    assert scenario.request.model == "asst_bcVAUsaklngwUFYlgCHt6YXZ"
    assert [m.content for m in scenario.request.messages] == ["Hello, can you tell me a joke?"]
    assert scenario.expect.text is not None and "don’t have the guts" in scenario.expect.text
    assert scenario.expect.usage is not None and scenario.expect.usage.input == 66
    assert skipped[:3] == ["part of the azure-agents run imported from #4"] * 3
    assert text_of(scenario, "litellm-azure-agents-stream") == scenario.expect.text


@needs_corpus
def test_a_run_that_requires_action_expects_the_tool_call() -> None:
    name = (
        "azure-sdk-assets__test_agents_client.pyTestAgentClient"
        "test_submit_tool_outputs_to_stream.json"
    )
    scenario, _ = only_scenario(load_cassette(CORPUS / "azure-agents" / name))
    assert scenario.expect.finish == "tool_calls"
    assert [c.name for c in scenario.expect.tool_calls or ()] == [
        "fetch_current_datetime_recordings"
    ]


@needs_corpus
def test_a_polled_assistants_run_in_a_vcrpy_cassette_keeps_its_polls_text_and_usage() -> None:
    name = "openllmetry__test_assistant__test_new_assistant_with_polling.yaml"
    scenario, _ = only_scenario(load_cassette(CORPUS / "assistants" / name))
    assert not scenario.request.stream
    reply = scenario.attempts[0].reply  # type: ignore[union-attr]
    assert reply.polls == 18
    assert scenario.expect.text == r"The solution to the equation \(3x + 11 = 14\) is \(x = 1\)."
    assert scenario.expect.usage is not None and scenario.expect.usage.output == 88
    assert text_of(scenario, "litellm-azure-agents") == scenario.expect.text


def _exchange(method: str, path: str, body: object, sse: bytes | None = None) -> Interaction:
    request = RecordedRequest(method, BASE + path, (), json.dumps(body).encode())
    if sse is not None:
        return Interaction(request, RecordedResponse(200, "", SSE_HEAD, sse))
    return Interaction(request, RecordedResponse(200, "", JSON_HEAD, json.dumps(body).encode()))


def _cassette(*interactions: Interaction) -> Cassette:
    return Cassette(
        tuple(Interaction(i.request, i.response, index=n) for n, i in enumerate(interactions)),
        source="agents.yaml",
    )


def test_a_failed_streamed_run_expects_the_failure() -> None:
    failed = {"id": "run_1", "object": "thread.run", "status": "failed",
              "last_error": {"code": "server_error", "message": "Sorry"}}  # fmt: skip
    stream = (
        f"event: thread.run.failed\ndata: {json.dumps(failed)}\n\nevent: done\ndata: [DONE]\n\n"
    )
    run = {"assistant_id": "asst_1", "stream": True,
           "thread": {"messages": [{"role": "user", "content": "hi"}]}}  # fmt: skip
    scenario, _ = only_scenario(_cassette(_exchange("POST", "/threads/runs", run, stream.encode())))
    assert scenario.expect.error == "server"
    assert scenario.attempts[0].reply.outcome == "failed"  # type: ignore[union-attr]


def test_an_expired_polled_run_keeps_its_outcome() -> None:
    run = {"id": "run_1", "object": "thread.run", "status": "queued"}
    scenario, _ = only_scenario(
        _cassette(
            _exchange("POST", "/threads", {"id": "thread_1", "object": "thread"}),
            _exchange("POST", "/threads/thread_1/messages", {"role": "user", "content": "hi"}),
            _exchange("POST", "/threads/thread_1/runs", {"assistant_id": "asst_1", **run}),
            _exchange("GET", "/threads/thread_1/runs/run_1", run),
            _exchange("GET", "/threads/thread_1/runs/run_1", {**run, "status": "expired"}),
        )
    )
    reply = scenario.attempts[0].reply  # type: ignore[union-attr]
    assert reply.outcome == "expired" and reply.polls == 1
    assert [m.content for m in scenario.request.messages] == ["hi"]


def test_a_run_whose_final_poll_is_unreadable_is_skipped_with_the_reason() -> None:
    run = {"id": "run_1", "object": "thread.run", "status": "queued"}
    broken = _exchange("GET", "/threads/thread_1/runs/run_1", run)
    broken = Interaction(broken.request, RecordedResponse(200, "", JSON_HEAD, b"<html>oops"))
    found = scenarios_from(
        _cassette(_exchange("POST", "/threads/thread_1/runs", {"assistant_id": "a", **run}), broken)
    )
    assert found[0].scenario is None
    assert found[0].skipped == "azure-agents run: the JSON body is not a run; not imported"
