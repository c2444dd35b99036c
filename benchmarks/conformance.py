"""``make conformance``: the matrix's wall time, and how much of it is harness's own code.

Wall time: ``harness matrix --quiet`` over the bundled scenarios and every driver, as
``make conformance`` runs it (``--quick``: the OpenAI SDK driver only).

Workers: the same drivers' matrix with a process per driver (``--cold-workers``, as before),
with one warm worker per environment (the default), and with that warm worker kept between
runs (``--keep-workers``: the first run starts it, the second forks from it; in a directory
of workers of its own, stopped after), in the same run: wall time, cells per second, and the
start-up each driver paid before its first cell (``startup_seconds``).

Share: one driver's worker (the child the environment's warm worker forks per driver, running
:func:`harness.matrix.worker.run_cells`) is run in a subprocess under pyinstrument (a
sampling profiler, so every function costs what it costs); what the warm worker does once
before it forks (imports harness's run machinery, the driver's dialect and adapter, loads the
scenarios, compiles them once for all the drivers of the dialect) happens before the profile
starts. Each sample goes to the file of its innermost
Python frame (C functions count for their caller): ``harness/``, the adapter and its
libraries (site-packages), or the standard library (asyncio's loop, json, importlib...); the
libraries both sides call (pydantic, jsonschema, httpx, anyio: ``NEUTRAL``) are shown apart
as ``library`` (before, they were added to the adapter's part, harness's JSON Schema
validation of every transcript with them), so harness's own share is the same either way. A
second, stricter attribution charges a sample to the innermost frame that is either
harness's or an adapter's, so pydantic validating a transcript or jsonschema checking it
count as harness, httpx reading for the SDK counts as the adapter, and the event loop counts
for whoever runs it (harness's clock).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import ROOT, Row, median, spread, verdict

__all__ = [
    "GOAL",
    "Workers",
    "measure_kept",
    "measure_matrix",
    "measure_share",
    "measure_workers",
    "run",
]

GOAL = 0.05
DRIVERS = ("openai-sdk-chat", "litellm-chat")
WORKER_DRIVERS = (
    "openai-sdk-chat",
    "openai-sdk-responses",
    "litellm-chat",
    "litellm-cohere",
    "strands-litellm",
    "pydantic-ai-openai-chat",
)
"""Drivers of the main environment (start-up measured at 3.0 s for the OpenAI SDK, 6.4 s for
litellm, 7.0 s for strands, each in a process of its own); ``--quick``: the first two."""

_PROFILE = r"""
import json, os, sys, sysconfig
from pathlib import Path
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
from pyinstrument import Profiler

root, driver = Path(sys.argv[1]), sys.argv[2]
HARNESS = str(root / "harness") + os.sep
STDLIB = sysconfig.get_paths()["stdlib"] + os.sep
NEUTRAL = {"pydantic", "pydantic_core", "jsonschema", "jsonschema_specifications",
           "referencing", "rpds", "yaml", "typing_extensions", "annotated_types", "anyio",
           "sniffio", "httpx", "httpx2", "httpcore", "h11", "idna", "certifi", "attrs",
           "pyinstrument"}

def kind(path):
    if not path or path.startswith("<"):
        return None
    if path.startswith(HARNESS):
        return "harness"
    if "site-packages" in path:
        package = path.split("site-packages" + os.sep, 1)[1].split(os.sep, 1)[0]
        return "library" if package.split(".")[0] in NEUTRAL else "adapter"
    return "stdlib" if path.startswith(STDLIB) or "frozen" in path else "other"

by_file, by_owner = {}, {}

def walk(frame, file_kind, owner):
    mine = kind(frame.file_path)
    if mine is not None:
        file_kind = mine
        if mine in ("harness", "adapter"):
            owner = mine
    own = frame.time - sum(c.time for c in frame.children)
    if own > 0:
        by_file[file_kind] = by_file.get(file_kind, 0.0) + own
        by_owner[owner] = by_owner.get(owner, 0.0) + own
    for child in frame.children:
        walk(child, file_kind, owner)

from harness.scenario.load import load_scenarios
from harness.matrix.worker import run_cells

# what the environment's warm worker does once, before it forks the driver's child
from harness.matrix.warming import compile_for, prepare, warm_up
prepare()
warm_up(driver)
scenarios = load_scenarios(root / "scenarios")
compile_for(driver, scenarios)
profiler = Profiler(interval=0.0005)
profiler.start()
cells = [cell.model_dump_json() for cell in run_cells(driver, scenarios)]
profiler.stop()
walk(profiler.last_session.root_frame(), "other", "harness")
print(json.dumps({"cells": len(cells), "by_file": by_file, "by_owner": by_owner}))
"""


def measure_matrix(drivers: tuple[str, ...] = ()) -> tuple[float, str]:
    """Seconds for ``harness matrix --quiet`` and its summary line."""
    harness = Path(sys.executable).parent / "harness"
    command = [str(harness), "matrix", "--quiet"]
    for driver in drivers:
        command += ["--driver", driver]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    summary = next((line for line in done.stdout.splitlines() if " cells: " in line), "")
    return seconds, summary.strip()


@dataclass
class Workers:
    """One ``harness matrix`` run: wall seconds, cells, each driver's start-up seconds."""

    seconds: float
    cells: int
    startup: dict[str, float]


