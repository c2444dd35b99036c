"""An exclusive lock across processes (and threads) on a file, for building a driver
environment once when several matrix runs start together (:mod:`filelock`: ``flock`` on
POSIX, ``msvcrt`` on Windows)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["locked"]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (and threads) for the life of the block; says so
    on stderr when it has to wait for another process."""
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        building = path.with_suffix("")
        print(f"harness: waiting for another process building {building}", file=sys.stderr)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
