"""The command line as a person meets it: help, typos, closed pipes, the matrix summary."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli.app import BROKEN_PIPE, _parser, main
from harness.matrix.run import Matrix

ROOT = Path(__file__).resolve().parents[2]


def commands() -> dict[str, str]:
    """Every subcommand and its one-line help, from the parser itself."""
    found: dict[str, str] = {}
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                found[choice.dest] = choice.help or ""
    return found


def test_help_lists_every_command_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    listed = commands()
    assert {"run", "matrix", "fuzz", "drivers", "explain", "record", "diff"} <= set(listed)
    for name, help in listed.items():
        assert help and "\n" not in help, f"command {name} has no one-line help"
        line = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
        assert help.split()[0] in line
    assert "exit status" in out


def test_unknown_driver_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "text-plain", "--driver", "openai-sdk-chta"]) == 2
    assert "did you mean 'openai-sdk-chat'" in capsys.readouterr().err
    assert main(["matrix", "--quiet", "--driver", "litelm-chat"]) == 2
    assert "did you mean 'litellm-chat'" in capsys.readouterr().err
    assert main(["verdict", "--quiet", "--driver", "anthropic-skd"]) == 2
    assert "did you mean 'anthropic-sdk'" in capsys.readouterr().err


def test_unknown_scenario_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(ROOT / "scenarios")
    assert main(["run", f"{folder}/retry-429-secnds.yaml", "--driver", "x"]) == 2
    err = capsys.readouterr().err
    assert "no such scenario file" in err and "did you mean 'retry-429-seconds'" in err


def test_unknown_code_and_dialect_suggest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "retry-storn"]) == 2
    assert "did you mean 'retry-storm'" in capsys.readouterr().err


class _ClosedPipe:
    """stdout whose reader went away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["explain"]) == BROKEN_PIPE


@pytest.mark.parametrize("args", [["drivers"], ["explain"]])
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    """``harness drivers | head -1``: the reader is gone before harness writes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, BROKEN_PIPE)
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_matrix_prints_a_summary_and_the_table_on_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's output around a matrix run (the run itself is replaced: the worker
    processes are tested in tests/report/test_reports.py)."""
    import harness.matrix.run
    from harness.run.cell import Cell
    from harness.vocab.findings import Finding

    found = Finding(code="text-mismatch", check="expectations", message="Bye", where="x:1")
    cells = [
        Cell(driver="openai-sdk-chat", scenario="text-plain", dialect="openai-chat", status="pass"),
        Cell(
            driver="openai-sdk-chat",
            scenario="text-then-tool-call",
            dialect="openai-chat",
            status="fail",
            reason="text-mismatch: Bye",
            findings=[found],
        ),
    ]

    def run_matrix(drivers: list[str], paths: object, ids: list[str], **kw: Any) -> Matrix:
        for cell in cells:
            kw["on_cell"](cell)
        return Matrix(drivers=drivers, scenarios=ids, cells=cells, wall_seconds=1.5)

    monkeypatch.setattr(harness.matrix.run, "run_matrix", run_matrix)
    scenarios = ["--scenarios", str(ROOT / "scenarios" / "text-plain.yaml")]
    scenarios += ["--scenarios", str(ROOT / "scenarios" / "text-then-tool-call.yaml")]
    assert main(["matrix", *scenarios, "--driver", "openai-sdk-chat", "--table"]) == 1
    captured = capsys.readouterr()
    table, summary = captured.out.split("\n\ndriver ", 1)
    assert table.startswith("scenario ") and "| openai-sdk-chat" in table  # asked for
    lines = ("driver " + summary).splitlines()
    assert lines[0].split() == ["driver", "pass", "fail", "n/a", "error", "verdict"]
    assert lines[1].split() == ["openai-sdk-chat", "1", "1", "0", "0", "FAIL"]
    assert lines[2] == "  text-mismatch (1): text-then-tool-call"
    assert not any("|" in line for line in lines)
    assert max(len(line) for line in lines) <= 100
    assert "matrix: openai-sdk-chat done, 2 cells, 1 failed" in captured.err  # not a TTY

    assert main(["matrix", *scenarios, "--driver", "openai-sdk-chat", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("driver ") and captured.err == ""