def measure_workers(
    drivers: tuple[str, ...],
    *,
    cold: bool,
    flags: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Workers:
    """``harness matrix`` over ``drivers``, cold (a process per driver) or warm (children of
    one warm worker per environment), with these ``flags`` and environment."""
    harness = Path(sys.executable).parent / "harness"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "matrix.json"
        command = [str(harness), "matrix", "--quiet", "--json", str(report), *flags]
        command += ["--cold-workers"] if cold else []
        for driver in drivers:
            command += ["--driver", driver]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
        seconds = time.perf_counter() - started
        data = json.loads(report.read_text(encoding="utf-8"))
    startup = {str(k): float(v) for k, v in data["startup_seconds"].items()}
    return Workers(seconds, len(data["cells"]), startup)


def measure_kept(drivers: tuple[str, ...]) -> tuple[Workers, Workers]:
    """``harness matrix --keep-workers`` twice: the run that starts the kept warm worker,
    and the next, which forks from it; the worker stopped after."""
    home = tempfile.mkdtemp(prefix="hk")  # short: a socket's path is short
    env = {**os.environ, "HARNESS_WORKERS_DIR": home}
    try:
        first = measure_workers(drivers, cold=False, flags=("--keep-workers",), env=env)
        second = measure_workers(drivers, cold=False, flags=("--keep-workers",), env=env)
    finally:
        harness = Path(sys.executable).parent / "harness"
        subprocess.run([str(harness), "workers", "stop"], env=env, capture_output=True)
        deadline = time.monotonic() + 60  # each removes its socket as it ends
        while any(Path(home).glob("*.sock")) and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(home, ignore_errors=True)
    return first, second


WORKER_GOALS = {"warm": 1.2, "warm, kept (--keep-workers), the next run": 1.5}
"""cells/s against a process per driver (median of the rounds' ratios): start-up paid once
per environment (warm), or not at all on the next run (kept)."""


def _workers_rows(drivers: tuple[str, ...], rounds: int) -> list[Row]:
    labels = (
        "a process per driver (--cold-workers)",
        "warm",
        "warm, kept (--keep-workers), the run that starts it",
        "warm, kept (--keep-workers), the next run",
    )
    found: dict[str, list[Workers]] = {label: [] for label in labels}
    for _ in range(rounds):  # each round runs every mode once, so its ratios share its load
        found[labels[0]].append(measure_workers(drivers, cold=True))
        found[labels[1]].append(measure_workers(drivers, cold=False))
        first, kept = measure_kept(drivers)
        found[labels[2]].append(first)
        found[labels[3]].append(kept)
    cold = found[labels[0]]
    rows = []
    for label in labels:
        runs = found[label]
        ratios = [c.seconds / got.seconds for c, got in zip(cold, runs, strict=True)]
        middle = sorted(runs, key=lambda got: got.seconds)[len(runs) // 2]
        each = ", ".join(f"{d} {middle.startup.get(d, 0.0):.1f}" for d in drivers)
        paid = sum(middle.startup.values())
        goal = WORKER_GOALS.get(label)
        rows.append(
            Row(
                benchmark="matrix workers, one environment",
                subject=f"{len(drivers)} drivers, {label}",
                measured=spread([got.seconds for got in runs], "{:.1f}", " s wall")
                + ", "
                + spread([got.cells / got.seconds for got in runs], "{:.0f}", " cells/s"),
                ratio=spread(ratios, "{:.2f}", "x"),
                note=f"min / median / max of {rounds} rounds; the median run's start-up before "
                f"each driver's first cell (s): {each}; sum {paid:.1f} s against "
                f"{middle.seconds:.1f} s wall (drivers run in parallel)",
                goal=f">= {goal:.1f}x the cells/s of a process per driver (median)" if goal else "",
                result=verdict(median(ratios) >= goal) if goal else "",
            )
        )
    return rows


def measure_share(driver: str) -> dict[str, object]:
    """The profile of one worker: cells, seconds by file kind, seconds by owner."""
    done = subprocess.run(
        [sys.executable, "-c", _PROFILE, str(ROOT), driver],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _shares(seconds: dict[str, float]) -> tuple[float, str]:
    total = sum(seconds.values())
    parts = ", ".join(
        f"{k} {v / total:.0%}" for k, v in sorted(seconds.items(), key=lambda x: -x[1])
    )
    return seconds.get("harness", 0.0) / total, parts


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    seconds, summary = measure_matrix(("openai-sdk-chat",) if quick else ())
    rows.append(
        Row(
            benchmark="make conformance (harness matrix --quiet)",
            subject="all drivers, bundled scenarios" if not quick else "openai-sdk-chat only",
            measured=f"{seconds:.1f} s wall",
            note=summary,
        )
    )
    rows += _workers_rows(WORKER_DRIVERS[:2] if quick else WORKER_DRIVERS, 1 if quick else 3)
    for driver in DRIVERS[:1] if quick else DRIVERS:
        profile = measure_share(driver)
        by_file: dict[str, float] = profile["by_file"]  # type: ignore[assignment]
        by_owner: dict[str, float] = profile["by_owner"]  # type: ignore[assignment]
        share, parts = _shares(by_file)
        strict, strict_parts = _shares(by_owner)
        rows.append(
            Row(
                benchmark="share of a matrix worker in harness code",
                subject=f"{driver}, by file",
                measured=f"{share:.1%}",
                note=f"{profile['cells']} cells, {sum(by_file.values()):.1f} s sampled: {parts}",
                goal=f"<= {GOAL:.0%}",
                result=verdict(share <= GOAL),
            )
        )
        rows.append(
            Row(
                benchmark="share of a matrix worker in harness code",
                subject=f"{driver}, by owner (incl. the libraries harness calls)",
                measured=f"{strict:.1%}",
                note=strict_parts,
            )
        )
    return rows
