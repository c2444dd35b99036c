"""``harness scenarios`` and ``harness init``: a new repository gets a green suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.adopt import PYTEST_INI, init_repo, scenario_rows
from harness.cli.app import main
from harness.scenario.bundled import bundled_scenarios

ROOT = Path(__file__).resolve().parents[2]


def test_scenarios_lists_every_bundled_id_with_its_dialects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    bundled = bundled_scenarios()
    assert bundled is not None
    ids = {p.stem for p in bundled.glob("*.yaml")}
    listed = {line.split()[0] for line in out.splitlines()[1:] if line and " " in line}
    assert ids <= listed
    line = next(x for x in out.splitlines() if x.startswith("gateway-401-refresh "))
    assert line.split()[1] == "gateway"


def test_scenarios_by_dialect_keeps_only_what_that_wire_expresses() -> None:
    bundled = bundled_scenarios()
    assert bundled is not None
    rows = scenario_rows([bundled], "gateway")
    assert rows and all("gateway" in dialects.split(",") for _, dialects, _ in rows)
    assert not [sid for sid, _, _ in rows if sid.startswith("azure-")]
    assert all(what.endswith(".") for _, _, what in rows)


def test_scenarios_rejects_an_unknown_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--dialect", "openai-chats"]) == 2
    assert "unknown dialect 'openai-chats'" in capsys.readouterr().err


def test_init_then_pytest_is_green_in_an_empty_repository(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "conftest.py").is_file()
    assert (tmp_path / "pytest.ini").read_text() == PYTEST_INI
    workflow = (tmp_path / ".github/workflows/conformance.yml").read_text()
    assert "pip install llm-adapter-harness" in workflow
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
    assert "fail, 0 error" in proc.stdout or " 0 fail" in proc.stdout
    assert (tmp_path / "harness-report.md").is_file()
    # scenarios of other dialects are deselected, not skipped; --harness-show-na keeps them
    assert " deselected" in proc.stdout and "skipped" not in proc.stdout
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--harness-show-na",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert shown.returncode == 0 and " skipped" in shown.stdout, shown.stdout[-2000:]
    assert "scenario is limited to dialects" in shown.stdout or "n/a:" in shown.stdout


def test_init_keeps_existing_files_and_settings(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("# mine\n")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    said = init_repo(tmp_path)
    assert (tmp_path / "conftest.py").read_text() == "# mine\n"
    assert not (tmp_path / "pytest.ini").exists()
    assert any(s.startswith("kept pyproject.toml") and "harness_report" in s for s in said)
    assert any(s.startswith("kept ") and "conftest.py" in s for s in said)
    init_repo(tmp_path, force=True)
    assert 'suite("gateway-client")' in (tmp_path / "conftest.py").read_text()


def test_init_into_a_missing_directory_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
