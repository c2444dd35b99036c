"""The pytest plugin as an outside project meets it: pytester builds a project with its own
HTTP client and adapter, runs the conformance suite through the plugin (sync and async
adapters, with and without xdist), and uses ``harness_replay`` in ordinary tests.

Inner runs load the plugin explicitly (``outside.PLUGIN``), as respx tests itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

# In-process inner runs drop the modules first imported during the run; PyYAML's C loader
# does not survive being imported twice. Importing harness here keeps one copy for all runs.
import harness.conformance
import harness.fixture
import harness.loader
import harness.pytest_suite  # noqa: F401
from tests.plugin.outside import (
    ASYNCIO_INI,
    CLIENT,
    CONFTEST,
    INI,
    PICKED,
    PLUGIN,
    SCENARIOS,
    SYNC_MODULE,
)

pytest_plugins = ["pytester"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An outside project: its client, five bundled scenarios, an ini; no harness code yet."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(chatclient=CLIENT)
    pytester.makeini(INI)
    folder = pytester.path / "scenarios"
    folder.mkdir()
    for name in PICKED:
        shutil.copy(SCENARIOS / f"{name}.yaml", folder)
    return pytester


def _cells(path: Path) -> list[tuple[str, str, str, list[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        (c["driver"], c["scenario"], c["status"], sorted({f["code"] for f in c["findings"]}))
        for c in data["cells"]
    ]


# --------------------------------------------------------------------------- the suite


def test_conftest_declares_an_async_adapter_and_pytest_runs_the_suite(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(CONFTEST)
    result = project.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*conftest.py::chat_client[[]openai-chat-fault-http-400[]] PASSED*",
            "*conftest.py::chat_client[[]openai-chat-retry-429-seconds[]] FAILED*",
        ]
    )
    # pytest-style failure: the check, expected vs actual, the scenario file and line
    result.stdout.fnmatch_lines(
        [
            "*_ chat_client[[]openai-chat-retry-429-seconds[]] _*",
            "[[]*[]] *",
            "scenario retry-429-seconds (*scenarios/retry-429-seconds.yaml:2) x driver "
            "chat-client (openai-chat): * finding(s)",
            "*expected: *",
            "*actual: *",
            "*where: *retry-429-seconds.yaml:2*",
            "rerun: pytest 'conftest.py::chat_client[[]openai-chat-retry-429-seconds[]]'",
            "*- harness -*",
            "events:",
            "*rate_limit*",
        ]
    )
    result.stdout.fnmatch_lines(["*= harness =*", "5 cells: 4 pass, 1 fail, 0 n/a, 0 error"])


def test_sync_adapter_in_a_test_module(project: pytest.Pytester) -> None:
    project.makepyfile(test_chat=SYNC_MODULE)
    result = project.runpytest(*PLUGIN, "-v", "-k", "not retry")
    result.assert_outcomes(passed=4, deselected=1)
    result.stdout.fnmatch_lines(["*test_chat.py::test_sync_chat[[]openai-chat-text-plain[]] PASSED*"])


def test_adapter_yielding_raw_output_without_a_normalizer_is_a_declaration_error(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(CONFTEST.replace(', normalize="openai-chat"', ""))
    result = project.runpytest(*PLUGIN, "-k", "text-plain")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*harness: adapter 'chat-client' produced * expected harness events*"])
    result.stdout.no_fnmatch_line("*harness/conformance.py*")


def test_n_a_cells_are_skipped_with_the_reason(project: pytest.Pytester) -> None:
    project.makeconftest(
        CONFTEST.replace(
            'normalize="openai-chat")',
            'normalize="openai-chat",\n supports=lambda s: None if s.request.stream else "no non-stream")',
        )
    )
    result = project.runpytest(*PLUGIN, "-rs", "-k", "nonstream")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*n/a: no non-stream*"])


def test_broken_scenario_is_a_collection_error_naming_file_and_line(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(CONFTEST)
    (project.path / "scenarios" / "broken.yaml").write_text("id: broken\nrequest: [\n")
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*harness: cannot load the scenarios:*", "*broken.yaml:*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_registered_driver_named_by_option_gets_a_suite(project: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    result = project.runpytest(
        *PLUGIN, "--harness-driver", "openai-sdk-chat", "-k", "text-plain or fragmented"
    )
    result.assert_outcomes(passed=2)
    listed = project.runpytest(*PLUGIN, "--harness-driver", "openai-sdk-chat", "--collect-only", "-q")
    listed.stdout.fnmatch_lines(["harness-drivers::openai-sdk-chat[[]openai-chat-text-plain[]]"])


def test_reports_and_baseline(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST)
    out = project.path / "out"
    first = project.runpytest(
        *PLUGIN,
        f"--harness-report={out}/cells.json",
        f"--harness-report={out}/cells.xml",
        f"--harness-report=md:{out}/summary",
        "--harness-baseline=baseline.json",
        "--harness-update-baseline",
    )
    first.assert_outcomes(passed=4, failed=1)
    cells = _cells(out / "cells.json")
    assert [(d, s, st) for d, s, st, _ in cells] == [
        ("chat-client", name, "fail" if name == "retry-429-seconds" else "pass")
        for name in sorted(PICKED)
    ]
    markdown = (out / "summary").read_text(encoding="utf-8")
    assert "| retry-429-seconds | ❌" in markdown
    suites = ET.parse(out / "cells.xml").getroot()
    assert suites.find("testsuite").get("failures") == "1"  # type: ignore[union-attr]
    baseline = json.loads((project.path / "baseline.json").read_text(encoding="utf-8"))
    assert baseline["cells"]["chat-client::retry-429-seconds"]["status"] == "fail"

    again = project.runpytest(*PLUGIN, "--harness-baseline=baseline.json", "-rx")
    again.assert_outcomes(passed=4, xfailed=1)
    again.stdout.fnmatch_lines(["*known failure (baseline)*"])
    assert again.ret == 0


def test_bad_report_path_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--harness-report=out.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*expected a .json, .xml or .md path*"])


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["async", "sync"])
def test_xdist_gives_the_same_cells_and_one_report(
    project: pytest.Pytester, adapter: str
) -> None:
    pytest.importorskip("xdist")
    if adapter == "async":
        project.makeconftest(CONFTEST)
    else:
        project.makepyfile(test_chat=SYNC_MODULE)
    serial = project.runpytest_subprocess(*PLUGIN, "--harness-report=serial.json")
    parallel = project.runpytest_subprocess(
        *PLUGIN, "-p", "xdist", "-n", "2", "--harness-report=parallel.json"
    )
    serial.assert_outcomes(passed=4, failed=1)
    parallel.assert_outcomes(passed=4, failed=1)
    parallel.stdout.fnmatch_lines(["*retry-429-seconds* finding(s)*", "5 cells: 4 pass, 1 fail*"])
    assert _cells(project.path / "serial.json") == _cells(project.path / "parallel.json")


# --------------------------------------------------------------------------- harness_replay

REPLAY_TESTS = '''
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
    started = time.perf_counter()
    stream = openai.OpenAI(api_key="sk-test").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello! Nice to meet you."
    assert time.perf_counter() - started < 1.5
    assert harness_replay.requests[1].at - harness_replay.requests[0].at >= 2
    time.sleep(600)
    assert harness_replay.clock.elapsed() >= 600


@pytest.mark.parametrize("harness_replay", ["text-plain", "nonstream-text"], indirect=True)
def test_indirect_parameter(harness_replay):
    import httpx

    with httpx.Client() as http:
        assert http.post("https://any.invalid/v1/chat/completions", json={}).status_code == 200
    assert harness_replay.scenario.id in ("text-plain", "nonstream-text")
'''


def test_replay_fixture_serves_clients_made_inside_the_test(project: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    project.makepyfile(test_replay=REPLAY_TESTS)
    project.makeini(ASYNCIO_INI)
    result = project.runpytest(*PLUGIN, "-p", "asyncio", "-p", "anyio", "-v")
    result.assert_outcomes(passed=5)


FAILING_REPLAY_TESTS = '''
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
'''


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
    result.stdout.fnmatch_lines(["*NetworkBlocked: harness blocked a network connection to example.com:80*"])
    result.stdout.fnmatch_lines(["*- harness -*", "replay: *text-plain.yaml:2 (openai-chat)*", "*-> MISS*"])
    result.stdout.fnmatch_lines(["*harness_replay needs a scenario or a cassette*"])
    result.stdout.fnmatch_lines(["*no scenario 'no-such-scenario'*known ids:*"])


# --------------------------------------------------------------------------- virtual asyncio time

VIRTUAL_ASYNC_TESTS = '''
import asyncio
import time

import pytest


@pytest.mark.asyncio
async def test_asyncio_sleep_is_virtual(harness_clock):
    started = time.perf_counter()
    await asyncio.sleep(3600)
    assert time.perf_counter() - started < 5
    assert harness_clock.elapsed() >= 3600
'''

ANYIO_TESTS = '''
import time

import anyio
import pytest

from harness.fixture import virtual_loop_factory


@pytest.fixture
def anyio_backend():
    return "asyncio", {"loop_factory": virtual_loop_factory}


@pytest.mark.anyio
async def test_anyio_sleep_is_virtual(harness_clock):
    started = time.perf_counter()
    await anyio.sleep(3600)
    assert time.perf_counter() - started < 5
    assert harness_clock.elapsed() >= 3600
'''


def test_virtual_time_for_pytest_asyncio_via_ini(project: pytest.Pytester) -> None:
    project.makeini(ASYNCIO_INI + "harness_virtual_asyncio = true\n")
    project.makepyfile(test_time=VIRTUAL_ASYNC_TESTS)
    result = project.runpytest(*PLUGIN, "-p", "asyncio")
    result.assert_outcomes(passed=1)


def test_virtual_time_for_anyio_via_loop_factory(project: pytest.Pytester) -> None:
    project.makepyfile(test_time=ANYIO_TESTS)
    result = project.runpytest(*PLUGIN, "-p", "anyio")
    result.assert_outcomes(passed=1)


# --------------------------------------------------------------------------- cost when unused


def test_markers_are_registered_with_their_signature(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.harness_scenario(path_or_id, *, dialect='openai-chat'*",
            "@pytest.mark.harness_cassette(path, *, record_mode=None*",
        ]
    )


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, harness.pytest_plugin\n"
        "heavy = [m for m in ('pydantic', 'yaml', 'httpx', 'httpx2', 'anyio', 'openai', "
        "'litellm', 'vcr', 'hypothesis', 'harness.scenario', 'harness.fixture') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
