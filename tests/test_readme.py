"""Every code block of README.md and docs/*.md is run or checked, so no example can rot.

Each block is handled by its info string: ``python`` runs (a conftest-style block through
harness, a test module through pytest, with the user module it imports provided by
``tests/readme/``); ``sh`` lines are parsed by the real ``harness`` parser (and the cheap,
side-effect-free ones run), ``pytest`` options must be the plugin's, ``pip install`` must
name the distribution, ``make`` targets must exist; ``yaml`` scenarios load, workflows equal
what ``harness init`` writes, pre-commit hooks exist; ``toml`` and ``ini`` parse with known
keys. Anything else needs ``<!-- not-run: why -->`` on the line before it.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness import DIST_NAME
from harness.cli.adopt import WORKFLOW
from harness.cli.app import _parser, main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "readme"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(\S.*?)\s*-->")
HANDLED = {"python", "sh", "yaml", "toml", "ini"}
SAFE_TO_RUN = {"explain", "scenarios"}


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    text: str
    before: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = re.match(r"^```(\S*)\s*$", lines[i])
        if opening is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        text = "\n".join(lines[i + 1 : end]) + "\n"
        found.append(Block(path, i + 1, opening.group(1), text, before))
        i = end + 1
    return found


ALL = [b for path in DOCS for b in blocks(path)]


def _id(block: Block) -> str:
    return f"{block.where}-{block.lang or 'plain'}"


def test_the_readme_is_a_front_page() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 400
    first_screen = "\n".join(text.splitlines()[:40])
    assert f"pip install {DIST_NAME}" in first_screen and "harness init" in first_screen
    assert "make conformance" in text and "make test" in text
    for doc in DOCS:
        body = doc.read_text(encoding="utf-8")
        assert "pip install 'harness[" not in body and "pip install -e . harness" not in body


def test_the_readme_states_the_counts_docs_matrix_has() -> None:
    counts = re.compile(r"\*\*(\d+ pass, \d+ fail, \d+ n/a, \d+ error)\*\*")
    readme = counts.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    matrix = counts.findall((ROOT / "docs" / "matrix.md").read_text(encoding="utf-8"))
    assert readme and readme == matrix[:1]


def test_the_readme_benchmark_table_is_the_goal_rows_of_results_md() -> None:
    from benchmarks import readme

    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    shown = readme.block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme.goal_rows(results), "RESULTS.md has no goal rows"
    assert shown == readme.table(results), "run: python -m benchmarks --readme"


@pytest.mark.parametrize("block", ALL, ids=_id)
def test_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = NOT_RUN.search(block.before)
    if reason is not None:
        assert len(reason.group(1)) > 5, f"{block.where}: say why it is not run"
        return
    assert block.lang in HANDLED, (
        f"{block.where}: a ```{block.lang} block is neither run nor checked; handle it in "
        "tests/test_readme.py or put <!-- not-run: why --> on the line before it"
    )
    globals()[f"_check_{block.lang}"](block, tmp_path, monkeypatch)


# --------------------------------------------------------------------------- python


def _check_python(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "def test_" in block.text:
        _run_as_test_module(block, tmp_path)
        return
    from harness.plugin.declare import Conformance
    from harness.run.runner import run_scenario
    from harness.scenario.load import load_scenario

    monkeypatch.syspath_prepend(str(FIXTURES))
    namespace: dict[str, object] = {"__name__": "readme_block"}
    exec(compile(block.text, block.where, "exec"), namespace)
    suites = [v for v in namespace.values() if isinstance(v, Conformance)]
    assert suites, f"{block.where}: runs, but declares no @conformance suite to try"
    for suite in suites:
        for driver in suite.drivers():
            run = run_scenario(load_scenario(ROOT / "scenarios" / "text-plain.yaml"), driver)
            assert run.status == "pass", f"{block.where}: {run.reason()}"


def _run_as_test_module(block: Block, tmp_path: Path) -> None:
    """A test module runs under pytest with the ini block written just before it."""
    ini = next(b for b in blocks(block.path) if b.lang == "ini" and b.line < block.line)
    (tmp_path / "pytest.ini").write_text(ini.text)
    (tmp_path / "test_readme_example.py").write_text(block.text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(FIXTURES)])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{block.where}:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    assert " passed" in proc.stdout and "skipped" not in proc.stdout


# --------------------------------------------------------------------------- shell


def _plugin_options() -> set[str]:
    source = (ROOT / "harness" / "plugin" / "pytest_plugin.py").read_text(encoding="utf-8")
    return set(re.findall(r'"(--harness-[a-z-]+)"', source))


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))


def _check_command(argv: list[str], where: str, tmp_path: Path) -> None:
    tool = argv[0]
    if tool == "harness":
        try:
            args = _parser().parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"{where}: harness rejects {shlex.join(argv)}")
        if argv[1] in SAFE_TO_RUN:
            assert main(argv[1:]) == 0, where
        elif argv[1] == "init" and not getattr(args, "directory", Path(".")).is_absolute():
            assert main(["init", str(tmp_path)]) == 0, where
    elif tool == "pytest":
        for arg in argv[1:]:
            if arg.startswith("--harness-"):
                assert arg.split("=", 1)[0] in _plugin_options(), f"{where}: {arg}"
    elif tool == "pip":
        assert argv[1] == "install", where
        packages = [a for a in argv[2:] if not a.startswith("-")]
        assert packages[0].startswith(DIST_NAME), f"{where}: installs {packages[0]}"
    elif tool == "make":
        assert set(argv[1:]) <= _make_targets(), f"{where}: {argv}"
    elif tool != "cat":
        pytest.fail(f"{where}: no check for the command {tool!r}")


def _check_sh(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for n, line in enumerate(block.text.splitlines()):
        argv = shlex.split(line, comments=True)
        if argv:
            _check_command(argv, f"{block.where}+{n + 1}", tmp_path)


# --------------------------------------------------------------------------- config


def _check_yaml(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load(block.text)
    if "attempts" in data:
        from harness.scenario.load import parse_scenario

        parse_scenario(block.text, source=block.where)
    elif "jobs" in data:
        assert data["jobs"] == yaml.safe_load(WORKFLOW)["jobs"], block.where
        for step in data["jobs"]["conformance"]["steps"]:
            if "run" in step:
                _check_command(shlex.split(step["run"]), block.where, tmp_path)
    elif "repos" in data:
        hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
        known = {h["id"] for h in hooks}
        used = {h["id"] for repo in data["repos"] for h in repo["hooks"]}
        assert used <= known, block.where
    else:
        pytest.fail(f"{block.where}: a YAML block of an unknown kind")


def _check_toml(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.drivers.base import ENTRY_POINT_GROUP

    data = tomllib.loads(block.text)
    points = data["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert all(":" in value for value in points.values()), block.where


def _check_ini(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = configparser.ConfigParser()
    cfg.read_string(block.text)
    source = (ROOT / "harness" / "plugin" / "pytest_plugin.py").read_text(encoding="utf-8")
    known = set(re.findall(r'addini\(\s*"([a-z_]+)"', source)) | {"asyncio_mode"}
    assert set(cfg["pytest"]) <= known, block.where
