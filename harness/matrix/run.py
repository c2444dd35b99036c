"""The conformance matrix: every scenario against every driver, each driver in its own process.

Drivers run in parallel worker processes, as many at once as the machine has cores: children
that the warm worker of their environment forks (:mod:`harness.matrix.warm_worker`, which
imported harness, the scenarios and the adapters once), or, with ``warm=False`` or where fork
is not available, processes of their own (``python -m harness.matrix.worker``). Each sends one
JSON cell per line on a channel of its own (not its stdout, which the adapter may print on),
merged here in a stable order so two runs give the same report.

The matrix cannot hang and loses only what a crash takes: a worker that dies mid-cell (a
crash, or the hard stop after a cell's wall budget) loses that cell only, reported as
``setup-worker-crashed`` (an error) or ``adapter-hung`` (a finding, with the stacks the
hard stop dumped), and a new worker runs the cells after it. A worker that sends nothing
for longer than a cell may take is killed and treated the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.matrix.channel import STARTUP_SECONDS, Heard, follow
from harness.matrix.pool import WarmPool, warm_pool
from harness.run.cell import Cell, error_cell
from harness.transport.budget import Budget
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

__all__ = ["Matrix", "run_matrix"]


@dataclass
class Matrix:
    """All cells of one run, in driver then scenario order."""

    drivers: list[str]
    scenarios: list[str]
    cells: list[Cell] = field(default_factory=list)
    wall_seconds: float = 0.0
    startup_seconds: dict[str, float] = field(default_factory=dict)
    """Per driver: seconds before its first cell ran (its environment, worker start-up and
    imports), the cost a shard pays for each driver it runs (:mod:`harness.matrix.shard`)."""
    shard: dict[str, Any] | None = None
    """For one shard of a matrix: ``index``, ``count`` and the whole matrix's ``drivers``
    and ``scenarios``, so ``harness merge`` can check and order the shards' cells."""

    def cell(self, driver: str, scenario: str) -> Cell | None:
        for c in self.cells:
            if c.driver == driver and c.scenario == scenario:
                return c
        return None

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "n/a": 0, "error": 0}
        for c in self.cells:
            out[c.status] += 1
        return out


def run_matrix(
    drivers: Sequence[str],
    scenario_paths: Sequence[Path],
    scenario_ids: Sequence[str],
    *,
    jobs: int | None = None,
    on_cell: Callable[[Cell], None] | None = None,
    rechunk: bool = False,
    budget: Budget | None = None,
    preload: Sequence[str] = (),
    only: Mapping[str, Sequence[str]] | None = None,
    python: str | None = None,
    warm: bool = True,
    keep_workers: float | None = None,
) -> Matrix:
    """Run every scenario through every driver, one worker process per driver; ``rechunk``
    also checks invariant 5 in every cell (about 1.6-1.8x the time, measured). ``budget``
    bounds each cell (default :class:`~harness.transport.budget.Budget`); ``preload`` names modules
    each worker imports first (modules that register drivers); ``only`` names, per driver, the
    scenarios it runs (default: all; one shard's share); ``python`` runs every worker with
    that interpreter instead of each driver's own (a version sweep's environment); ``warm``
    runs each driver in a child of its environment's warm worker (:mod:`harness.matrix.pool`,
    where supported) instead of a process of its own; ``keep_workers`` keeps those warm
    workers for the next runs, each ending after that many idle seconds
    (:mod:`harness.matrix.kept`)."""
    started = time.perf_counter()
    for module in preload:  # here too: the drivers' environments are looked up here
        importlib.import_module(module)
    jobs = jobs or max(1, min(len(drivers), os.cpu_count() or 1))
    pool = (
        warm_pool(drivers, scenario_paths, preload, python, keep_workers, _worker_env())
        if warm
        else None
    )
    spec = _Spec(list(scenario_paths), rechunk, budget or Budget(), tuple(preload), python, pool)

    def one(driver: str) -> tuple[list[Cell], float | None]:
        ids = list(only.get(driver, ())) if only is not None else list(scenario_ids)
        return _run_driver(driver, spec, ids, on_cell, whole=ids == list(scenario_ids))

    try:
        with ThreadPoolExecutor(max_workers=jobs) as threads:
            results = list(threads.map(one, drivers))
    finally:
        if pool is not None:
            pool.close()
    order = {s: i for i, s in enumerate(scenario_ids)}
    cells = [c for cells, _ in results for c in sorted(cells, key=lambda c: order[c.scenario])]
    startup = {d: round(s, 3) for d, (_, s) in zip(drivers, results, strict=True) if s is not None}
    return Matrix(
        drivers=list(drivers),
        scenarios=list(scenario_ids),
        cells=cells,
        wall_seconds=time.perf_counter() - started,
        startup_seconds=startup,
    )


