"""The documented CI workflow (docs/ci/conformance.yml): valid YAML, a job matrix of shards
merged by a final job that runs whatever the shards left, and harness commands that are the
ones tested here: the slow test runs them (on three SDK drivers and a few scenarios) with 2
and 3 shards and checks the merge against one unsharded run."""

from __future__ import annotations

import glob
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli.app import _parser

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "ci" / "conformance.yml"
SCENARIOS = ["text-plain", "retry-429-seconds", "nonstream-text", "fault-http-400"]
DRIVERS = ["openai-sdk-chat", "gateway-client", "anthropic-sdk"]


def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def harness_steps(job: str) -> list[str]:
    """The ``harness`` commands a job runs, one line each."""
    steps = workflow()["jobs"][job]["steps"]
    return [" ".join(s["run"].split()) for s in steps if s.get("run", "").startswith("harness ")]


def command(line: str, shard: int = 0, count: int = 0, cwd: Path | None = None) -> list[str]:
    """A step's command as the runner's shell would run it in ``cwd``: expressions, variables
    and globs replaced."""
    line = line.replace("${{ matrix.shard }}", str(shard))
    line = line.replace("${{ strategy.job-total }}", str(count))
    line = line.replace('"$GITHUB_STEP_SUMMARY"', "summary.md")
    argv: list[str] = []
    for word in shlex.split(line):
        argv += sorted(glob.glob(word, root_dir=cwd)) if "*" in word else [word]
    return argv


def test_the_workflow_fans_out_over_shards_and_merges_in_a_final_job() -> None:
    data = workflow()
    jobs = data["jobs"]
    assert list(jobs) == ["plan", "shard", "merge"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    assert jobs["shard"]["strategy"]["fail-fast"] is False
    assert jobs["shard"]["needs"] == "plan" and jobs["merge"]["needs"] == "shard"
    assert jobs["merge"]["if"] == "always()"  # the gate runs when a shard failed too
    (shard,) = harness_steps("shard")
    (merge,) = harness_steps("merge")
    assert shard.startswith("harness matrix --shard ${{ matrix.shard }}/${{ strategy.job-total }}")
    assert merge.startswith("harness merge shard-*.json")
    uploads = [s for s in jobs["shard"]["steps"] if s.get("uses", "").startswith("actions/upload")]
    assert uploads[0]["with"]["path"] == "shard-${{ matrix.shard }}.json"
    assert uploads[0]["if"] == "always()"


def test_every_harness_step_is_a_valid_command() -> None:
    parser = _parser()
    (shard,) = harness_steps("shard")
    args = parser.parse_args(command(shard, 2, 3)[1:])
    assert (args.shard, args.costs, args.json) == ("2/3", Path("costs.json"), Path("shard-2.json"))
    (merge,) = harness_steps("merge")
    args = parser.parse_args([*command(merge)[1:], "shard-1.json"])
    assert args.baseline == Path("conformance-baseline.json") and args.json == Path("costs.json")


def untimed(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("wall_seconds")
    data.pop("startup_seconds")
    for cell in data["cells"]:
        if cell.get("transcript"):
            cell["transcript"].pop("wall_seconds")
    return data


def _lines(text: str) -> list[str]:
    """The printed summary without what differs from run to run (times)."""
    return [line for line in text.splitlines() if not line.rstrip().endswith(" s")]


@pytest.mark.slow
@pytest.mark.parametrize("count", [2, 3])
def test_the_workflow_commands_sharded_and_merged_equal_one_run(tmp_path: Path, count: int) -> None:
    """The shard and merge steps, run as written, on three drivers x four scenarios."""
    (tmp_path / "conformance-baseline.json").write_bytes(
        (ROOT / "conformance-baseline.json").read_bytes()
    )
    (tmp_path / "costs.json").write_text('{"cells": []}')  # the plan job's first-run file
    only = [f"--driver={d}" for d in DRIVERS]
    only += [f"--scenarios={ROOT / 'scenarios' / s}.yaml" for s in SCENARIOS]

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        assert argv[0] == "harness"
        full = [sys.executable, "-m", "harness.cli", *argv[1:]]
        return subprocess.run(full, capture_output=True, text=True, cwd=tmp_path, check=False)

    (shard,) = harness_steps("shard")
    for k in range(1, count + 1):
        done = run([*command(shard, k, count), *only])
        assert done.returncode in (0, 1), done.stderr
    (merge,) = harness_steps("merge")
    merged = run(command(merge, cwd=tmp_path))
    assert merged.returncode in (0, 1), merged.stderr
    assert (tmp_path / "harness-junit.xml").exists() and (tmp_path / "summary.md").exists()

    unsharded = "harness matrix --baseline conformance-baseline.json --json whole.json --quiet"
    whole = run([*unsharded.split(), *only])
    assert merged.returncode == whole.returncode
    assert untimed(tmp_path / "costs.json") == untimed(tmp_path / "whole.json")
    assert _lines(merged.stdout) == _lines(whole.stdout)


def test_the_drift_recipe_runs_valid_commands_and_opens_an_issue_only_on_a_change() -> None:
    data = yaml.safe_load((ROOT / "docs" / "ci" / "drift.yml").read_text(encoding="utf-8"))
    assert "schedule" in data[True]  # YAML 1.1 reads the key "on" as True
    steps = data["jobs"]["drift"]["steps"]
    lines = [line.strip() for s in steps for line in s.get("run", "").splitlines()]
    commands = [line.split(" || ")[0] for line in lines if line.startswith("harness ")]
    parsed = [_parser().parse_args(shlex.split(c)[1:]) for c in commands]
    assert [p.func.__name__ for p in parsed] == ["_cmd_matrix", "_cmd_sweep"]
    assert parsed[0].latest and parsed[1].last == 3
    assert steps[-1]["if"] == "env.DRIFT == '1'"
    assert any(line.startswith("gh issue create") for line in lines)
