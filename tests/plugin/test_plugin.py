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

from tests.plugin.outside import (
    CONFTEST,
    PICKED,
    PLUGIN,
    SCENARIOS,
    SYNC_MODULE,
)

pytest_plugins = ["pytester"]


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
    result.stdout.fnmatch_lines(
        ["*test_chat.py::test_sync_chat[[]openai-chat-text-plain[]] PASSED*"]
    )


def test_adapter_yielding_raw_output_without_a_normalizer_is_a_declaration_error(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(CONFTEST.replace(', normalize="openai-chat"', ""))
    result = project.runpytest(*PLUGIN, "-k", "text-plain")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*harness could not run this cell:*",
            "*[[]setup-declaration[]] adapter 'chat-client' produced * expected harness events*",
            "*1 cells: 0 pass, 0 fail, 0 n/a, 1 error*",
        ]
    )
    result.stdout.no_fnmatch_line("*harness/plugin/declare.py*")


def test_n_a_cells_are_skipped_with_the_reason(project: pytest.Pytester) -> None:
    project.makeconftest(
        CONFTEST.replace(
            'normalize="openai-chat")',
            'normalize="openai-chat",\n'
            '    supports=lambda s: None if s.request.stream else "no non-stream")',
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
    listed = project.runpytest(
        *PLUGIN, "--harness-driver", "openai-sdk-chat", "--collect-only", "-q"
    )
    listed.stdout.fnmatch_lines(["harness-drivers::openai-sdk-chat[[]openai-chat-text-plain[]]"])
    typo = project.runpytest(*PLUGIN, "--harness-driver", "opnai-sdk-chat")
    typo.stdout.fnmatch_lines(["harness: --harness-driver opnai-sdk-chat matched no *"])


GATEWAY_CONFTEST = """
from examples.gateway_client.harness_driver import GatewayClientDriver
from harness.plugin.declare import suite

gateway = suite(GatewayClientDriver())
"""


def test_gateway_example_client_runs_as_the_runner_says(project: pytest.Pytester) -> None:
    """The example gateway client's own driver as a suite: pytest outcomes equal the runner's."""
    pytest.importorskip("examples.gateway_client.harness_driver")
    from examples.gateway_client.harness_driver import GatewayClientDriver
    from harness.run.runner import run_scenario
    from harness.scenario.load import load_scenarios

    folder = project.path / "scenarios"
    for path in sorted(SCENARIOS.glob("gateway-*.yaml")):
        shutil.copy(path, folder)
    project.makeconftest(GATEWAY_CONFTEST)
    expected = {"pass": 0, "fail": 0, "n/a": 0}
    for scenario in load_scenarios([folder]):
        expected[run_scenario(scenario, GatewayClientDriver()).status] += 1
    result = project.runpytest(*PLUGIN, "--harness-report=cells.json", "--harness-show-na")
    result.assert_outcomes(
        passed=expected["pass"], failed=expected["fail"], skipped=expected["n/a"]
    )
    statuses = [status for _, _, status, _ in _cells(project.path / "cells.json")]
    assert {k: statuses.count(k) for k in expected} == expected


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
def test_xdist_gives_the_same_cells_and_one_report(project: pytest.Pytester, adapter: str) -> None:
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


# --------------------------------------------------------------------------- cost when unused


def test_markers_are_registered_with_their_signature(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.harness_scenario(path_or_id, *, dialect='openai-chat'*",
            "@pytest.mark.harness_cassette(path=None, *, record_mode=None*",
        ]
    )


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, harness.plugin.pytest_plugin\n"
        "heavy = [m for m in ('pydantic', 'yaml', 'httpx', 'httpx2', 'anyio', 'openai', "
        "'litellm', 'vcr', 'hypothesis', 'harness.scenario.model', 'harness.plugin.fixture') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