@dataclass(frozen=True)
class _Spec:
    """What every worker of one matrix gets."""

    paths: list[Path]
    rechunk: bool
    budget: Budget
    preload: tuple[str, ...]
    python: str | None = None
    pool: WarmPool | None = None


@dataclass
class _Ended:
    """How one worker process ended: the cell it was in, if any, and why."""

    current: dict[str, Any] | None
    returncode: int | None
    stderr: str
    dump: str
    killed: bool


def _run_driver(
    driver: str,
    spec: _Spec,
    scenario_ids: Sequence[str],
    on_cell: Callable[[Cell], None] | None,
    *,
    whole: bool = True,
) -> tuple[list[Cell], float | None]:
    """All cells of one driver (workers one after the other until every cell is reported),
    and the seconds before its first cell ran (None: no cell ran)."""
    from harness.drivers.base import DriverError
    from harness.matrix.envs import python_for
    from harness.vocab.errors import HarnessError

    cells: list[Cell] = []
    started = time.perf_counter()
    startup: list[float] = []

    def emit(cell: Cell) -> None:
        if not startup and cell.transcript is not None:
            startup.append(time.perf_counter() - started - cell.transcript.wall_seconds)
        cells.append(cell)
        if on_cell is not None:
            on_cell(cell)

    if not scenario_ids:
        return cells, None
    try:
        python = spec.python or python_for(driver) or sys.executable
    except DriverError:  # an unknown driver is the caller's mistake, not a broken environment
        raise
    except HarnessError as exc:  # one driver's broken environment must not stop the matrix
        for s in scenario_ids:
            emit(error_cell(driver, s, "", Code.SETUP_ENVIRONMENT, str(exc)))
        return cells, None
    remaining = list(scenario_ids)
    first = True
    while remaining:
        before = len(cells)
        ended = _one_worker(python, driver, spec, None if first and whole else remaining, emit)
        first = False
        done = {c.scenario for c in cells}
        remaining = [s for s in remaining if s not in done]
        if not remaining:
            break
        current = ended.current
        if current is None and ended.returncode == 0 and len(cells) > before:
            continue  # it stopped after a hung cell: the rest in a fresh worker
        if current is None or current["start"] not in remaining:
            # died outside any cell (at start-up, or between cells): nothing left to learn
            why = _crash_reason(driver, ended)
            for s in remaining:
                emit(error_cell(driver, s, "", Code.SETUP_WORKER_CRASHED, why))
            break
        emit(_lost_cell(driver, current, ended, spec.budget))
        remaining.remove(current["start"])
    return cells, (max(0.0, startup[0]) if startup else None)


def _one_worker(
    python: str,
    driver: str,
    spec: _Spec,
    only: list[str] | None,
    emit: Callable[[Cell], None],
) -> _Ended:
    """One worker's run of ``driver``'s cells (``only``: these; default all): a child of the
    warm worker when there is one, else a process of its own."""
    from harness.matrix.worker import HARD_STOP_GRACE

    hard_stop = spec.budget.wall_seconds + HARD_STOP_GRACE
    with tempfile.TemporaryDirectory(prefix="harness-worker-") as tmp:
        stderr_path = os.path.join(tmp, "stderr")
        dump_path = os.path.join(tmp, "hang-dump")
        ended = None
        if spec.pool is not None:
            request = {
                "driver": driver,
                "paths": [str(p) for p in spec.paths],
                "cwd": os.getcwd(),
                "only": only,
                "rechunk": spec.rechunk,
                "wall": spec.budget.wall_seconds,
                "virtual": spec.budget.virtual_seconds,
                "hard_stop": hard_stop,
                "stderr": stderr_path,
                "dump": dump_path,
            }
            ended = _warm_child(python, spec.pool, request, hard_stop, emit)
        if ended is None:
            ended = _process(python, driver, spec, only, emit, hard_stop, stderr_path, dump_path)
        if os.path.exists(stderr_path):
            ended.stderr = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
        if os.path.exists(dump_path):
            ended.dump = Path(dump_path).read_text(encoding="utf-8", errors="replace")
    return ended


