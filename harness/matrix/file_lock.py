"""An exclusive lock across processes (and threads) on a file, for building a driver
environment once when several matrix runs start together (``flock``; ``msvcrt`` on
Windows)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["locked"]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (and threads) for the life of the block."""
    with open(path, "a+b") as handle:
        _acquire(handle, path)
        try:
            yield
        finally:
            _release(handle)


def _acquire(handle: IO[bytes], path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        while True:
            handle.seek(0)
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        building = path.with_suffix("")
        print(f"harness: waiting for another process building {building}", file=sys.stderr)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _release(handle: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
