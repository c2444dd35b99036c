"""A warm virtual loop: one event loop (and its worker thread) for many runs.

:func:`harness.transport.clock.run` makes a fresh virtual loop per run, which is right for
a matrix cell and a waste for fuzzing, whose runs are small and many. A :class:`WarmLoop`
keeps one, each run on its own :class:`~harness.transport.clock.Clock`, and clears what a
run leaves behind (tasks, timers, ready callbacks, open async generators) before the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from harness.transport.clock import Clock, ClockError, _VirtualLoop

__all__ = ["WarmLoop"]

T = TypeVar("T")


class WarmLoop:
    """One virtual loop (and its worker thread) for many runs, each on its own clock.

    What :func:`run` does with a fresh loop per run, without the cost of making one (the
    selector, the self-pipe, the default executor's thread): each :meth:`run` puts the loop
    on a new clock, runs, then cancels the tasks the run left and closes its async
    generators, as the end of a fresh loop would. A run that ends by an exception (a
    budget that ran out) takes the loop with it: the next run makes a new one, and calls
    ``on_new_loop`` first (what was kept for the old loop is stale). :meth:`close` ends it.
    """

    def __init__(self, on_new_loop: Callable[[], None] | None = None) -> None:
        self._loop: _VirtualLoop | None = None
        self._on_new_loop = on_new_loop

    @property
    def started(self) -> bool:
        """Whether a run made the loop (and it is not closed yet)."""
        return self._loop is not None and not self._loop.is_closed()

    def run(self, factory: Callable[[], Awaitable[T]], clock: Clock) -> T:
        """Run ``factory()`` to completion on the warm loop, ``clock`` installed."""
        if self._loop is None or self._loop.is_closed():
            if self._on_new_loop is not None:
                self._on_new_loop()
            self._loop = _VirtualLoop(clock)
        loop = self._loop
        loop.use(clock)

        async def main() -> T:
            return await factory()

        ended = False
        with clock.installed():
            asyncio.set_event_loop(loop)
            try:
                result = loop.run_until_complete(main())
                _cancel_all(loop)
                if loop.open_asyncgens:
                    loop.run_until_complete(loop.close_asyncgens())
                ended = True
                return result
            finally:
                asyncio.set_event_loop(None)
                if not ended:
                    self.close()

    def run_until_complete(self, awaitable: Awaitable[T]) -> T:
        """Run one more thing on the loop outside any run (closing kept clients)."""
        if self._loop is None or self._loop.is_closed():
            raise ClockError("the warm loop is closed")
        clock = Clock()
        self._loop.use(clock)
        with clock.installed():
            return self._loop.run_until_complete(awaitable)

    def close(self) -> None:
        """End the loop as ``asyncio.Runner`` ends its own (tasks, generators, executor)."""
        loop, self._loop = self._loop, None
        if loop is None or loop.is_closed():
            return
        try:
            loop.use(Clock())
            with loop._clock.installed():
                _cancel_all(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the loop's pending tasks and let them finish (as ``asyncio.Runner`` does)."""
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during a warm run's end",
                    "exception": task.exception(),
                    "task": task,
                }
            )
