"""Every reproducer of the bundled matrix's failing cells, for the drivers that declare a
recipe, runs in a fresh virtual environment WITHOUT harness (it sees the driver's
environment's libraries through a ``.pth`` of its site-packages, whose editable install of
harness is a ``.pth`` of its own that a path added this way never processes) and fails on
the current library versions with an AssertionError carrying the finding's message.

A driver with an environment of its own (``environment``, :mod:`harness.matrix.envs`) writes
its reproducers with that environment's Python and its bare venv takes that environment's
libraries, as the matrix runs it (:mod:`tests.report.repro_cells`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness.matrix.envs import python_for

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
    "pydantic-ai-openai-chat",
    "pydantic-ai-openai-responses",
    "pydantic-ai-agent",
    "openai-agents-chat",
    "openai-agents-responses",
)
OWN_ENVIRONMENT = ("pydantic-ai-anthropic", "instructor-openai")
"""Drivers whose adapter runs in an environment of its own."""

CORRECT_REPLIES = ("text-then-tool-call", "nonstream-tool-call", "retry-429-seconds")
CORRECT_REPLIES_OF = {
    # instructor runs only replies of one tool call and nothing else, and reports no usage
    "instructor-openai": ("tool-call-fragmented", "tool-call-args-split-escapes"),
}
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = {
    "pydantic-ai-anthropic": "anthropic, httpx, pydantic_ai",
    "instructor-openai": "httpx, instructor, openai",
}


def _python(driver: str) -> str:
    """The Python the driver runs with (its environment's, or this one)."""
    return python_for(driver) or sys.executable


_BARE: dict[str, Path] = {}


def _bare(python: str, root: Path) -> Path:
    """The python of a fresh venv with ``python``'s libraries but not harness (one per
    Python, for the module)."""
    if python in _BARE:
        return _BARE[python]
    venv = root / f"venv{len(_BARE)}"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, env=ENV)
    bare = venv / "bin" / "python"
    query = "import sysconfig, json; p = sysconfig.get_paths(); print(json.dumps(p))"

    def paths(py: Path | str) -> dict[str, str]:
        done = subprocess.run(
            [py, "-c", query], check=True, capture_output=True, text=True, env=ENV
        )
        found: dict[str, str] = json.loads(done.stdout)
        return found

    theirs = paths(python)
    ours = dict.fromkeys([theirs["purelib"], theirs["platlib"]])
    Path(paths(bare)["purelib"], "libraries.pth").write_text("".join(f"{p}\n" for p in ours))
    _BARE[python] = bare
    return bare


@pytest.fixture(scope="module")
def bare_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bare")


def _run(python: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", code], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=300
    )


def _cells(driver: str, command: str, out: Path, *scenarios: str) -> dict[str, Any]:
    """``tests.report.repro_cells`` run with the driver's Python: what it wrote."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [_python(driver), "-m", "tests.report.repro_cells", command, driver, str(out)]
    done = subprocess.run(
        [*argv, *scenarios], cwd=ROOT, capture_output=True, text=True, env=env, timeout=3600
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_bare_environment_has_the_libraries_and_not_harness(
    bare_root: Path, tmp_path: Path
) -> None:
    bare = _bare(sys.executable, bare_root)
    no_harness = _run(bare, "import harness", tmp_path)
    assert no_harness.returncode == 1
    assert "ModuleNotFoundError: No module named 'harness'" in no_harness.stderr
    libraries = _run(
        bare,
        "import agents, anthropic, httpx, httpx2, openai, pydantic_ai, strands, "
        "langchain_anthropic, langchain_openai, llama_index.llms.openai",
        tmp_path,
    )
    assert libraries.returncode == 0, libraries.stderr


@pytest.mark.parametrize("driver", OWN_ENVIRONMENT)
def test_a_driver_environment_s_bare_venv_has_its_libraries_and_not_harness(
    driver: str, bare_root: Path, tmp_path: Path
) -> None:
    bare = _bare(_python(driver), bare_root)
    no_harness = _run(bare, "import harness", tmp_path)
    assert "ModuleNotFoundError: No module named 'harness'" in no_harness.stderr
    libraries = _run(bare, f"import {LIBRARIES[driver]}", tmp_path)
    assert libraries.returncode == 0, libraries.stderr


@pytest.mark.parametrize("driver", DRIVERS + OWN_ENVIRONMENT)
def test_every_failing_cell_reproduces_without_harness(
    driver: str, bare_root: Path, tmp_path: Path
) -> None:
    bare = _bare(_python(driver), bare_root)
    done = _cells(driver, "failing", tmp_path)
    written, skipped = done["written"], done["skipped"]
    assert written or skipped, f"{driver} has no failing cell to reproduce"

    def run(item: list[str]) -> str | None:
        script, message = Path(item[0]), item[1]
        ran = subprocess.run(
            [bare, script.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=ENV,
            timeout=600,
        )
        if ran.returncode == 1 and f"AssertionError: {message}" in ran.stderr.splitlines():
            return None
        return f"{script.name}: exit {ran.returncode}, wanted {message!r}\n{ran.stderr}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        wrong = [why for why in pool.map(run, written) if why is not None]
    assert not wrong, "\n\n".join(wrong)
    assert not skipped, "failing cells with no reproducer:\n" + "\n".join(skipped)


@pytest.mark.parametrize("driver", DRIVERS + OWN_ENVIRONMENT)
def test_the_recipe_reads_a_correct_reply_right(
    driver: str, bare_root: Path, tmp_path: Path
) -> None:
    """Passing cells, written with their scenario's expectations as the assertions, pass
    without harness: the recipe reads text, tool calls, finish and usage (streamed and
    not, after retries) as harness's driver does, so a failing reproducer is the library's
    doing, not the file's."""
    bare = _bare(_python(driver), bare_root)
    scenarios = CORRECT_REPLIES_OF.get(driver, CORRECT_REPLIES)
    done = _cells(driver, "claims", tmp_path, *scenarios)
    assert not done["skipped"], "\n".join(done["skipped"])
    assert len(done["written"]) >= 2, done  # streamed-only drivers run two of the three
    for item in done["written"]:
        script = Path(item[0])
        ran = subprocess.run(
            [bare, script.name], cwd=tmp_path, capture_output=True, text=True, env=ENV
        )
        assert ran.returncode == 0, f"{script.name}:\n{ran.stdout}\n{ran.stderr}"
