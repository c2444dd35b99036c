"""Per-cell budgets: every cell ends, whatever the adapter does.

A cell has two budgets (see ``docs/budgets.md``):

- **virtual** seconds (default 3600): what the adapter may wait for on the virtual clock.
  An adapter that keeps sleeping (an endless poll, a retry loop with no cap) reaches it in
  a few thousand virtual waits, which cost no wall time.
- **wall** seconds (default 60): real time for the whole cell, import of the adapter
  included. Only an adapter that never waits can reach it: a busy loop, a wait on
  something nobody will ever set, a lock never released.

Either ends the cell with :class:`AdapterHung`, reported as the finding ``adapter-hung``
with the stack where the adapter was. It derives from ``BaseException`` so an adapter's
``except Exception`` retry loop cannot swallow it.

How the wall budget reaches the adapter (:func:`wall_limit`): in the main thread, a
``SIGALRM`` timer whose handler raises where the thread is (Python code, or a blocking call
such as ``select`` or a lock); in another thread, ``PyThreadState_SetAsyncExc`` plus a wake-up
of the virtual loop. After the first, it fires again every second until the cell is over,
so clean-up code that hangs too is ended. Code stuck in C without returning to the
interpreter cannot be interrupted in-process: the matrix runs cells in worker processes and
abandons one that does not answer (see :mod:`harness.matrix.run`).
"""

from __future__ import annotations

import ctypes
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any, Literal

__all__ = [
    "DEFAULT_VIRTUAL_SECONDS",
    "DEFAULT_WALL_SECONDS",
    "AdapterHung",
    "Budget",
    "WallLimit",
    "frames_of",
    "wall_limit",
]

DEFAULT_VIRTUAL_SECONDS = 3600.0
"""One virtual hour: longer than any wait a scenario scripts (the longest Retry-After in the
bundled suite is 429 s), short enough that a loop of one-second sleeps ends in milliseconds."""
DEFAULT_WALL_SECONDS = 60.0
"""A minute of real time: a cell takes milliseconds, the first cell of a driver at most a
few seconds (importing litellm), even on a loaded CI machine."""
REPEAT_SECONDS = 1.0
"""After the wall budget ran out, how often it fires again until the cell is over."""

BudgetKind = Literal["virtual", "wall"]

_RUNNER = "/harness/run/runner.py"
_SKIP = (
    "/asyncio/",
    "/selectors.py",
    "/harness/transport/clock.py",
    "/harness/transport/budget.py",
)


@dataclass(frozen=True)
class Budget:
    """How long one cell may take: virtual seconds waited, and real seconds in all."""

    virtual_seconds: float = DEFAULT_VIRTUAL_SECONDS
    wall_seconds: float = DEFAULT_WALL_SECONDS

    def __post_init__(self) -> None:
        for name in ("virtual_seconds", "wall_seconds"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"a budget's {name} must be a positive number (got {value!r})")


