"""What the pytest plugin costs a project that has it installed but does not use it.

``pytest --collect-only`` on a project of trivial tests, with the plugin loaded (as the
``pytest11`` entry point loads it) and with ``-p no:harness``, alternating in shuffled order;
the cost is the median of the per-round differences, so drift between rounds cancels. Two
settings: as a user's environment has it (every installed plugin autoloads, so the noise of
the others is included) and isolated (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, harness loaded
with ``-p`` against an empty module loaded the same way). Both are at the mercy of whatever
else the machine runs, so the verdict uses the low-noise estimate: the import of the plugin
in a fresh interpreter plus its per-session cost measured with ``pytest.main`` repeated in
one process. Goal: <= 20 ms.

Run: ``python -m benchmarks.plugin_startup [--quick]``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import Row, machine, median, spread, verdict

__all__ = ["GOAL_MS", "run"]

GOAL_MS = 20.0
TESTS = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(50))


def _project() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="harness-startup-"))
    (folder / "test_trivial.py").write_text(TESTS, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (folder / "noop_plugin.py").write_text('"""Loads like harness, does nothing."""\n')
    return folder


def _seconds(args: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    started = time.perf_counter()
    subprocess.run([*command, *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _paired(
    rounds: int, cwd: Path, env: dict[str, str], with_: Sequence[str], without: Sequence[str]
) -> tuple[float, float, list[float]]:
    """Median with, median without, the per-round differences (seconds)."""
    _seconds(with_, cwd, env)  # warm the file cache and .pyc files
    _seconds(without, cwd, env)
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        order = [True, False]
        random.shuffle(order)
        for loaded in order:
            (a if loaded else b).append(_seconds(with_ if loaded else without, cwd, env))
    return median(a), median(b), [x - y for x, y in zip(a, b, strict=True)]


def _import_ms(rounds: int, env: dict[str, str]) -> list[float]:
    """Importing ``harness.plugin.pytest_plugin`` after pytest, in a fresh interpreter each time."""
    code = (
        "import time, pytest; t = time.perf_counter(); import harness.plugin.pytest_plugin; "
        "print(time.perf_counter() - t)"
    )
    return [
        1000
        * float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            ).stdout
        )
        for _ in range(rounds)
    ]


_IN_PROCESS = """
import contextlib, io, random, sys, time
import pytest

def once(extra):
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", *extra]
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        pytest.main(args)
        return time.perf_counter() - started

rounds = int(sys.argv[1])
once([]); once(["-p", "no:harness"])
diffs = []
for _ in range(rounds):
    order = [True, False]
    random.shuffle(order)
    got = {loaded: once([] if loaded else ["-p", "no:harness"]) for loaded in order}
    diffs.append(got[True] - got[False])
print(" ".join(str(d) for d in diffs))
"""


def _session_ms(rounds: int, cwd: Path, env: dict[str, str]) -> list[float]:
    """The plugin's per-session cost once imported: ``pytest.main`` repeated in one process."""
    out = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS, str(rounds)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(d) * 1000 for d in out.stdout.strip().splitlines()[-1].split()]


def run(quick: bool = False) -> list[Row]:
    rounds = 5 if quick else 15
    cwd = _project()
    env = dict(os.environ)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    # as on a user's machine: bytecode cached (here in a private prefix, not in the tree)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cwd / "pycache")
    rows: list[Row] = []
    with_, without, diff = _paired(rounds, cwd, env, [], ["-p", "no:harness"])
    rows.append(_row("installed, unused (all plugins autoload)", with_, without, diff))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # "-p NAME" scans every distribution's entry points whatever NAME is: compare like for like
    harness, noop = ["-p", "harness.plugin.pytest_plugin"], ["-p", "noop_plugin"]
    with_, without, diff = _paired(rounds, cwd, env, harness, noop)
    rows.append(_row("loaded with -p, unused (no other plugin)", with_, without, diff))
    imported = _import_ms(rounds * 2, env)
    session = _session_ms(rounds * 4, cwd, env)
    rows.append(
        Row(
            "plugin start-up",
            "import harness.plugin.pytest_plugin",
            spread(imported, "{:.1f}", " ms"),
            note=f"min / median / max of {len(imported)} fresh interpreters",
        )
    )
    rows.append(
        Row(
            "plugin start-up",
            "hooks and options, per session",
            spread(session, "{:+.1f}", " ms"),
            note="pytest.main --collect-only repeated in one process, with vs -p no:harness; "
            f"min / median / max of {len(session)} paired rounds",
        )
    )
    total = median(imported) + median(session)
    rows.append(
        Row(
            "plugin start-up",
            "installed, unused: import + per-session",
            f"{total:.1f} ms",
            note="the sum of the two medians above: the low-noise estimate; the subprocess "
            "rows include other processes' noise",
            goal=f"<= {GOAL_MS:.0f} ms",
            result=verdict(total <= GOAL_MS),
        )
    )
    return rows


def _row(subject: str, with_: float, without: float, diffs: list[float]) -> Row:
    return Row(
        "plugin start-up",
        subject,
        spread([d * 1000 for d in diffs], "{:+.1f}", " ms"),
        note=f"pytest --collect-only, min / median / max of {len(diffs)} paired rounds "
        f"(medians: {with_ * 1000:.0f} ms with, {without * 1000:.0f} ms without)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    print(machine())
    print("| subject | cost | note | goal | result |\n|---|---|---|---|---|")
    for row in run(quick="--quick" in args):
        print(f"| {row.subject} | {row.measured} | {row.note} | {row.goal} | {row.result} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
