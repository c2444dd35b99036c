"""When a replay must give the event loop a turn, and when it may keep going.

A real read yields to the loop (anyio checkpoints even when data is buffered), so other
tasks run and timeouts fire between reads. A replay doing the same for every chunk pays a
turn of the loop per chunk, which tripled its cost. But a turn changes nothing when no
callback is ready and no timer is due: the loop would come straight back to the reader,
having let nothing run and delivered no cancellation. These helpers tell the two apart on
asyncio's own loops, whose ready queue and timer heap are ``_ready`` and ``_scheduled``;
on any other loop (uvloop, trio) every checkpoint is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sized
from typing import Any

__all__ = ["idle", "loop_state"]

_BUSY: Sized = (None,)
"""The ready queue of a loop we cannot see into: never empty, so never idle."""


def loop_state() -> tuple[Any, Sized, list[Any]]:
    """The running loop, its ready queue and its timer heap (live objects: read them again
    for the current state)."""
    try:
        loop: Any = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio
        return None, _BUSY, []
    ready, timers = getattr(loop, "_ready", None), getattr(loop, "_scheduled", None)
    if ready is None or not isinstance(timers, list):
        return loop, _BUSY, []
    return loop, ready, timers


def idle(loop: Any, ready: Sized, timers: list[Any]) -> bool:
    """No callback ready and no timer due: a checkpoint now could change nothing."""
    return not ready and not (timers and timers[0].when() <= loop.time())
