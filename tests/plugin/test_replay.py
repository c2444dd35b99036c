"""``harness_replay`` and ``harness_clock`` in an outside project's ordinary tests: SDK clients
made inside the test are served, failures read well, time is virtual (sync, pytest-asyncio,
anyio), and cassettes record then replay."""

from __future__ import annotations

import pytest

from tests.plugin.outside import ASYNCIO_INI, PLUGIN

pytest_plugins = ["pytester"]


# --------------------------------------------------------------------------- harness_replay

REPLAY_TESTS = """
import time

import anyio
import openai
import pytest


@pytest.mark.harness_scenario("tool-call-fragmented")
@pytest.mark.asyncio
async def test_async_openai_without_http_client(harness_replay, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    client = openai.AsyncOpenAI()
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    harness_replay.assert_conforms(harness_replay.normalize(chunks))
    assert [r.path for r in harness_replay.requests] == ["/v1/chat/completions"]


@pytest.mark.harness_scenario("text-plain")
@pytest.mark.anyio
async def test_anyio_test_is_served(harness_replay):
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=harness_replay.base_url + "/v1")
    reply = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert [c async for c in reply]


@pytest.mark.harness_scenario("retry-429-seconds", dialect="openai-chat")
def test_sync_retry_waits_on_the_virtual_clock(harness_replay):
    stream = openai.OpenAI(api_key="sk-test").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello! Nice to meet you."
    assert harness_replay.requests[1].at - harness_replay.requests[0].at >= 2
    assert harness_replay.clock.elapsed() >= 2  # virtual: skipped, not waited
    time.sleep(600)
    assert harness_replay.clock.elapsed() >= 600


@pytest.mark.parametrize("harness_replay", ["text-plain", "nonstream-text"], indirect=True)
def test_indirect_parameter(harness_replay):
    import httpx

    with httpx.Client() as http:
        assert http.post("https://any.invalid/v1/chat/completions", json={}).status_code == 200
    assert harness_replay.scenario.id in ("text-plain", "nonstream-text")
"""


def test_replay_fixture_serves_clients_made_inside_the_test(project: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    project.makepyfile(test_replay=REPLAY_TESTS)
    project.makeini(ASYNCIO_INI)
    result = project.runpytest(*PLUGIN, "-p", "asyncio", "-p", "anyio", "-v")
    result.assert_outcomes(passed=5)


FAILING_REPLAY_TESTS = """
import socket

import httpx
import pytest


@pytest.mark.harness_scenario("text-plain")
def test_unserved(harness_replay):
    pass


@pytest.mark.harness_scenario("text-plain", assert_all_served=False)
def test_unserved_allowed(harness_replay):
    pass


@pytest.mark.harness_scenario("text-plain")
def test_network_blocked(harness_replay):
    socket.create_connection(("example.com", 80))


@pytest.mark.harness_scenario("text-plain")
def test_wrong_path(harness_replay):
    httpx.get("https://api.example.com/v1/models")


def test_no_marker(harness_replay):
    pass


@pytest.mark.harness_scenario("no-such-scenario")
def test_unknown_id(harness_replay):
    pass
"""


def test_replay_fixture_failures_read_well(project: pytest.Pytester) -> None:
    project.makepyfile(test_fail=FAILING_REPLAY_TESTS)
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(passed=2, failed=2, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*harness_replay: 1 scripted exchange(s) never requested*",
            "*(pass assert_all_served=False to the marker if the test means it)*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*NetworkBlocked: harness blocked a network connection to example.com:80*"]
    )
    result.stdout.fnmatch_lines(
        ["*- harness -*", "replay: *text-plain.yaml:2 (openai-chat)*", "*-> MISS*"]
    )
    result.stdout.fnmatch_lines(["*harness_replay needs a scenario or a cassette*"])
    result.stdout.fnmatch_lines(["*no scenario 'no-such-scenario'*known ids:*"])


# --------------------------------------------------------------------------- virtual asyncio time

VIRTUAL_ASYNC_TESTS = """
import asyncio

import openai
import pytest


@pytest.mark.asyncio
@pytest.mark.harness_scenario("retry-429-seconds")
async def test_sdk_retry_waits_on_virtual_time(harness_replay):
    client = openai.AsyncOpenAI(api_key="sk-test")
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = [c async for c in stream]
    assert harness_replay.normalize(chunks)
    assert harness_replay.requests[1].at - harness_replay.requests[0].at >= 2
    assert harness_replay.clock.elapsed() >= 2  # virtual: skipped, not waited


@pytest.mark.asyncio
async def test_without_harness_the_loop_is_the_usual_one():
    assert type(asyncio.get_running_loop()).__name__ != "_VirtualLoop"


@pytest.mark.asyncio
async def test_asyncio_sleep_is_virtual(harness_clock):
    await asyncio.sleep(3600)
    assert harness_clock.offset > 3500
"""

ANYIO_TESTS = """
import anyio
import pytest

from harness.plugin.fixture import virtual_loop_factory


@pytest.fixture
def anyio_backend():
    return "asyncio", {"loop_factory": virtual_loop_factory}


@pytest.mark.anyio
async def test_anyio_sleep_is_virtual(harness_clock):
    await anyio.sleep(3600)
    assert harness_clock.offset > 3500
"""


def test_virtual_time_for_pytest_asyncio_via_ini(project: pytest.Pytester) -> None:
    project.makeini(ASYNCIO_INI + "harness_virtual_asyncio = true\n")
    pytest.importorskip("openai")
    project.makepyfile(test_time=VIRTUAL_ASYNC_TESTS)
    result = project.runpytest(*PLUGIN, "-p", "asyncio")
    result.assert_outcomes(passed=3)


def test_virtual_time_for_anyio_via_loop_factory(project: pytest.Pytester) -> None:
    project.makepyfile(test_time=ANYIO_TESTS)
    result = project.runpytest(*PLUGIN, "-p", "anyio")
    result.assert_outcomes(passed=1)


# --------------------------------------------------------------------------- cassettes

CASSETTE_TESTS = """
import http.server
import threading

import httpx
import pytest

BODY = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\\n\\n'
    b"data: [DONE]\\n\\n"
)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.harness_cassette("cassettes/chat.yaml")
def test_chat(harness_replay, server):
    with httpx.Client() as http:
        reply = http.post(server + "/v1/chat/completions", json={"model": "m"})
    assert b"[DONE]" in reply.content
    print("recording" if harness_replay.recorder.replay is None else "replaying")


@pytest.mark.harness_cassette
def test_default_path(harness_replay, server):
    assert httpx.post(server + "/v1/chat/completions", json={}).status_code == 200
"""


def test_cassette_records_once_then_replays_offline(project: pytest.Pytester) -> None:
    project.makepyfile(test_cassette=CASSETTE_TESTS)
    missing = project.runpytest(*PLUGIN)
    missing.assert_outcomes(errors=2)
    missing.stdout.fnmatch_lines(["*harness_cassette: *chat.yaml: no such cassette*"])

    recorded = project.runpytest(*PLUGIN, "--harness-record-mode=once", "-s")
    recorded.assert_outcomes(passed=2)
    recorded.stdout.fnmatch_lines(["*recording*"])
    assert (project.path / "cassettes" / "chat.yaml").is_file()
    assert (project.path / "cassettes" / "test_cassette" / "test_default_path.yaml").is_file()

    replayed = project.runpytest(*PLUGIN, "-s")
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["*replaying*"])