class AdapterHung(BaseException):
    """The adapter did not finish within the cell's budget; ``stack`` says where it was."""

    def __init__(
        self,
        message: str = "the adapter did not finish within the cell's wall budget",
        *,
        budget: BudgetKind = "wall",
        stack: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.budget: BudgetKind = budget
        self.stack: list[str] = stack or []
        self.wake_at: float | None = None
        """For the virtual budget: the virtual time the wait that passed it would have ended
        at (one sleep far past every sane cap, rather than a loop of short ones)."""
        self.no_read_timeout = False
        """The hang is a server that stopped sending while the client had set no read
        timeout (replay ends it at once; a real call never would)."""

    @classmethod
    def here(
        cls, message: str, *, budget: BudgetKind, frame: FrameType | None = None
    ) -> AdapterHung:
        """An instance whose stack is where the caller (or ``frame``) is."""
        start = frame if frame is not None else sys._getframe(1)
        return cls(message, budget=budget, stack=frames_of(traceback.extract_stack(start)))


def frames_of(summary: traceback.StackSummary, limit: int = 15) -> list[str]:
    """``file:line in function: code`` for each frame, innermost last, without the frames of
    asyncio and of harness's clock and budget (they say nothing about the adapter)."""
    frames = list(summary)
    runner = [i for i, f in enumerate(frames) if f.filename.replace("\\", "/").endswith(_RUNNER)]
    if runner:  # what called the runner (pytest, the CLI) says nothing about the adapter
        frames = frames[runner[-1] :]
    lines = [
        f"{f.filename}:{f.lineno} in {f.name}" + (f": {f.line.strip()}" if f.line else "")
        for f in frames
        if not any(part in f.filename.replace("\\", "/") for part in _SKIP)
    ]
    return lines[-limit:]


def stack_of(exc: BaseException) -> list[str]:
    """Where ``exc`` was raised, from the frame that caught it inwards."""
    tb: TracebackType | None = exc.__traceback__
    return frames_of(traceback.extract_tb(tb)) if tb is not None else []


def task_stack(task: Any) -> list[str]:
    """Where a suspended task is: its chain of awaits, outermost first, followed through
    async generators too (``async for`` over a driver's ``run``), which expose no public
    link from the ``asend`` awaitable to their generator."""
    import gc
    import inspect
    import linecache

    frames: list[FrameType] = []
    seen: set[int] = set()
    link: Any = task.get_coro()
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        frame = next((f for f in (getattr(link, a, None) for a in _FRAMES) if f is not None), None)
        if frame is not None:
            frames.append(frame)
        nxt = next((n for n in (getattr(link, a, None) for a in _AWAITS) if n is not None), None)
        if nxt is None and type(link).__name__.startswith("async_generator_a"):
            nxt = next((r for r in gc.get_referents(link) if inspect.isasyncgen(r)), None)
        link = nxt
    summary = traceback.StackSummary.from_list(
        [
            (
                f.f_code.co_filename,
                f.f_lineno,
                f.f_code.co_name,
                linecache.getline(f.f_code.co_filename, f.f_lineno),
            )
            for f in frames
        ]
    )
    return frames_of(summary)


_FRAMES = ("cr_frame", "ag_frame", "gi_frame")
_AWAITS = ("cr_await", "ag_await", "gi_yieldfrom")


@dataclass
class WallLimit:
    """The wall budget of one cell, armed by :func:`wall_limit`."""

    seconds: float
    hung: AdapterHung | None = None
    """Set when the budget ran out, with the stack of the thread it interrupted."""
    wakers: list[Callable[[], None]] = field(default_factory=list)
    """Called (from the watchdog thread) when the budget runs out: a virtual loop's wake-up."""

    def message(self) -> str:
        return (
            f"the adapter did not finish within the cell's wall budget of {self.seconds:g} s "
            "of real time (a busy loop, or a wait on something that never happens)"
        )


_current: dict[int, WallLimit] = {}
"""Thread id -> the wall limit armed in it (a virtual loop made there registers a waker)."""


def current_limit() -> WallLimit | None:
    return _current.get(threading.get_ident())


@contextmanager
def wall_limit(seconds: float | None) -> Iterator[WallLimit | None]:
    """Raise :class:`AdapterHung` in this thread if the block runs longer than ``seconds``.

    None: no limit. Nested limits are not supported: an inner one is ignored (the outer
    one stays armed).
    """
    ident = threading.get_ident()
    if seconds is None or ident in _current:
        yield None
        return
    limit = WallLimit(seconds)
    _current[ident] = limit
    use_signal = threading.current_thread() is threading.main_thread() and hasattr(
        signal, "setitimer"
    )
    try:
        if use_signal:
            with _alarm(limit):
                yield limit
        else:
            with _watchdog(limit, ident):
                yield limit
    finally:
        _current.pop(ident, None)


@contextmanager
def _alarm(limit: WallLimit) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        if limit.hung is None:
            limit.hung = AdapterHung.here(limit.message(), budget="wall", frame=frame)
        raise AdapterHung(limit.hung.message, budget="wall", stack=limit.hung.stack)

    previous: Any = signal.signal(signal.SIGALRM, handler)
    started = time.perf_counter()
    before = signal.setitimer(signal.ITIMER_REAL, limit.seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if before[0] > 0:  # someone else's timer (pytest-timeout): give back what is left
            left = max(before[0] - (time.perf_counter() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, before[1])


@contextmanager
def _watchdog(limit: WallLimit, ident: int) -> Iterator[None]:
    done = threading.Event()

    def watch() -> None:
        timeout = limit.seconds
        while not done.wait(timeout):
            timeout = REPEAT_SECONDS
            if limit.hung is None:
                frame = sys._current_frames().get(ident)
                limit.hung = AdapterHung.here(limit.message(), budget="wall", frame=frame)
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(AdapterHung)
            )
            for wake in list(limit.wakers):
                wake()

    thread = threading.Thread(target=watch, name="harness-wall-budget", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if limit.hung is not None:  # one may be pending still: it must not fire after the cell
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)


def add_budget_arguments(parser: Any) -> None:
    """``--wall-budget`` and ``--virtual-budget`` on an argparse (sub)parser."""
    parser.add_argument(
        "--wall-budget",
        type=float,
        default=DEFAULT_WALL_SECONDS,
        metavar="SECONDS",
        help=f"real time one cell may take (default: {DEFAULT_WALL_SECONDS:g})",
    )
    parser.add_argument(
        "--virtual-budget",
        type=float,
        default=DEFAULT_VIRTUAL_SECONDS,
        metavar="SECONDS",
        help=f"virtual time one cell may wait (default: {DEFAULT_VIRTUAL_SECONDS:g})",
    )


def budget_from(wall: object, virtual: object) -> Budget:
    """A :class:`Budget` from option values (None or empty: the default)."""
    return Budget(
        virtual_seconds=float(str(virtual))
        if virtual not in (None, "")
        else DEFAULT_VIRTUAL_SECONDS,
        wall_seconds=float(str(wall)) if wall not in (None, "") else DEFAULT_WALL_SECONDS,
    )
