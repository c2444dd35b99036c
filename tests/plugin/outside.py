"""Source files of an outside project: someone else's tiny OpenAI-chat client built on httpx,
and the conftest that declares it to harness. The plugin tests write them with pytester."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
PICKED = (
    "fault-http-400",
    "nonstream-text",
    "retry-429-seconds",
    "text-plain",
    "tool-call-fragmented",
)
"""Bundled scenarios the outside project runs: four the client below gets right, and one
(``retry-429-seconds``) it gets wrong, because it never retries."""

PLUGIN = ("-p", "harness.plugin.pytest_plugin")
"""Inner runs autoload no plugin (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) and load harness
explicitly; tests add ``-p asyncio``, ``-p anyio``, ``-p xdist`` where they need them."""

CLIENT = '''
"""chatclient: a minimal OpenAI-compatible chat client (sync and async), no retries."""
import json

import httpx


class ChatError(Exception):
    def __init__(self, status_code, body):
        super().__init__(f"HTTP {status_code}: {body[:200]}")
        self.status_code = status_code


def _body(model, messages, tools, stream):
    body = {"model": model, "messages": messages, "stream": stream}
    if tools:
        body["tools"] = tools
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def _data(line):
    if line.startswith("data:"):
        payload = line[5:].strip()
        if payload and payload != "[DONE]":
            return json.loads(payload)
    return None


class AsyncChat:
    def __init__(self, base_url, api_key):
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30,
                                      headers={"authorization": f"Bearer {api_key}"})

    async def create(self, model, messages, tools=None, stream=True):
        async with self.http:
            body = _body(model, messages, tools, stream)
            async with self.http.stream("POST", "/chat/completions", json=body) as resp:
                if resp.status_code >= 400:
                    raise ChatError(resp.status_code, (await resp.aread()).decode())
                if not stream:
                    yield json.loads(await resp.aread())
                    return
                async for line in resp.aiter_lines():
                    chunk = _data(line)
                    if chunk is not None:
                        yield chunk


class Chat:
    def __init__(self, base_url, api_key):
        self.http = httpx.Client(base_url=base_url, timeout=30,
                                 headers={"authorization": f"Bearer {api_key}"})

    def create(self, model, messages, tools=None, stream=True):
        with self.http:
            body = _body(model, messages, tools, stream)
            with self.http.stream("POST", "/chat/completions", json=body) as resp:
                if resp.status_code >= 400:
                    raise ChatError(resp.status_code, resp.read().decode())
                if not stream:
                    return [json.loads(resp.read())]
                return [c for c in map(_data, resp.iter_lines()) if c is not None]
'''

CONFTEST = """
from chatclient import AsyncChat
from harness.plugin.declare import conformance, openai_messages, openai_tools


@conformance(dialect="openai-chat", normalize="openai-chat")
async def chat_client(request, ctx):
    client = AsyncChat(ctx.base_url + "/v1", ctx.api_key)
    messages, tools = openai_messages(request), openai_tools(request)
    async for chunk in client.create(request.model, messages, tools, stream=request.stream):
        yield chunk
"""
"""The README's conftest: the whole suite, in under ten lines."""

SYNC_MODULE = """
from chatclient import Chat
from harness.plugin.declare import conformance, openai_messages, openai_tools


@conformance(dialect="openai-chat", normalize="openai-chat", name="sync-chat")
def test_sync_chat(request, ctx):
    client = Chat(ctx.base_url + "/v1", ctx.api_key)
    return client.create(
        request.model, openai_messages(request), openai_tools(request), stream=request.stream
    )
"""

INI = """
[pytest]
filterwarnings =
    error
    ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning
harness_scenarios = scenarios
"""

ASYNCIO_INI = INI + "asyncio_default_fixture_loop_scope = function\n"
"""With pytest-asyncio loaded (``-p asyncio``), which knows this key."""
