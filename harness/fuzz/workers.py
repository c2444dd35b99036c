"""Fuzzing in parallel workers (``harness fuzz --workers N``): fork, split, send back, combine.

The parent does the setup once (driver resolved, its adapter and dialect imported, the
strategy and the seed corpus built), then forks N children, so every child starts warm.
Worker ``i`` runs its share of the examples (split as evenly as possible, the first workers
get the remainder) with its own seed: worker 0 keeps the run's seed and also runs the seed
corpus, worker ``i > 0`` gets a seed derived from (seed, i) and no corpus (it would repeat
worker 0's). Each child fuzzes exactly as one process does (its own warm loop, network
guard, frozen heap and shrinking), relays its progress to the parent over its pipe (the
parent alone draws the progress line), sends its result back pickled, and leaves by
``os._exit`` (no atexit handlers or test teardown of the parent run in it).

The parent combines: examples, wire cases and n/a summed, the time is the parent's wall
time, and the failure reported is the one of the lowest worker index that found one (the
same for a given seed and N whatever order the workers finish in). Its reproduce command is
that worker's seed and example count in one process: ``harness fuzz --seed S --examples E``
finds the same failure. A worker that crashes or is killed is a harness error naming it
and its seed, never a finding and never a pass.

The parent reads every child's pipe until it closes (the child is gone), then reaps it:
no pidfd (as the matrix's warm workers use), so this runs wherever ``os.fork`` does. If the
parent is interrupted, it kills and reaps the children it started; a child whose parent died
ends at its next write to the pipe.

Forking needs ``os.fork`` and no other thread alive in the parent (a child would inherit
the locks a thread holds, and could deadlock on them); otherwise the run happens in this
process, as with ``--workers 1``, and says so once on stderr.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import selectors
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NoReturn

from harness.matrix import progress
from harness.matrix.forked import leave
from harness.vocab.errors import HarnessError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from harness.drivers.base import Driver
    from harness.fuzz.runner import FuzzResult
    from harness.scenario.model import Scenario

__all__ = ["Parallel", "combine", "in_workers", "shares", "unavailable", "warm_up", "worker_seed"]

Job = Callable[[int, int, bool], "FuzzResult"]
"""Fuzz in this process: (examples, seed, with the seed corpus) -> the result."""

_HEADER = struct.Struct("!cI")
_ADVANCE, _NOTE, _COUNT, _RESULT, _ERROR = b"a", b"n", b"c", b"r", b"e"


@dataclass(frozen=True)
class Parallel:
    """How a run in workers went, on its :class:`~harness.fuzz.runner.FuzzResult`."""

    workers: int
    seed: int
    """The run's seed (``--seed``); a failure's result carries its worker's seed."""
    seconds: float
    """Seconds the workers spent, summed (the result's ``seconds`` is wall time)."""
    worker: int = 0
    """The worker whose failure is reported (the lowest index that found one)."""
    runs: int = 0
    """That worker's runs (its wire cases, examples and shrinking)."""


