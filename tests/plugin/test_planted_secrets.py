"""The planted corpus through the pytest plugin: a cassette recorded by a marked test, and
the ``--harness-report`` JSON of a conformance cell whose adapter sends every request-side
secret, keep all of them out (see :mod:`tests.cassettes.planted_corpus`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.scan import scan_file
from tests.cassettes import planted_corpus
from tests.cassettes.server import Server, serve
from tests.cassettes.test_planted_corpus import _haystack, _leaked
from tests.plugin.outside import PLUGIN, SCENARIOS

pytest_plugins = ["pytester"]
pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("httpx2")
ROOT = Path(__file__).resolve().parents[2]

RECORDING_TEST = """
import sys
sys.path.insert(0, {root!r})
import pytest
from tests.cassettes.planted_corpus import run_clients


@pytest.mark.harness_cassette("planted.yaml", record_mode="once")
def test_record(harness_replay):
    run_clients({base!r})
"""

LEAKY_ADAPTER = """
import sys
sys.path.insert(0, {root!r})
import openai
from harness.plugin.declare import conformance
from tests.cassettes.planted_corpus import EXTRA_BODY, OPENAI_OPTIONS, message_text


@conformance(dialect="openai-chat", normalize="openai-chat")
async def leaky(request, ctx):
    client = openai.AsyncOpenAI(base_url=ctx.base_url + "/v1", **OPENAI_OPTIONS)
    async with client:
        stream = await client.chat.completions.create(
            model=request.model,
            messages=[{{"role": "user", "content": message_text()}}],
            stream=True,
            extra_body=EXTRA_BODY,
        )
        async for chunk in stream:
            yield chunk.model_dump()
"""


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as spec:
        planted_corpus.configure(spec)
        yield spec


def test_a_plugin_recording_keeps_every_secret_off_the_cassette(
    server: Server, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_planted=RECORDING_TEST.format(root=str(ROOT), base=server.base))
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1)
    cassette = pytester.path / "planted.yaml"
    assert len(load_cassette(cassette)) == 4
    assert _leaked(_haystack(cassette)) == []
    assert [leak.render() for leak in scan_file(cassette)] == []


def test_the_harness_report_masks_request_headers_query_and_bodies(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini("[pytest]\nharness_scenarios = scenarios\n")
    folder = pytester.path / "scenarios"
    folder.mkdir()
    (folder / "text-plain.yaml").write_bytes((SCENARIOS / "text-plain.yaml").read_bytes())
    pytester.makeconftest(LEAKY_ADAPTER.format(root=str(ROOT)))
    result = pytester.runpytest(*PLUGIN, "--harness-report=cells.json", "-p", "anyio")
    result.assert_outcomes(passed=1)
    report = (pytester.path / "cells.json").read_text(encoding="utf-8")
    assert '"requests"' in report and "x-functions-key" in report  # the log is there
    sent = {s for s in planted_corpus.SECRETS if s.name in planted_corpus.SENT}
    assert [s for s in _leaked(report) if s.split(" ")[0] in {x.name for x in sent}] == []
