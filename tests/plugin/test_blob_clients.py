"""``harness_replay`` serves a scenario to requests and aiohttp clients too (through vcrpy,
each body as one blob): default-built, no transport to pass, logged like any request."""

from __future__ import annotations

import pytest

from tests.plugin.outside import ASYNCIO_INI, PLUGIN

pytest_plugins = ["pytester"]

BLOB_CLIENTS = """
import aiohttp
import pytest
import requests

URL = "https://api.openai.com/v1/chat/completions"


@pytest.mark.harness_scenario("nonstream-text")
def test_requests(harness_replay):
    reply = requests.post(URL, json={"model": "m", "messages": []})
    assert reply.json()["choices"][0]["message"]["content"] == "Hello! Nice to meet you."
    assert harness_replay.requests[0].url == URL
    assert harness_replay.requests[0].body == {"model": "m", "messages": []}


@pytest.mark.harness_scenario("text-plain")
@pytest.mark.asyncio
async def test_aiohttp_stream(harness_replay):
    async with aiohttp.ClientSession() as session:
        async with session.post(URL, json={"stream": True}) as reply:
            body = b"".join([chunk async for chunk in reply.content.iter_any()])
    assert body.startswith(b"data: ") and body.rstrip().endswith(b"data: [DONE]")


@pytest.mark.harness_scenario("nonstream-text")
def test_off_script(harness_replay):
    requests.get("https://api.openai.com/v1/models")
"""


def test_requests_and_aiohttp_clients_are_served(project: pytest.Pytester) -> None:
    project.makepyfile(test_blob=BLOB_CLIENTS)
    project.makeini(ASYNCIO_INI)
    result = project.runpytest(*PLUGIN, "-p", "asyncio", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_blob.py::test_off_script - *ReplayMiss*"])
