"""A warm session: what many runs of one process share instead of making it per run.

:func:`harness.run.runner.run_scenario` makes a fresh event loop (with its worker thread)
per run, and most drivers a fresh SDK client: right for a matrix cell, a waste when
fuzzing runs hundreds of small scenarios in a row. ``run_scenario(..., warm=session)``
runs on the session's loop instead, and drivers that can (the OpenAI SDK's) keep their
client in ``session.kept``. Every run still gets its own replay (request log, decisions)
and its own virtual clock; what a run leaves behind (tasks, timers, open async
generators, cookies) is cleared before the next.
"""

from __future__ import annotations

from types import TracebackType

from harness.drivers.base import Kept
from harness.transport.warmloop import WarmLoop

__all__ = ["Warm"]


class Warm:
    """One warm loop and the clients drivers keep on it; :meth:`close` (or ``with``) ends
    both."""

    def __init__(self) -> None:
        self.kept = Kept()
        self.loop = WarmLoop(on_new_loop=self.kept.forget)

    def close(self) -> None:
        try:
            if self.loop.started:
                self.loop.run_until_complete(self.kept.aclose())
        finally:
            self.loop.close()

    def __enter__(self) -> Warm:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
