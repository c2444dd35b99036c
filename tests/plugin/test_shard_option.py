"""The plugin's suite split the ways CI splits it: ``--harness-shard K/N`` (the split of
``harness matrix --shard``), pytest's own selection (``-k``) and pytest-xdist; the parts'
JSON reports merged by ``harness merge`` are the report of one whole run (timings aside),
with the same exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import harness.scenario.load  # noqa: F401 - here, not first in an inner run (see conftest.py)
from harness.cli import main
from tests.plugin.outside import CONFTEST, PLUGIN

pytest_plugins = ["pytester"]


def untimed(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("wall_seconds")
    for cell in data["cells"]:
        if cell.get("transcript"):
            cell["transcript"].pop("wall_seconds")
    return data


def merged(project: pytest.Pytester, *parts: str) -> tuple[int, dict[str, Any]]:
    out = project.path / "merged.json"
    code = main(["merge", *(str(project.path / p) for p in parts), "--json", str(out)])
    return code, untimed(out)


def test_shards_and_selections_merge_to_the_whole_suite(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST)
    whole = project.runpytest(*PLUGIN, "--harness-report=whole.json")
    whole.assert_outcomes(passed=4, failed=1)
    expected = untimed(project.path / "whole.json")
    assert len(expected["cells"]) == 5

    counts = []
    for k in (1, 2):
        part = project.runpytest(*PLUGIN, f"--harness-shard={k}/2", f"--harness-report=s{k}.json")
        counts.append(len(json.loads((project.path / f"s{k}.json").read_text())["cells"]))
        part.stdout.fnmatch_lines([f"*{5 - counts[-1]} deselected*"])
    assert sorted(counts) == [2, 3]  # the split is even, no shard is empty
    assert merged(project, "s1.json", "s2.json") == (1, expected)

    project.runpytest(*PLUGIN, "-k", "retry", "--harness-report=k1.json")
    project.runpytest(*PLUGIN, "-k", "not retry", "--harness-report=k2.json")
    assert merged(project, "k2.json", "k1.json") == (1, expected)


def test_a_bad_shard_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST)
    result = project.runpytest(*PLUGIN, "--harness-shard=3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--harness-shard '3/2': expected K/N*"])


@pytest.mark.slow
def test_xdist_workers_agree_on_the_shard(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.makeconftest(CONFTEST)
    project.runpytest(*PLUGIN, "--harness-report=whole.json")
    for k in (1, 2):
        part = project.runpytest_subprocess(
            *PLUGIN,
            "-p",
            "xdist",
            "-n",
            "2",
            f"--harness-shard={k}/2",
            f"--harness-report=x{k}.json",
        )
        assert part.ret in (0, 1)
    assert merged(project, "x1.json", "x2.json") == (1, untimed(project.path / "whole.json"))
