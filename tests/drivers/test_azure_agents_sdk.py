"""The ``azure-agents-sdk`` driver (the ``azure-ai-agents`` SDK on requests, served by the
vcrpy engine): registry and n/a reasons (no adapter needed), then the REAL SDK end to end
through the runner and the azure-agents dialect, and Azure's own test-proxy recording of an
SDK run replayed through the SDK that made it (``adapters`` marker; skipped without it)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes import cassette_script, load_cassette
from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.transport.blob import serving_blob
from harness.transport.core import Replay
from harness.transport.guard import no_network
from harness.vocab.events import ErrorEvent, FinishEvent, TextEvent, UsageEvent
from tests.drivers.adapters import imported_by_lookup

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
CORPUS = ROOT.parent / "shared" / "corpus" / "azure-agents"
NAME = "azure-agents-sdk"
needs_sdk = pytest.mark.skipif(
    importlib.util.find_spec("azure.ai.agents") is None, reason="azure-ai-agents is not installed"
)


def run(name: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), get_driver(NAME))


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
    ("scenario", "why"),
    [
        ("azure-stream-text", "a streamed one: azure-agents-sdk-stream"),
        ("azure-poll-requires-action", "create_and_process executes a run's tool calls"),
    ],
)
def test_na_reasons(scenario: str, why: str) -> None:
    reason = get_driver(NAME).supports(load_scenario(SCENARIOS / f"{scenario}.yaml"))
    assert reason is not None and why in reason


@pytest.mark.adapters
@needs_sdk
def test_a_polled_run_through_the_sdk() -> None:
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
    assert result.findings == []


@pytest.mark.adapters
@needs_sdk
@pytest.mark.parametrize(
    ("scenario", "kind"),
    [("azure-run-failed", "server"), ("azure-run-failed-rate-limit", "rate_limit")],
)
def test_a_failed_run_is_the_terminal_error(scenario: str, kind: str) -> None:
    result = run(scenario)
    assert result.transcript is not None
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.error == kind
    assert result.findings == []


@pytest.mark.adapters
@needs_sdk
def test_azure_core_retries_a_429_run_creation_after_its_retry_after() -> None:
    result = run("azure-429-run-creation")
    assert result.transcript is not None
    assert result.findings == []
    runs = [r for r in result.transcript.requests if r.path.endswith("/runs")]
    assert len(runs) == 2 and runs[1].at - runs[0].at >= 2


class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("harness-token", int(time.time()) + 3600)


@pytest.mark.adapters
@needs_sdk
def test_azures_own_recording_replays_through_the_sdk() -> None:
    from azure.ai.agents import AgentsClient
    from azure.ai.agents.models import MessageDeltaChunk, ThreadRun

    recording = (
        CORPUS / "azure-sdk-assets__test_agents_client.pyTestAgentClienttest_create_stream.json"
    )
    if not recording.is_file():
        pytest.skip("the shared corpus is not linked (../shared/corpus)")
    replay = Replay(cassette_script(load_cassette(recording)))
    endpoint = (
        "https://Sanitized.api.azureml.ms/agents/v1.0/subscriptions/"
        "00000000-0000-0000-0000-000000000000/resourceGroups/00000/providers/"
        "Microsoft.MachineLearningServices/workspaces/00000"
    )
    texts: list[str] = []
    statuses: list[str] = []
    with replay.active(), no_network(), serving_blob(replay):
        client = AgentsClient(endpoint, _Token(), api_version="2025-05-15-preview")  # type: ignore[arg-type]
        agent = client.create_agent(
            model="gpt-4o", name="my-agent", instructions="You are helpful agent"
        )
        thread = client.threads.create()
        client.messages.create(
            thread_id=thread.id, role="user", content="Hello, can you tell me a joke?"
        )
        with client.runs.stream(thread_id=thread.id, agent_id=agent.id) as stream:
            for _, data, _ in stream:
                if isinstance(data, MessageDeltaChunk):
                    texts.append(data.text)
                elif isinstance(data, ThreadRun):
                    statuses.append(str(data.status.value))
        client.delete_agent(agent.id)
    replay.assert_all_served()
    assert [r.method for r in replay.log] == ["POST", "POST", "POST", "POST", "DELETE"]
    assert "".join(texts).startswith("Of course! Here's a joke for you:")
    assert statuses[-1] == "completed"