def _process(
    python: str,
    driver: str,
    spec: _Spec,
    only: list[str] | None,
    emit: Callable[[Cell], None],
    hard_stop: float,
    stderr_path: str,
    dump_path: str,
) -> _Ended:
    """A worker process of the driver's own (``python -m harness.matrix.worker``)."""
    from harness.matrix.worker import HARD_STOP_GRACE

    flags = ["--rechunk"] if spec.rechunk else []
    for module in spec.preload:
        flags += ["--import", module]
    for scenario in only or ():
        flags += ["--scenario", scenario]
    budget = spec.budget
    flags += ["--wall-budget", str(budget.wall_seconds)]
    flags += ["--virtual-budget", str(budget.virtual_seconds)]
    flags += ["--hard-stop", str(hard_stop)]
    read_end, write_end = os.pipe()
    with open(stderr_path, "w", encoding="utf-8") as errors:
        cmd = [python, "-m", "harness.matrix.worker", "--driver", driver, *flags]
        cmd += ["--results-fd", str(write_end), "--hang-dump", dump_path, *map(str, spec.paths)]
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # adapters print there; results have their pipe
                stderr=errors,
                pass_fds=(write_end,),
                env=_worker_env(),
            )
        finally:
            os.close(write_end)
        with proc, os.fdopen(read_end, "rb") as channel:
            heard = follow(channel, emit, hard_stop + HARD_STOP_GRACE, lambda _: proc.kill())
            proc.wait()
    return _Ended(heard.current, proc.returncode, "", "", heard.killed)


def _warm_child(
    python: str,
    pool: WarmPool,
    request: dict[str, Any],
    hard_stop: float,
    emit: Callable[[Cell], None],
) -> _Ended | None:
    """The cells of a child of ``python``'s warm worker; None: no warm worker served it."""
    from harness.matrix.worker import HARD_STOP_GRACE

    conn = pool.connect(python, request)
    if conn is None:
        return None

    def kill(heard: Heard) -> None:
        if heard.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(heard.pid, signal.SIGKILL)

    with conn:
        heard = follow(conn, emit, hard_stop + HARD_STOP_GRACE, kill)
        if heard.killed:  # the warm worker reaps the killed child and says how it ended
            heard = follow(conn, emit, STARTUP_SECONDS, kill, heard)
    if heard.pid is None and heard.exit is None:
        pool.mark_broken(python)  # it died before forking: this and later drivers go cold
        return None
    returncode = heard.exit if heard.exit is not None else -signal.SIGKILL
    return _Ended(heard.current, returncode, "", "", heard.killed)


def _lost_cell(driver: str, current: dict[str, Any], ended: _Ended, budget: Budget) -> Cell:
    """The cell a worker died in: hung (the hard stop fired, or it was killed for silence)
    or crashed."""
    scenario, dialect = str(current["start"]), str(current.get("dialect", ""))
    source = str(current.get("source", ""))
    if ended.killed or "Timeout (" in ended.dump:
        stack = _dumped_stack(ended.dump)
        message = (
            f"the adapter did not finish within the cell's wall budget of "
            f"{budget.wall_seconds:g} s and could not be interrupted (stuck outside Python "
            "code); its worker process was ended"
        )
        finding = Finding(
            code=Code.ADAPTER_HUNG,
            check="budget",
            message=message,
            expected="the adapter returns within the cell's wall budget",
            actual=stack or None,
            where=stack[0] if stack else source,
        )
        return Cell(
            driver=driver,
            scenario=scenario,
            dialect=dialect,
            status="fail",
            reason=f"adapter-hung: {message}",
            source=source,
            findings=[finding],
        )
    why = _crash_reason(driver, ended)
    return error_cell(driver, scenario, dialect, Code.SETUP_WORKER_CRASHED, why, source=source)


def _dumped_stack(dump: str) -> list[str]:
    """The frames faulthandler wrote for the thread that was running the cell (innermost
    first, as it writes them)."""
    blocks = dump.split("\n\n")
    main = next((b for b in blocks if "Current thread" in b), blocks[0] if blocks else "")
    return [line.strip() for line in main.splitlines() if line.strip().startswith("File ")][:15]


def _crash_reason(driver: str, ended: _Ended) -> str:
    return (
        f"worker for {driver} exited with {ended.returncode} before reporting the cell: "
        + _last_line(ended.stderr)
    )


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    env["PYTHONHASHSEED"] = "0"
    return env


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"
