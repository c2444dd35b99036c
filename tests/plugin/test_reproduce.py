"""Every reproduce line a failing conftest-declared cell prints runs verbatim and
reproduces the cell; the space form of path options works with paths outside the project;
a missing baseline is an error naming the command that creates it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = '''
import httpx
from harness.plugin.declare import conformance

@conformance(dialect="openai-chat", normalize="openai-chat")
async def dropper(request, ctx):
    """Reads the stream and yields nothing: every text is lost (a planted bug)."""
    async with httpx.AsyncClient(transport=ctx.transport()) as client:
        async with client.stream("POST", ctx.base_url + "/v1/chat/completions", json={}) as r:
            async for _ in r.aiter_bytes():
                pass
    return
    yield
'''


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _pytest(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
        check=False,
    )


def test_the_printed_harness_run_line_reproduces_the_failing_cell(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "conftest.py").write_text(CONFTEST)
    (repo / "pytest.ini").write_text("[pytest]\n")
    scenario = ROOT / "scenarios" / "text-plain.yaml"
    proc = _pytest(repo, "-q", f"--harness-scenarios={scenario}")
    assert proc.returncode == 1, proc.stdout[-2000:]
    rerun = next(line for line in proc.stdout.splitlines() if line.startswith("   or: "))
    command = rerun.removeprefix("   or: ")
    assert command.startswith("harness run ") and "--driver conftest.py::dropper" in command
    argv = shlex.split(command)
    assert argv[0] == "harness"
    again = subprocess.run(
        [sys.executable, "-m", "harness.cli", *argv[1:]],
        cwd=repo,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
        check=False,
    )
    assert again.returncode == 1, again.stdout + again.stderr
    assert "text-plain x dropper (openai-chat): fail" in again.stdout
    codes = set(re.findall(r"^\[([a-z0-9-]+)\] ", proc.stdout, re.MULTILINE))
    assert codes and codes == set(re.findall(r"\[([a-z0-9-]+)\] ", again.stdout)) - {"ok"}


def test_space_form_path_outside_the_project_keeps_the_projects_rootdir(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    (outside / "sc").mkdir(parents=True)
    (outside / "sc" / "gateway-404.yaml").write_text(
        (ROOT / "scenarios" / "gateway-404.yaml").read_text()
    )
    (outside / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider"\nmarkers = ["x: y"]\n'
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pytest.ini").write_text("[pytest]\n")
    (repo / "conftest.py").write_text(
        'from harness.plugin.declare import suite\ntest_ref = suite("gateway-client")\n'
    )
    proc = _pytest(repo, "--harness-scenarios", str(outside / "sc"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"rootdir: {repo}" in proc.stdout
    assert "configfile: pytest.ini" in proc.stdout
    assert "1 passed" in proc.stdout


def test_a_missing_baseline_is_an_error_with_the_command_that_creates_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    proc = _pytest(tmp_path, "--harness-baseline", "known.json")
    assert proc.returncode == 4
    assert "baseline" in proc.stderr and "does not exist" in proc.stderr
    assert "pytest --harness-baseline=known.json --harness-update-baseline" in proc.stderr


def test_a_misspelt_marker_keyword_fails_listing_the_allowed_ones(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_typo.py").write_text(
        "import pytest\n\n"
        '@pytest.mark.harness_scenario("text-plain", dialet="openai-chat")\n'
        "def test_typo(harness_replay):\n"
        "    pass\n"
    )
    proc = _pytest(tmp_path, "-q")
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "@pytest.mark.harness_scenario: unknown keyword(s) dialet; allowed: dialect, " in (
        proc.stdout
    )