def shares(examples: int, workers: int) -> list[int]:
    """``examples`` split over at most ``workers`` workers, the first ones the remainder;
    never a share of 0."""
    count = max(1, min(workers, examples))
    base, extra = divmod(examples, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def worker_seed(seed: int, index: int) -> int:
    """Worker ``index``'s seed: the run's seed for worker 0, else one derived from both."""
    if index == 0:
        return seed
    digest = hashlib.sha256(f"harness-fuzz-worker:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def unavailable() -> str | None:
    """Why workers cannot be forked now, or None when they can."""
    if not hasattr(os, "fork"):
        return "os.fork is not available here"
    if threading.active_count() > 1:
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        return f"other threads are alive: {', '.join(others)}"
    return None


def warm_up(driver: Driver, strategy: SearchStrategy[Scenario]) -> None:
    """What every child would otherwise import or build on its own: the driver's dialect and
    adapter modules, and the strategy's lazily defined parts."""
    from harness.matrix.warming import import_quietly, modules_of

    for module in [*modules_of(driver.name), *driver.requires]:
        import_quietly(module)
    strategy.validate()


def in_workers(job: Job, *, examples: int, seed: int, workers: int) -> FuzzResult:
    """Run ``job`` in ``workers`` forked children (their shares of ``examples``) and
    combine their results; in this process when they cannot be forked."""
    parts = shares(examples, workers)
    reason = None if len(parts) > 1 else f"{examples} example cannot be split"
    children: list[_Child] = []
    started = time.perf_counter()
    if reason is None:
        with progress.paused():  # its refresh thread stopped: the fork copies no thread
            reason = unavailable()
            if reason is None:
                children = _fork_all(job, parts, seed)
    if reason is not None:
        print(f"harness fuzz: --workers {workers}: one process ({reason})", file=sys.stderr)
        return job(examples, seed, True)
    progress.note("examples", f"{len(children)} workers")
    results = _collect(children)
    return combine(results, seed=seed, seconds=time.perf_counter() - started)


def combine(results: list[FuzzResult], *, seed: int, seconds: float) -> FuzzResult:
    """One result of the workers' (by index): sums, the parent's wall time, and the failure
    of the lowest worker index that found one, with that worker's seed and command."""
    examples = sum(r.examples for r in results)
    corpus = sum(r.corpus for r in results)
    not_applicable = sum(r.not_applicable for r in results)
    spent = sum(r.seconds for r in results)
    failing = next((i for i, r in enumerate(results) if r.failure is not None), None)
    if failing is None:
        return replace(
            results[0],
            seed=seed,
            examples=examples,
            corpus=corpus,
            not_applicable=not_applicable,
            seconds=seconds,
            generating=(
                sum(r.generating[0] for r in results),
                sum(r.generating[1] for r in results),
            ),
            parallel=Parallel(len(results), seed, spent),
        )
    worker = results[failing]
    return replace(
        worker,  # its seed, failure, found_at, generating and command (its example count)
        examples=examples,
        corpus=corpus,
        not_applicable=not_applicable,
        seconds=seconds,
        parallel=Parallel(len(results), seed, spent, failing, worker.examples + worker.corpus),
    )


# --------------------------------------------------------------------------- the children


@dataclass
class _Child:
    index: int
    seed: int
    examples: int
    pid: int
    fd: int
    data: bytearray = field(default_factory=bytearray)
    result: FuzzResult | None = None
    error: str = ""

    def name(self) -> str:
        return f"fuzz worker {self.index} (seed {self.seed}, {self.examples} examples)"


def _fork_all(job: Job, parts: list[int], seed: int) -> list[_Child]:
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        stream.flush()
    children: list[_Child] = []
    try:
        for index, examples in enumerate(parts):
            mine = worker_seed(seed, index)
            read, write = os.pipe()
            try:
                pid = os.fork()
            except OSError as exc:
                os.close(read)
                os.close(write)
                raise HarnessError(f"fuzz worker {index}: could not fork ({exc})") from None
            if pid == 0:  # never returns: the parent's code does not run on in a child
                _child(write, job, examples, mine, index == 0, [read, *(c.fd for c in children)])
            os.close(write)
            children.append(_Child(index, mine, examples, pid, read))
    except BaseException:
        _end(children)
        raise
    return children


def _child(
    fd: int, job: Job, examples: int, seed: int, corpus: bool, parents: list[int]
) -> NoReturn:
    """In the forked child: fuzz, relaying progress, send the result, and leave.
    ``parents``: the parent's ends of the pipes, closed here."""
    code = 1
    try:
        for other in parents:
            os.close(other)
        with _Relay(fd):
            try:
                kind, payload = _RESULT, pickle.dumps(job(examples, seed, corpus))
            except HarnessError as exc:
                kind, payload = _ERROR, str(exc).encode()
            except KeyboardInterrupt:  # Ctrl-C reaches every worker: the parent says it once
                kind, payload = _ERROR, b"interrupted"
            except BaseException as exc:
                traceback.print_exc()
                kind, payload = _ERROR, f"{type(exc).__name__}: {exc}".encode()
        _send(fd, kind, payload)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        leave(code)


class _Relay(progress.Progress):
    """The child's progress: every advance and note goes to the parent, nothing is drawn."""

    def __init__(self, fd: int) -> None:
        super().__init__("fuzz", quiet=True)
        self.fd = fd

    def advance(self, group: str, *, failed: bool = False) -> None:
        _send(self.fd, _ADVANCE, b"1" if failed else b"0")

    def note(self, group: str, text: str, *, counting: bool = False) -> None:
        _send(self.fd, _COUNT if counting else _NOTE, text.encode())


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    """One frame to the parent (from a child); a parent gone ends the child at once."""
    data = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    try:
        while data:
            data = data[os.write(fd, data) :]
    except BrokenPipeError:
        os._exit(1)


# --------------------------------------------------------------------------- the parent


def _collect(children: list[_Child]) -> list[FuzzResult]:
    """Read every child's frames until its pipe closes, reap it, and return the results
    by index; a child that sent none is a harness error naming it."""
    try:
        with selectors.DefaultSelector() as selector:
            for child in children:
                selector.register(child.fd, selectors.EVENT_READ, child)
            while selector.get_map():
                for key, _ in selector.select():
                    child = key.data
                    chunk = os.read(child.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(child.fd)
                        os.close(child.fd)
                        child.fd = -1
                        continue
                    child.data += chunk
                    _frames(child)
        for child in children:
            _, status = os.waitpid(child.pid, 0)
            child.pid = 0
            if child.result is None and not child.error:
                child.error = _died(os.waitstatus_to_exitcode(status))
    finally:
        _end(children)
    for child in children:
        if child.error:
            raise HarnessError(f"{child.name()}: {child.error}")
    return [child.result for child in children if child.result is not None]


def _frames(child: _Child) -> None:
    while len(child.data) >= _HEADER.size:
        kind, size = _HEADER.unpack_from(child.data)
        if len(child.data) < _HEADER.size + size:
            return
        payload = bytes(child.data[_HEADER.size : _HEADER.size + size])
        del child.data[: _HEADER.size + size]
        if kind == _ADVANCE:
            progress.advance("examples", failed=payload == b"1")
        elif kind in (_NOTE, _COUNT):
            text = payload.decode()
            said = f"worker {child.index}: {text}" if text else ""
            progress.note("examples", said, counting=kind == _COUNT)
        elif kind == _RESULT:
            try:
                child.result = pickle.loads(payload)
            except Exception as exc:
                child.error = f"its result could not be read ({type(exc).__name__}: {exc})"
        else:
            child.error = payload.decode(errors="replace")


def _died(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name} before it sent its result"
    return f"exited with status {code} before it sent its result"


def _end(children: list[_Child]) -> None:
    """Kill and reap the children still running, close their pipes (after an error or an
    interrupt in the parent: no child outlives the run)."""
    for child in children:
        if child.pid:
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(child.pid, 0)
            child.pid = 0
        if child.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(child.fd)
            child.fd = -1
