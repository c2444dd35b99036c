"""``harness record`` runs a script in-process with its traffic recorded; the package's
public surface is small and sorted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import harness.cassettes
from harness.cassettes.format import load_cassette
from harness.cli.app import main
from tests.cassettes.server import serve

SCRIPT = """
import sys
import httpx

with httpx.Client() as client:
    reply = client.post(sys.argv[1] + "/echo", headers={"authorization": "Bearer " + sys.argv[2]})
print(reply.status_code)
raise SystemExit(3 if reply.status_code != 200 else 0)
"""


def test_harness_record_runs_a_script_and_writes_a_redacted_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "client.py"
    script.write_text(SCRIPT, encoding="utf-8")
    cassette = tmp_path / "rec.yaml"
    token = "Zq8rT2mW9xK4pL7vN3bC6hJ1"
    with serve() as server:
        assert main(["record", str(cassette), "--", str(script), server.base, token]) == 0
        assert "recorded 1 interaction(s)" in capsys.readouterr().err
        assert main(["record", str(cassette), "--", str(script), server.base, token]) == 0
        assert "replayed 1 interaction(s)" in capsys.readouterr().err
        assert len(server.received) == 1
    text = cassette.read_text(encoding="utf-8")
    assert token not in text
    assert load_cassette(cassette).interactions[0].request.path == "/echo"


def test_harness_record_needs_a_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", str(tmp_path / "c.yaml")]) == 2
    assert "record needs a command" in capsys.readouterr().err


def test_harness_record_in_none_mode_without_a_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.py"
    script.write_text("", encoding="utf-8")
    assert main(["record", "--mode", "none", str(tmp_path / "c.yaml"), "--", str(script)]) == 2
    assert "record mode 'none' only replays" in capsys.readouterr().err
    assert main(["record", str(tmp_path / "c.yaml"), "--mode", "none", "--", str(script)]) == 2
    assert "options go before the cassette" in capsys.readouterr().err
    assert main(["record", str(tmp_path / "c.yaml"), "--", str(tmp_path / "nope.py")]) == 2
    assert "no such script" in capsys.readouterr().err


def test_public_names_are_sorted_and_resolve() -> None:
    names = harness.cassettes.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(harness.cassettes, name) is not None
    with pytest.raises(AttributeError):
        harness.cassettes.nothing  # noqa: B018


def test_pre_commit_hook_is_declared() -> None:
    root = Path(__file__).resolve().parents[2]
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks[0]["id"] == "harness-scan" and hooks[0]["entry"] == "harness scan"
