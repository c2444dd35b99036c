"""``harness_replay`` serves SDK clients exactly as a user builds them: default construction,
no ``http_client``, no base URL. anthropic 2.17 always passes its own ``httpx2.HTTPTransport``
(with socket options), httpx users bring subclasses and retry wrappers; all are served. A
client cached from an earlier test is a setup error naming the cache and its fix."""

from __future__ import annotations

import contextlib
import importlib

import pytest

from tests.plugin.outside import ASYNCIO_INI, PLUGIN

pytest_plugins = ["pytester"]

# Imported here, in the outer process: modules an in-process inner run imports first are
# dropped after it, and a later test would then hold a second copy of httpx2's classes.
for _name in ("httpcore2", "httpx2", "anthropic", "openai", "langchain_openai"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)

DEFAULT_CLIENTS = """
import anthropic
import openai
import pytest

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


@pytest.mark.harness_scenario("text-plain", dialect="anthropic-messages")
def test_anthropic_default(harness_replay):
    client = anthropic.Anthropic()
    with client.messages.stream(model="m", max_tokens=64, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
    assert text == "Hello! Nice to meet you."
    assert harness_replay.requests[0].url == "https://api.anthropic.com/v1/messages"


@pytest.mark.harness_scenario("text-plain", dialect="anthropic-messages")
@pytest.mark.asyncio
async def test_async_anthropic_default(harness_replay):
    client = anthropic.AsyncAnthropic()
    async with client.messages.stream(model="m", max_tokens=64, messages=MESSAGES) as stream:
        text = "".join([t async for t in stream.text_stream])
    assert text == "Hello! Nice to meet you."


@pytest.mark.harness_scenario("text-plain", dialect="openai-chat")
def test_openai_default(harness_replay):
    stream = openai.OpenAI().chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert harness_replay.requests[0].url == "https://api.openai.com/v1/chat/completions"


@pytest.mark.harness_scenario("text-plain", dialect="openai-chat")
@pytest.mark.asyncio
async def test_async_openai_default(harness_replay):
    stream = await openai.AsyncOpenAI().chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    )
    assert [c async for c in stream]


@pytest.mark.harness_scenario("nonstream-text", dialect="openai-chat")
def test_httpx_subclass_and_retry_wrapper(harness_replay):
    import httpx

    class Keepalive(httpx.HTTPTransport):  # a subclass with socket options
        def __init__(self):
            super().__init__(retries=2, socket_options=[(6, 1, 1)])

    class Retrying(httpx.BaseTransport):  # a wrapper that delegates
        def __init__(self, inner):
            self.inner = inner
            self.calls = 0

        def handle_request(self, request):
            self.calls += 1
            return self.inner.handle_request(request)

    wrapper = Retrying(Keepalive())
    with httpx.Client(transport=wrapper) as http:
        assert http.post("https://api.openai.com/v1/chat/completions", json={}).status_code == 200
    assert wrapper.calls == 1  # the wrapper's own logic ran; the transport under it was served


@pytest.mark.harness_scenario("nonstream-text", dialect="openai-chat")
def test_httpx_proxy_mount(harness_replay):
    import httpx

    proxied = httpx.HTTPTransport(proxy="http://proxy.invalid:3128")
    with httpx.Client(mounts={"all://": proxied}) as http:
        assert http.post("https://api.openai.com/v1/chat/completions", json={}).status_code == 200


@pytest.mark.harness_scenario("text-plain", dialect="anthropic-messages")
def test_base_url_is_the_provider_url(harness_replay):
    assert harness_replay.base_url == "https://api.anthropic.com"
    anthropic.Anthropic(base_url=harness_replay.base_url).messages.create(
        model="m", max_tokens=64, messages=MESSAGES, stream=True
    ).close()


@pytest.mark.harness_scenario("text-plain", base_url="http://localhost:4000")
def test_base_url_can_be_chosen(harness_replay):
    assert harness_replay.base_url == "http://localhost:4000"
    client = openai.OpenAI(base_url=harness_replay.base_url + "/v1")
    assert list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))


@pytest.mark.harness_scenario("nonstream-text", dialect="openai-chat")
def test_httpx2_own_transport(harness_replay):
    import httpx2

    with httpx2.Client(transport=httpx2.HTTPTransport(retries=1)) as http:
        assert http.post("https://api.openai.com/v1/chat/completions", json={}).status_code == 200
"""


