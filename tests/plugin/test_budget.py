"""The plugin's cells always end, and a cell harness could not run is an error, not a finding:
an outside project whose adapter hangs on one scenario, or brings its own transport."""

from __future__ import annotations

import json

import pytest

from tests.plugin.outside import CONFTEST, PLUGIN

pytest_plugins = ["pytester"]

HANGS_ON_TEXT_PLAIN = CONFTEST.replace(
    "    client = AsyncChat(",
    """    if ctx.scenario.id == "text-plain":
        while True:  # a driver that never returns
            pass
    if ctx.scenario.id == "nonstream-text":
        import asyncio
        while True:  # an endless poll on virtual time
            await asyncio.sleep(5)
    client = AsyncChat(""",
)


def _cells(project: pytest.Pytester) -> dict[str, tuple[str, list[str]]]:
    data = json.loads((project.path / "cells.json").read_text(encoding="utf-8"))
    return {
        c["scenario"]: (c["status"], sorted({f["code"] for f in c["findings"]}))
        for c in data["cells"]
    }


def test_a_driver_that_loops_forever_fails_as_adapter_hung_and_the_others_run(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(HANGS_ON_TEXT_PLAIN)
    result = project.runpytest(*PLUGIN, "--harness-wall-budget", "1", "--harness-report=cells.json")
    # retry-429-seconds fails by design (the client never retries); the other two pass
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(
        ["*[[]adapter-hung[]]*wall budget of 1 s*", "*conftest.py*while True*"]
    )
    cells = _cells(project)
    assert cells["text-plain"] == ("fail", ["adapter-hung"])
    assert cells["nonstream-text"] == ("fail", ["adapter-hung"])
    assert cells["tool-call-fragmented"][0] == "pass"


def test_budgets_come_from_the_ini_file_too(project: pytest.Pytester) -> None:
    project.makeconftest(HANGS_ON_TEXT_PLAIN)
    project.makeini(
        "[pytest]\nharness_scenarios = scenarios\nharness_wall_budget = 1\n"
        "harness_virtual_budget = 50\n"
    )
    result = project.runpytest(*PLUGIN, "-k", "text-plain or nonstream-text")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*after 50 s of virtual time*"])


def test_a_bad_budget_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST)
    result = project.runpytest(*PLUGIN, "--harness-wall-budget", "0", "-k", "text-plain")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*harness budget*must be a positive number (got 0.0)*"])


OWN_TRANSPORT = CONFTEST.replace(
    '    client = AsyncChat(ctx.base_url + "/v1", ctx.api_key)',
    """    client = AsyncChat(ctx.base_url + "/v1", ctx.api_key)
    import asyncio, httpx
    class OwnIO(httpx.AsyncBaseTransport):  # its own I/O: nothing harness can serve
        async def handle_async_request(self, request):
            await asyncio.open_connection(request.url.host, 443)
    client.http = httpx.AsyncClient(base_url=ctx.base_url + "/v1", transport=OwnIO())""",
)


def test_a_setup_error_fails_the_cell_apart_from_findings(project: pytest.Pytester) -> None:
    project.makeconftest(OWN_TRANSPORT)
    result = project.runpytest(*PLUGIN, "-k", "text-plain", "--harness-report=cells.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*harness could not run this cell:*",
            "*[[]setup-own-transport[]] this client passes its own transport*",
            "*1 cells: 0 pass, 0 fail, 0 n/a, 1 error*",
        ]
    )
    data = json.loads((project.path / "cells.json").read_text(encoding="utf-8"))
    (cell,) = data["cells"]
    assert cell["status"] == "error" and cell["findings"] == []
    assert cell["setup"]["code"] == "setup-own-transport"


UNINTERRUPTIBLE = CONFTEST.replace(
    "    client = AsyncChat(",
    """    import signal
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the wall budget never arrives
    while True:
        pass
    client = AsyncChat(""",
)


@pytest.mark.slow
def test_a_cell_that_cannot_be_interrupted_ends_pytest_with_the_stacks(
    project: pytest.Pytester,
) -> None:
    """The last resort: rather than hang CI, pytest ends with every thread's stack."""
    project.makeconftest(UNINTERRUPTIBLE)
    result = project.runpytest_subprocess(
        *PLUGIN, "--harness-wall-budget", "0.5", "-k", "text-plain", timeout=120
    )
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*Timeout*", "*conftest.py*chat_client*"])
