"""The worked example of ``docs/cassettes.md`` runs as written: every ``sh`` line of its
section, in order, from a directory laid out like a checkout's root, with the exit status
its comment gives (0 when none) and the text the comment names in the output."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cassettes.md"
EXPECTED = re.compile(r"#\s*exit (\d+)(?::\s*(\S.*))?$")


def workflow_lines() -> list[str]:
    section = DOC.read_text(encoding="utf-8").split("## Worked example", 1)[1]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_the_worked_example_covers_the_workflow() -> None:
    commands = [shlex.split(line, comments=True)[:2] for line in workflow_lines()]
    assert [c[1] for c in commands] == ["record", "record", "import", "run", "run", "diff", "diff"]


def test_the_worked_example_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "cassettes").symlink_to(ROOT / "cassettes")
    harness = [
        sys.executable,
        "-c",
        "import sys; from harness.cli.app import main; sys.exit(main())",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outputs: list[str] = []
    for line in workflow_lines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "harness", line
        expected = EXPECTED.search(line)
        status = int(expected.group(1)) if expected else 0
        proc = subprocess.run(
            [*harness, *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert proc.returncode == status, f"{line}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        if expected and expected.group(2):
            assert expected.group(2) in proc.stdout, f"{line}\n{proc.stdout[-2000:]}"
        outputs.append(proc.stdout)
    recorded, replayed = outputs[0], outputs[1]
    assert recorded == replayed == '{"text": "Hello! Nice to meet you.", "tool_calls": []}\n'
    assert (tmp_path / "scenarios" / "gateway-1.yaml").is_file()
    assert "pass" in outputs[3] and "[usage-missing]" in outputs[4]
    assert outputs[5].strip() == "no semantic differences"
