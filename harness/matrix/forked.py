"""How a forked child leaves: the matrix's per-driver children (:mod:`harness.matrix.warm_worker`)
and fuzzing's workers (:mod:`harness.fuzz.workers`) end the same way."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

__all__ = ["leave"]


def leave(code: int) -> NoReturn:
    """End this forked child with ``code``: what it printed is flushed, and nothing of the
    parent runs on in it (no atexit handler, no test teardown), nor do threads an adapter
    left running keep it alive."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
