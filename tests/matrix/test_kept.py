"""Kept warm workers (``harness matrix --keep-workers``): the next run forks its drivers from
the worker the last run left, with the verdicts of a cold run; a worker whose code changed on
disk, or that was killed, is replaced and the user told; an idle one ends on its own."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cli.app import main
from harness.matrix.kept import statuses, stop_all
from harness.matrix.pool import supported
from harness.matrix.run import Matrix, run_matrix

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["text-plain", "retry-429-seconds", "nonstream-text"]
DRIVERS = ["rt-honest", "rt-taints-process"]

pytestmark = pytest.mark.skipif(not supported(), reason="warm workers need fork and pidfd_open")


def _ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie: ended, waiting for init to reap it


def _wait_ended(pid: int) -> bool:
    """Whether ``pid`` ends within a minute (generous: this is not a timing assertion)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _ended(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module of the test's own that the kept workers import (a driver module a user could
    edit), and a directory of their own for their sockets; every worker stopped after."""
    with tempfile.TemporaryDirectory(prefix="hk") as home:  # short: a socket path is short
        modules = Path(home) / "m"
        modules.mkdir()
        module = modules / "kept_probe.py"
        module.write_text("import tests.runtime_drivers  # noqa: F401\n", encoding="utf-8")
        past = time.time() - 60  # written long before any worker starts
        os.utime(module, (past, past))
        monkeypatch.syspath_prepend(str(modules))
        path = os.pathsep.join(p for p in (str(modules), os.environ.get("PYTHONPATH")) if p)
        monkeypatch.setenv("PYTHONPATH", path)
        monkeypatch.setenv("HARNESS_WORKERS_DIR", str(Path(home) / "w"))
        try:
            yield module
        finally:
            pids = [s["pid"] for s in statuses() if "pid" in s]
            stop_all()
            sys.modules.pop("kept_probe", None)  # its file goes with the directory
            assert all(_wait_ended(pid) for pid in pids)


def matrix(keep: float | None, paths: list[Path] | None = None, *, cold: bool = False) -> Matrix:
    paths = paths or [ROOT / "scenarios" / f"{s}.yaml" for s in SCENARIOS]
    ids = [p.stem for p in paths]
    return run_matrix(
        DRIVERS, paths, ids, jobs=1, preload=["kept_probe"], warm=not cold, keep_workers=keep
    )


def outcomes(m: Matrix) -> dict[tuple[str, str], tuple[str, list[str]]]:
    return {(c.driver, c.scenario): (c.status, c.codes()) for c in m.cells}


def the_worker() -> dict[str, Any]:
    (status,) = statuses()
    return status


def test_the_next_run_uses_the_kept_worker_and_gets_the_verdicts_of_a_cold_run(
    probe: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = matrix(600)
    worker = the_worker()
    assert worker["served"] == 2 and worker["running"] == 0
    assert sorted(worker["warmed"]) == sorted(DRIVERS) and worker["stale"] is None
    assert "keeping a warm worker" in capsys.readouterr().err

    second = matrix(600)
    again = the_worker()
    assert again["pid"] == worker["pid"] and again["served"] == 4  # no new worker
    assert "keeping a warm worker" not in capsys.readouterr().err
    cold = matrix(None, cold=True)
    assert outcomes(first) == outcomes(second) == outcomes(cold)
    assert len(cold.cells) == len(DRIVERS) * len(SCENARIOS)


def test_a_worker_whose_imported_code_changed_is_replaced_and_the_user_told(
    probe: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = matrix(600)
    old = the_worker()["pid"]
    probe.write_text(probe.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    edited = time.time_ns() - 200_000_000  # after the worker started, well before the next
    os.utime(probe, ns=(edited, edited))
    assert "kept_probe.py changed" in the_worker()["stale"]
    capsys.readouterr()

    after = matrix(600)
    err = capsys.readouterr().err
    assert "restarting the kept warm worker for " in err
    assert f"(pid {old}):" in err and "kept_probe.py changed since the worker started" in err
    assert _wait_ended(old)
    new = the_worker()
    assert new["pid"] != old and new["stale"] is None
    assert outcomes(after) == outcomes(before)


def test_a_killed_worker_is_replaced(probe: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = matrix(600)
    old = the_worker()["pid"]
    os.kill(old, signal.SIGKILL)
    assert _wait_ended(old)
    capsys.readouterr()

    after = matrix(600)
    err = capsys.readouterr().err
    assert "did not answer (killed, crashed, or ending): starting a new one" in err
    assert the_worker()["pid"] != old
    assert outcomes(after) == outcomes(before)


def test_an_idle_worker_ends_on_its_own_and_removes_its_socket(probe: Path) -> None:
    matrix(0.5)
    worker = the_worker()
    assert _wait_ended(worker["pid"])
    assert not Path(worker["socket"]).exists()
    assert statuses() == []


def test_an_edited_scenario_is_read_again_by_the_same_worker(probe: Path) -> None:
    scenario = probe.parent / "text-plain.yaml"
    scenario.write_bytes((ROOT / "scenarios" / "text-plain.yaml").read_bytes())
    matrix(600, [scenario])
    pid = the_worker()["pid"]
    text = scenario.read_text(encoding="utf-8").replace("id: text-plain", "id: text-edited")
    scenario.write_text(text, encoding="utf-8")
    assert "id: text-edited" in text

    m = run_matrix(
        DRIVERS, [scenario], ["text-edited"], jobs=1, preload=["kept_probe"], keep_workers=600
    )
    assert {c.scenario for c in m.cells} == {"text-edited"}
    assert "error" not in {c.status for c in m.cells}
    assert the_worker()["pid"] == pid


def test_harness_workers_status_and_stop(probe: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workers", "status"]) == 0
    assert "no kept warm workers" in capsys.readouterr().out
    matrix(600)
    pid = the_worker()["pid"]
    capsys.readouterr()
    assert main(["workers", "status"]) == 0
    assert f"pid {pid}: " in capsys.readouterr().out
    assert main(["workers", "stop"]) == 0
    assert f"stopping pid {pid}" in capsys.readouterr().out
    assert _wait_ended(pid)
    assert statuses() == []


def test_verdict_keeps_workers_too(probe: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``harness verdict --keep-workers``: the CI gate's second run forks from the worker
    its first one left, with the same verdict."""
    args = ["verdict", "--driver", "openai-sdk-chat", "--quiet", "--keep-workers", "600"]
    args += ["--scenarios", str(ROOT / "scenarios" / "text-plain.yaml")]
    assert main(args) == 0
    first = capsys.readouterr().out
    worker = the_worker()
    assert main(args) == 0
    assert capsys.readouterr().out == first and "openai-sdk-chat: PASS" in first
    again = the_worker()
    assert again["pid"] == worker["pid"] and again["served"] == worker["served"] + 1
