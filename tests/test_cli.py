"""The command line as a person meets it: help, typos, closed pipes, the matrix summary."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import BROKEN_PIPE, _parser, main

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.mark.adapters
def test_matrix_prints_a_summary_and_the_table_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openai")
    scenario = ROOT / "scenarios" / "text-plain.yaml"
    broken = tmp_path / "text-bye.yaml"  # the server now sends other text than expected
    broken.write_text(
        scenario.read_text()
        .replace("text: Hello! Nice", "text: Bye! Nice", 1)
        .replace("id: text-plain", "id: text-bye", 1)
    )
    args = ["matrix", "--scenarios", str(scenario), "--scenarios", str(broken)]
    assert main([*args, "--driver", "openai-sdk-chat", "--table"]) == 1
    captured = capsys.readouterr()
    table, summary = captured.out.split("\n\ndriver ", 1)
    summary = "driver " + summary
    assert table.startswith("scenario   | openai-sdk-chat")  # asked for with --table
    lines = summary.splitlines()
    assert lines[0].split() == ["driver", "pass", "fail", "n/a", "error", "verdict"]
    assert lines[1].split() == ["openai-sdk-chat", "1", "1", "0", "0", "FAIL"]
    assert lines[2] == "  text-mismatch (1): text-bye"
    assert not any("|" in line for line in lines)
    assert max(len(line) for line in summary.splitlines()) <= 100
    assert "matrix: openai-sdk-chat done, 2 cells, 1 failed" in captured.err  # not a TTY
