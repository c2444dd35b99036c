"""Virtual time: scripted delays, Retry-After waits and polling sleeps cost no wall time.

A :class:`Clock` is purely virtual: it starts at 0 and moves only when someone waits on it
(a sleep, a timer of the virtual loop, a scripted delay). Real time spent working (imports,
set-up, CPU between requests) never shows on it, so what the checks measure (waits between
attempts, when a timeout fired) is the same on a fast machine and a loaded one, and the
first request of a run is at the time the adapter waited for before it, not at its import
time. It reads as wall-clock values (``time()`` is the epoch when it was made plus the
virtual seconds) so code that formats dates still works. Three ways adapters reach it:

- :meth:`Clock.installed` patches ``time.sleep``, ``time.time`` and ``time.monotonic`` for the
  thread that entered it. Other threads (litellm's background loggers sleep in loops) keep
  the real functions, or they would advance virtual time behind the adapter's back.
  ``time.perf_counter`` is left real on purpose: it is what measures wall time (the runner's
  ``wall_seconds``, httpx's ``response.elapsed``), and no retry or polling code we drive
  schedules by it. A ``time.time`` captured before installation (a default argument
  evaluated at import) is real: such code must take the clock from ``ctx.clock``. Names
  bound with ``from time import sleep`` before installation are not reached; patch that
  module's own name instead.
- :func:`new_virtual_loop` is an asyncio loop whose ``time()`` is the clock: when it would
  wait for a timer and nothing is ready, it advances the clock instead. ``asyncio.sleep`` and
  everything built on ``call_later`` (anyio, which caches ``asyncio.sleep``) follow.
- :func:`run` / :meth:`Clock.run` run a coroutine on such a loop with the clock installed.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import sys
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any, TypeVar, TypeVarTuple

from harness.transport.budget import AdapterHung, current_limit, task_stack
from harness.vocab.errors import HarnessError

__all__ = ["Clock", "ClockError", "finalizer_tasks", "new_virtual_loop", "run"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

_real_sleep = time.sleep
_real_time = time.time
_real_monotonic = time.monotonic


class ClockError(HarnessError, RuntimeError):
    """A clock installed where another one already rules the thread, or misused."""


class Clock:
    """Purely virtual time: 0 at creation; only sleeping (``advance``) moves it.

    ``budget`` (virtual seconds) ends a run that keeps waiting: the wait that would pass it
    raises :class:`~harness.transport.budget.AdapterHung` (a ``BaseException``, so an adapter's
    ``except Exception`` retry loop does not swallow it), and so does every wait after it,
    so not even clean-up code can keep the run going.
    """

    def __init__(self, *, budget: float | None = None) -> None:
        self._elapsed = 0.0
        self._epoch = float(math.floor(_real_time()))  # whole seconds: HTTP dates are exact
        self._base = _real_monotonic()
        self.budget = budget
        self.hung: AdapterHung | None = None
        """Why the run was ended: the virtual budget ran out, or the wall budget (set by
        the virtual loop when it cancels the adapter's tasks)."""

    def __repr__(self) -> str:
        return f"Clock(elapsed={self._elapsed:.3f})"

    def monotonic(self) -> float:
        """What ``time.monotonic()`` returns while installed: the real value when the clock
        was made, plus the virtual seconds since."""
        return self._base + self._elapsed

    def time(self) -> float:
        """Virtual seconds since the epoch (what ``time.time()`` returns while installed)."""
        return self._epoch + self._elapsed

    def elapsed(self) -> float:
        """Virtual seconds since this clock was created."""
        return self._elapsed

    @property
    def offset(self) -> float:
        """Seconds skipped instead of waited: all of the clock's time, now that it is purely
        virtual (kept for code written when the clock was real time plus an offset)."""
        return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds``; past the budget, raise :class:`AdapterHung` instead."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back (advance by {seconds!r})")
        if self.exceeds(seconds):
            raise self.exhaust(seconds)
        self._elapsed += seconds

    def exceeds(self, seconds: float) -> bool:
        """Would waiting ``seconds`` more pass the budget?"""
        return self.budget is not None and self._elapsed + seconds > self.budget

    def exhaust(self, seconds: float | None = None) -> AdapterHung:
        """The budget ran out (a wait of ``seconds`` would pass it): the clock stops at it;
        record (once) and return the reason."""
        assert self.budget is not None
        wake_at = self._elapsed + seconds if seconds is not None else None
        self._elapsed = max(self._elapsed, self.budget)
        if self.hung is None:
            self.hung = AdapterHung(
                f"the adapter was still waiting after {self.budget:g} s of virtual time "
                "(the cell's virtual budget): an endless poll or retry loop",
                budget="virtual",
            )
            self.hung.wake_at = wake_at
        hung = AdapterHung(self.hung.message, budget="virtual")
        hung.wake_at = self.hung.wake_at
        return hung

    def sleep(self, seconds: float) -> None:
        """Advance instead of waiting; a real zero sleep still lets other threads run."""
        self.advance(max(0.0, seconds))
        _real_sleep(0)

    def installed(self) -> AbstractContextManager[Clock]:
        """Context manager: ``time.sleep/time/monotonic`` are virtual in this thread."""
        return _Installed(self)

    def run(self, factory: Callable[[], Awaitable[T]]) -> T:
        """Run ``factory()`` to completion on a fresh virtual loop; see :func:`run`."""
        return run(factory, self)


