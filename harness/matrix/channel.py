"""A worker's channel, as the matrix reads it: JSON lines (``start``, ``cell``, and from a warm
worker's child ``pid`` and ``exit``), with patience for start-up and for each cell; a worker
silent for longer than that is killed (:mod:`harness.matrix.run`)."""

from __future__ import annotations

import json
import os
import selectors
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.run.cell import Cell

__all__ = ["STARTUP_SECONDS", "Heard", "follow", "messages"]

STARTUP_SECONDS = 300.0
"""How long a worker may take to start (import the driver, load the scenarios) or to go from
one cell to the next before it is presumed stuck."""


@dataclass
class Heard:
    """What a worker's channel said: the cell it was in, its pid and exit status (warm)."""

    current: dict[str, Any] | None = None
    pid: int | None = None
    exit: int | None = None
    killed: bool = False


def follow(
    channel: Any,
    emit: Callable[[Cell], None],
    in_cell: float,
    kill: Callable[[Heard], None],
    heard: Heard | None = None,
) -> Heard:
    """Read a worker's messages until it ends; silent for longer than a cell (or a start-up)
    may take: ``kill`` it."""
    heard = heard or Heard()
    waited = heard.killed

    def patience() -> float:
        return in_cell if heard.current and not waited else STARTUP_SECONDS

    for message in messages(channel, patience):
        if message is None:
            if not waited:
                kill(heard)
                heard.killed = True
            break
        if "start" in message:
            heard.current = message
        elif "cell" in message:
            heard.current = None
            emit(Cell.model_validate(message["cell"]))
        elif "pid" in message:
            heard.pid = int(message["pid"])
        elif "exit" in message:
            heard.exit = int(message["exit"])
            break
    return heard


def messages(channel: Any, timeout: Callable[[], float]) -> Iterator[dict[str, Any] | None]:
    """JSON objects from the worker's pipe, one per line; None when nothing came within
    ``timeout()`` seconds. Lines that are not JSON objects are skipped."""
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            if not selector.select(timeout()):
                yield None
                return
            try:
                chunk = os.read(channel.fileno(), 65536)
            except OSError:  # a connection reset: the warm worker is gone
                return
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    yield message
    finally:
        selector.close()
