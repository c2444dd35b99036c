"""Every reproducer of the bundled matrix's failing cells, for the drivers that declare a
recipe, runs in a fresh virtual environment WITHOUT harness (it sees this environment's
libraries through a ``.pth`` of its site-packages, whose editable install of harness is a
``.pth`` of its own that a path added this way never processes) and fails on the current
library versions with an AssertionError carrying the finding's message."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.drivers.base import get_driver
from harness.report.repro_files import Written, failing_cells, recipe_of
from harness.report.reproducer import Reproducer, asserted_findings, reproducer_source
from harness.run.runner import run_scenario
from harness.scenario.bundled import default_scenario_paths, scenario_file
from harness.scenario.load import load_scenario, load_scenarios
from harness.scenario.model import Scenario
from harness.transport.budget import Budget
from harness.transport.hosts import base_url_for
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

pytestmark = pytest.mark.slow

DRIVERS = (
    "openai-sdk-chat",
    "openai-sdk-responses",
    "anthropic-sdk",
    "litellm-chat",
    "strands-litellm",
    "langchain-openai",
    "langchain-anthropic",
    "llama-index-openai",
)
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with this environment's libraries but not harness."""
    root = tmp_path_factory.mktemp("bare")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, env=ENV
    )
    python = root / "venv" / "bin" / "python"
    query = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run(
        [python, "-c", query], check=True, capture_output=True, text=True, env=ENV
    ).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "libraries.pth").write_text("".join(f"{p}\n" for p in ours))
    return python


def _run(python: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", code], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=300
    )


def test_the_bare_environment_has_the_libraries_and_not_harness(
    bare_python: Path, tmp_path: Path
) -> None:
    no_harness = _run(bare_python, "import harness", tmp_path)
    assert no_harness.returncode == 1
    assert "ModuleNotFoundError: No module named 'harness'" in no_harness.stderr
    libraries = _run(
        bare_python,
        "import anthropic, httpx, httpx2, openai, strands, langchain_anthropic, langchain_openai, "
        "llama_index.llms.openai",
        tmp_path,
    )
    assert libraries.returncode == 0, libraries.stderr


@pytest.mark.parametrize("driver", DRIVERS)
def test_every_failing_cell_reproduces_without_harness(
    driver: str, bare_python: Path, tmp_path: Path
) -> None:
    scenarios = load_scenarios(default_scenario_paths())
    # a loaded machine may take long over a first import: the cells' wall budget is generous
    budget = Budget(wall_seconds=600.0)
    written, skipped = failing_cells(get_driver(driver), scenarios, tmp_path, budget)
    assert not skipped, "failing cells with no reproducer:\n" + "\n".join(skipped)
    assert written, f"{driver} has no failing cell to reproduce"

    def run(w: Written) -> str | None:
        done = subprocess.run(
            [bare_python, w.script.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=ENV,
            timeout=600,
        )
        if done.returncode == 1 and f"AssertionError: {w.message}" in done.stderr.splitlines():
            return None
        return f"{w.script.name}: exit {done.returncode}, wanted {w.message!r}\n{done.stderr}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        wrong = [why for why in pool.map(run, written) if why is not None]
    assert not wrong, "\n\n".join(wrong)


def _claims(scenario: Scenario) -> list[Finding]:
    """Findings stating the scenario's expectations (a correct reply meets them all)."""
    want = scenario.expect
    claims = []
    if want.text is not None:
        claims.append((Code.TEXT_MISMATCH, want.text))
    for call in want.tool_calls or []:
        claims.append((Code.TOOL_CALL_DROPPED, {"name": call.name, "arguments": call.arguments}))
    if want.finish is not None:
        claims.append((Code.FINISH_MISMATCH, want.finish))
    if want.usage is not None:
        claims.append((Code.USAGE_WRONG, want.usage.model_dump()))
    return [
        Finding(code=code, check="expectations", message=f"claim {n}: {code}", expected=value)
        for n, (code, value) in enumerate(claims)
    ]


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_recipe_reads_a_correct_reply_right(
    driver: str, bare_python: Path, tmp_path: Path
) -> None:
    """Passing cells, written with their scenario's expectations as the assertions, pass
    without harness: the recipe reads text, tool calls, finish and usage (streamed and
    not, after retries) as harness's driver does, so a failing reproducer is the library's
    doing, not the file's."""
    d = get_driver(driver)
    scenarios = [
        load_scenario(scenario_file(Path(s)))
        for s in ("text-then-tool-call", "nonstream-tool-call", "retry-429-seconds")
    ]
    for scenario in scenarios:
        run = run_scenario(scenario, d, budget=Budget(wall_seconds=600.0))
        assert run.status == "pass" and run.script is not None, run.reason()
        claims = _claims(scenario)
        r = Reproducer(
            driver=driver,
            scenario=scenario.id,
            description=scenario.description,
            script=run.script,
            findings=claims,
            recipe=recipe_of(d, scenario),
            base_url=base_url_for(run.dialect),
            versions={},
        )
        assert len(asserted_findings(claims, r.recipe)) == len(claims) >= 2
        script = tmp_path / r.filename
        script.write_text(reproducer_source(r))
        done = subprocess.run(
            [bare_python, script.name], cwd=tmp_path, capture_output=True, text=True, env=ENV
        )
        assert done.returncode == 0, f"{script.name}:\n{done.stdout}\n{done.stderr}"