# --- installation into the time module -------------------------------------------------

_lock = threading.Lock()
_bound: dict[int, tuple[Clock, int]] = {}
"""Thread id -> (clock, nesting depth). The patches are in place while this is non-empty."""
_saved: dict[str, Any] = {}
"""What ``time`` held before the first binding. Never cleared: a background thread may be
inside a patched function just as the last binding goes away."""


def _virtual_sleep(seconds: float) -> None:
    entry = _bound.get(threading.get_ident())
    if entry is None:
        _saved["sleep"](seconds)
    else:
        entry[0].sleep(seconds)


def _virtual_time() -> float:
    entry = _bound.get(threading.get_ident())
    return _saved["time"]() if entry is None else entry[0].time()


def _virtual_monotonic() -> float:
    entry = _bound.get(threading.get_ident())
    return _saved["monotonic"]() if entry is None else entry[0].monotonic()


_PATCHES: dict[str, Callable[..., Any]] = {
    "sleep": _virtual_sleep,
    "time": _virtual_time,
    "monotonic": _virtual_monotonic,
}


class _Installed:
    """Binds a clock to the entering thread; nests for the same clock, refuses another.

    Each thread may have its own clock; the ``time`` patches go in with the first binding
    and come out with the last, restoring whatever was there before (even another patch).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __enter__(self) -> Clock:
        ident = threading.get_ident()
        with _lock:
            entry = _bound.get(ident)
            if entry is not None and entry[0] is not self._clock:
                raise ClockError(
                    f"another clock ({entry[0]!r}) is already installed in this thread; "
                    "leave it before installing a second one"
                )
            if not _bound:
                _saved.update({name: getattr(time, name) for name in _PATCHES})
                for name, fn in _PATCHES.items():
                    setattr(time, name, fn)
            _bound[ident] = (self._clock, 1 if entry is None else entry[1] + 1)
        return self._clock

    def __exit__(self, *exc: object) -> None:
        ident = threading.get_ident()
        with _lock:
            clock, depth = _bound[ident]
            if depth > 1:
                _bound[ident] = (clock, depth - 1)
                return
            del _bound[ident]
            if not _bound:
                for name in _PATCHES:
                    setattr(time, name, _saved[name])


# --- the virtual-time event loop -------------------------------------------------------


class _VirtualSelector(selectors.DefaultSelector):
    """Turns "wait ``timeout`` seconds for I/O" into "advance the clock" when nothing is ready.

    With no timeout (no timers pending) it blocks for real: a worker thread may wake the
    loop through its self-pipe. While executor jobs run it also waits for real without
    moving the clock, so a timeout guarding a thread does not fire while the thread works:
    a thread's real work costs no virtual time, like any other work.

    When a budget runs out while the loop waits (the wait would pass the virtual budget, or
    the wall budget's :class:`AdapterHung` arrives during ``select``), it cancels every task
    once, so each ends at its own ``await`` and the cancellation carries the adapter's
    stack; if the loop is back here with the budget spent, it raises.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.busy_threads = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ended = False

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        try:
            if timeout is None or timeout <= 0 or self.busy_threads:
                return super().select(timeout)
            ready = super().select(0)
            if not ready:
                if self.clock.exceeds(timeout):
                    raise self.clock.exhaust(timeout)
                self.clock.advance(timeout)
            return ready
        except AdapterHung as exc:
            if self._ended or self.loop is None:
                raise
            self._ended = True
            if self.clock.hung is None:
                self.clock.hung = exc
            tasks = asyncio.all_tasks(self.loop)
            if not self.clock.hung.stack:  # where each task waits; a cancellation may say more
                stacks = [task_stack(task) for task in tasks]
                self.clock.hung.stack = max(stacks, key=len, default=[])
            for task in tasks:
                task.cancel(msg=f"harness: {exc.message}")
            return []


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: Clock) -> None:
        self._virtual_selector = _VirtualSelector(clock)
        self._clock = clock
        super().__init__(self._virtual_selector)
        self._virtual_selector.loop = self
        self.finalizer_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        """Tasks a finalizer (``__del__``) created on this loop: see :meth:`create_task`."""
        self.arm()

    def create_task(self, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """A task, as asyncio makes it; one created inside a ``__del__`` is also kept in
        :attr:`finalizer_tasks`. Such a task (litellm's ``AsyncHTTPHandler.__del__``
        schedules ``close()`` on whatever loop runs) starts when the garbage collector
        frees an object, which depends on everything allocated before, possibly in an
        earlier run, not on the call running now."""
        task = super().create_task(coro, **kwargs)
        if _in_finalizer():
            self.finalizer_tasks.add(task)
        return task

    def arm(self) -> None:
        """Let the wall budget armed in this thread (if any) wake this loop."""
        limit = current_limit()
        if limit is not None:  # the wall budget wakes this loop from another thread

            def wake() -> None:
                if not self.is_closed():
                    self.call_soon_threadsafe(_nothing)

            limit.wakers.append(wake)

    def use(self, clock: Clock) -> None:
        """Run on ``clock`` from now on (a warm loop's next run): forget the last run's
        timers and callbacks, which a fresh loop would not have."""
        state: Any = self  # asyncio's own queues (see harness.transport._pace)
        for handle in [*state._scheduled, *state._ready]:
            handle.cancel()
        state._scheduled.clear()  # in place: readers hold these very objects
        state._ready.clear()
        self._clock = clock
        self._virtual_selector.clock = clock
        self._virtual_selector._ended = False
        self.arm()

    @property
    def open_asyncgens(self) -> bool:
        """Whether async generators begun on this loop are not finalized yet."""
        state: Any = self
        return bool(state._asyncgens)

    async def close_asyncgens(self) -> None:
        """``shutdown_asyncgens`` that leaves the loop usable: close the async generators
        the run left open (an unfinished SDK stream), as a fresh loop's end would."""
        state: Any = self
        gens = list(state._asyncgens)
        state._asyncgens.clear()
        await asyncio.gather(*(gen.aclose() for gen in gens), return_exceptions=True)

    def time(self) -> float:
        return self._clock.monotonic()

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self._virtual_selector.busy_threads += 1

        def done(_: object) -> None:
            self._virtual_selector.busy_threads -= 1

        future.add_done_callback(done)
        return future


def _nothing() -> None:
    return None


def _in_finalizer() -> bool:
    """Whether a ``__del__`` is among the few frames calling ``create_task`` (a finalizer
    makes its task itself or through a helper or two; the whole stack is not walked, since
    tasks are made in every run, under deep stacks)."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(_FINALIZER_DEPTH):
        if frame is None:
            return False
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


_FINALIZER_DEPTH = 6


def finalizer_tasks(loop: asyncio.AbstractEventLoop) -> Collection[asyncio.Task[Any]]:
    """The tasks a finalizer created on ``loop`` (none on a loop harness did not make)."""
    return getattr(loop, "finalizer_tasks", ())


def new_virtual_loop(clock: Clock) -> asyncio.AbstractEventLoop:
    """An event loop whose timers run on ``clock``: a 30 s sleep returns at once, 30 s later.

    Threads started with ``loop.run_in_executor`` (``asyncio.to_thread``, default DNS) are
    waited for in real time, the clock standing still; threads the loop does not know about
    (``anyio.to_thread``) are not, so a timer racing one of them may fire early.
    """
    return _VirtualLoop(clock)


def run(factory: Callable[[], Awaitable[T]], clock: Clock) -> T:
    """Run ``factory()`` on a fresh virtual loop with ``clock`` installed; close everything.

    Takes a factory rather than a coroutine so nothing is created outside the loop (and no
    "never awaited" warning if setup fails). Tasks still pending at the end are cancelled.
    """

    async def main() -> T:
        return await factory()

    with clock.installed(), asyncio.Runner(loop_factory=lambda: new_virtual_loop(clock)) as r:
        return r.run(main())