def test_default_constructed_sdk_clients_are_served(project: pytest.Pytester) -> None:
    pytest.importorskip("anthropic")
    pytest.importorskip("openai")
    project.makepyfile(test_default=DEFAULT_CLIENTS)
    project.makeini(ASYNCIO_INI)
    result = project.runpytest(*PLUGIN, "-p", "asyncio", "-v")
    result.assert_outcomes(passed=9)


CACHED_CLIENT = """
import functools

import openai
import pytest


@functools.lru_cache
def get_client():
    return openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.mark.harness_scenario("nonstream-text")
def test_builds_the_client(harness_replay):
    get_client().chat.completions.create(model="m", messages=[])


@pytest.mark.harness_scenario("nonstream-text")
def test_reuses_it(harness_replay):
    get_client().chat.completions.create(model="m", messages=[])
"""


def test_a_client_cached_across_tests_is_a_setup_error_naming_the_cache(
    project: pytest.Pytester,
) -> None:
    pytest.importorskip("openai")
    project.makepyfile(test_cached=CACHED_CLIENT)
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*harness_replay: [[]setup-stale-client[]] harness could not serve this test*",
            "*cached by the lru_cache test_cached.get_client: call "
            "test_cached.get_client.cache_clear() between tests*",
        ]
    )


UNSERVABLE = """
import asyncio

import httpx
import pytest


class OwnIO(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request):
        await asyncio.open_connection(request.url.host, 443)


@pytest.mark.harness_scenario("nonstream-text")
@pytest.mark.asyncio
async def test_own_io(harness_replay):
    async with httpx.AsyncClient(transport=OwnIO()) as http:
        await http.post("https://api.openai.com/v1/chat/completions", json={})
"""


def test_a_blocked_connection_names_client_library_reason_and_fix(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_unservable=UNSERVABLE)
    project.makeini(ASYNCIO_INI)
    result = project.runpytest(*PLUGIN, "-p", "asyncio")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "blocked: harness blocked a network connection to api.openai.com:443 during replay: "
            "the httpx client httpx.AsyncClient was not served: its transport "
            "test_unservable.OwnIO does its own I/O instead of going through "
            "httpx.HTTPTransport, the method harness serves; the request was sent from "
            "*test_unservable.py:16. Fix: build it with http_client=httpx.AsyncClient("
            "transport=harness_replay.transport('httpx'))*",
        ]
    )


LANGCHAIN = """
import pytest
from langchain_openai import ChatOpenAI


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


@pytest.mark.harness_scenario("text-plain")
def test_first(harness_replay):
    chunks = list(ChatOpenAI(model="gpt-4o-mini").stream("hi"))
    assert "".join(c.content for c in chunks) == "Hello! Nice to meet you."


@pytest.mark.harness_scenario("text-plain")
def test_second_reuses_the_cached_client(harness_replay):
    list(ChatOpenAI(model="gpt-4o-mini", max_retries=0).stream("hi"))
"""


def test_chat_openai_default_is_served_and_its_cached_client_reported(
    project: pytest.Pytester,
) -> None:
    """langchain-openai builds a socket-options transport and keeps the client in an
    ``lru_cache`` across instances: the first test is served, the second is told why not."""
    pytest.importorskip("langchain_openai")
    project.makepyfile(test_langchain=LANGCHAIN)
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*harness_replay: [[]setup-stale-client[]]*",
            "*cached by the lru_cache langchain_openai.chat_models._client_utils."
            "_cached_sync_httpx_client: call *.cache_clear() between tests*",
        ]
    )
