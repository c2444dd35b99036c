"""``harness_replay`` serves requests, urllib3 and aiohttp clients by itself (through vcrpy,
each body as one blob), default-built, from the same replay as httpx clients: one request
log, one guard, one clock; and no vcrpy patch outlives the test, passed or failed."""

from __future__ import annotations

import http.client
import shutil
from pathlib import Path

import aiohttp
import pytest
import urllib3

from tests.plugin.outside import INI, PLUGIN

pytest_plugins = ["pytester"]

THREE_CLIENTS = """
import asyncio
import time

import aiohttp
import httpx
import pytest
import requests

URL = "https://api.openai.com/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


async def _aiohttp_post():
    async with aiohttp.ClientSession() as session:
        async with session.post(URL, json=BODY) as reply:
            return reply.status, await reply.read()


@pytest.mark.harness_scenario("retry-503-repeated")
def test_requests_aiohttp_and_httpx_in_one_test(harness_replay):
    assert requests.post(URL, json=BODY).status_code == 503
    time.sleep(3)  # the test's virtual clock: skipped, and seen by every client's log entry
    status, _ = asyncio.run(_aiohttp_post())
    assert status == 503
    assert httpx.post(URL, json=BODY).status_code == 503
    assert requests.post(URL, json=BODY).status_code == 503
    status, body = asyncio.run(_aiohttp_post())
    assert status == 200 and b"Hello! Nice to meet you." in body
    log = harness_replay.requests
    assert [r.exchange for r in log] == [0, 1, 2, 3, 4]
    assert all(r.url == URL and r.body == BODY for r in log)
    assert log[1].at - log[0].at >= 3 and harness_replay.clock.elapsed() >= 3


@pytest.mark.harness_scenario("nonstream-text")
def test_off_script(harness_replay):
    requests.get("https://api.openai.com/v1/models")
"""


def test_requests_aiohttp_and_httpx_clients_share_one_replay(project: pytest.Pytester) -> None:
    project.makepyfile(test_clients=THREE_CLIENTS)
    result = project.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_clients.py::test_off_script - *ReplayMiss*"])
    _assert_unpatched()


UNPATCHED_AFTER = """
import http.client

import aiohttp
import pytest
import requests
import urllib3

ORIGINAL = (
    http.client.HTTPSConnection,
    urllib3.connection.HTTPSConnection,
    urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls,
    aiohttp.ClientSession._request,
)
URL = "https://api.openai.com/v1/chat/completions"


def seams():
    return (
        http.client.HTTPSConnection,
        urllib3.connection.HTTPSConnection,
        urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls,
        aiohttp.ClientSession._request,
    )


@pytest.mark.harness_scenario("nonstream-text")
def test_a_failing_test_served_through_vcrpy(harness_replay):
    assert seams() != ORIGINAL  # patched while the test runs
    assert requests.post(URL, json={}).status_code == 200
    raise AssertionError("the test fails with the patches in place")


def test_after_it_requests_is_unpatched():
    assert seams() == ORIGINAL
    with pytest.raises(requests.ConnectionError, match="blocked|refused|resolve|Name"):
        requests.get("http://127.0.0.1:9/", timeout=1)  # a real connection attempt again
"""


def test_after_the_fixture_requests_and_aiohttp_are_unpatched(project: pytest.Pytester) -> None:
    project.makepyfile(test_unpatched=UNPATCHED_AFTER)
    project.makeini(INI)
    result = project.runpytest(*PLUGIN, "-v", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E * the test fails with the patches in place"])
    _assert_unpatched()


def _assert_unpatched() -> None:
    """The outer process shares these modules with the inner run: nothing is left patched."""
    assert http.client.HTTPSConnection.__module__ == "http.client"
    assert urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls.__module__ == (
        "urllib3.connection"
    )
    assert aiohttp.ClientSession._request.__module__ == "aiohttp.client"


CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "azure-agents"
RECORDING = "azure-sdk-assets__test_agents_client.pyTestAgentClienttest_create_stream.json"

AZURES_OWN_RECORDING = """
import time

import pytest
from azure.ai.agents import AgentsClient
from azure.ai.agents.models import MessageDeltaChunk, ThreadRun
from azure.core.credentials import AccessToken

ENDPOINT = (
    "https://Sanitized.api.azureml.ms/agents/v1.0/subscriptions/"
    "00000000-0000-0000-0000-000000000000/resourceGroups/00000/providers/"
    "Microsoft.MachineLearningServices/workspaces/00000"
)


class Token:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("harness-token", int(time.time()) + 3600)


@pytest.mark.harness_cassette("recording.json")
def test_azures_recording_through_the_sdk(harness_replay):
    client = AgentsClient(ENDPOINT, Token(), api_version="2025-05-15-preview")
    agent = client.create_agent(
        model="gpt-4o", name="my-agent", instructions="You are helpful agent"
    )
    thread = client.threads.create()
    question = "Hello, can you tell me a joke?"
    client.messages.create(thread_id=thread.id, role="user", content=question)
    texts, statuses = [], []
    with client.runs.stream(thread_id=thread.id, agent_id=agent.id) as stream:
        for _, data, _ in stream:
            if isinstance(data, MessageDeltaChunk):
                texts.append(data.text)
            elif isinstance(data, ThreadRun):
                statuses.append(str(data.status.value))
    client.delete_agent(agent.id)
    assert "".join(texts).startswith("Of course! Here's a joke for you:")
    assert statuses[-1] == "completed"
    assert [r.method for r in harness_replay.requests] == ["POST", "POST", "POST", "POST", "DELETE"]
"""


def test_azures_own_recording_replays_through_the_sdk_in_harness_replay(
    project: pytest.Pytester,
) -> None:
    """Azure's test-proxy JSON of an azure-ai-agents stream, replayed by ``harness_cassette``
    to the SDK on requests: the fixture serves it through vcrpy, nothing to wrap."""
    pytest.importorskip("azure.ai.agents")
    if not (CORPUS / RECORDING).is_file():
        pytest.skip("the shared corpus is not linked (../shared/corpus)")
    shutil.copy(CORPUS / RECORDING, project.path / "recording.json")
    project.makepyfile(test_azure=AZURES_OWN_RECORDING)
    result = project.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1)
    _assert_unpatched()
