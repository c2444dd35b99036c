"""Progress on long work: one live line on a terminal, plain periodic lines in CI, or nothing.

A first ``harness matrix`` may spend minutes building driver environments and then run
hundreds of cells; without a sign of life a person cannot tell work from a hang. Work is
counted in *groups* (a driver's cells, a fuzz run's examples), each with a done / total,
failures so far and a note for the step in progress ("installing aden-hive==1.0.12").

- On a terminal (stderr is a TTY) one line is redrawn in place by ``rich``, and disappears
  when the work ends, so the summary that follows starts on a clean screen.
- Otherwise (CI logs, a pipe) plain lines: a group's new step, a group's end, and the whole
  at most every ``every`` seconds, so a log shows progress without one line per cell.
- ``quiet`` prints nothing.

Code deep inside the work (``harness.matrix.envs`` building an environment, ``harness.fuzz.runner``
running an example) reports through the module functions :func:`advance` and :func:`note`,
which reach the :class:`Progress` entered by the command, or do nothing when there is none:
no callback threaded through every signature. Wall time here only paces the display; it
never enters a verdict.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

__all__ = ["Progress", "advance", "note", "paused"]

_current: Progress | None = None
_current_lock = threading.Lock()


def advance(group: str, *, failed: bool = False) -> None:
    """One more unit of ``group`` done (a cell, an example), ``failed`` or not."""
    progress = _current
    if progress is not None:
        progress.advance(group, failed=failed)


def note(group: str, text: str, *, counting: bool = False) -> None:
    """The step ``group`` is at now, shown until the next note ("" clears it); ``counting``:
    the note is a running count of one step ("... 31 runs so far"): plain lines show its
    start, then the count only at their pace, not on every change."""
    progress = _current
    if progress is not None:
        progress.note(group, text, counting=counting)


@contextmanager
def paused() -> Iterator[None]:
    """No live line while the body runs: its refresh thread is stopped (and joined), then
    started again. For ``os.fork`` (``harness fuzz --workers``): a child must not copy a
    thread that may hold a lock."""
    progress = _current
    live = progress._rich if progress is not None else None
    if live is None:
        yield
        return
    _stop(live)
    try:
        yield
    finally:
        live.start()


@dataclass
class _Group:
    total: int | None
    done: int = 0
    failed: int = 0
    note: str = ""
    counting: bool = False
    """Whether the note is a running count (printed in plain lines when it starts)."""

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


class Progress:
    """Counts work in groups and shows it; a context manager that makes it the current one.

    ``total`` is each named group's size (a driver's scenarios), or None when unknown.
    ``live`` forces the terminal (True) or plain (False) display; by default it follows
    whether ``file`` is a terminal. ``now`` paces the plain lines (tests pass a fake clock).
    ``per_group=False`` leaves each group's count out of the line (one group: fuzzing).
    """

    def __init__(
        self,
        title: str,
        groups: Sequence[str] = (),
        *,
        total: int | None = None,
        unit: str = "cells",
        quiet: bool = False,
        live: bool | None = None,
        file: TextIO | None = None,
        every: float = 10.0,
        now: Callable[[], float] = time.monotonic,
        per_group: bool = True,
    ) -> None:
        self.title = title
        self.per_group = per_group
        self.unit = unit
        self.quiet = quiet
        self.file = file if file is not None else sys.stderr
        self.live = live if live is not None else _is_terminal(self.file)
        self.every = every
        self._now = now
        self._lock = threading.RLock()
        self._groups: dict[str, _Group] = {g: _Group(total) for g in groups}
        self._last_plain = now()
        self._rich: RichProgress | None = None
        self._task: object = None

    # -- context: install as current, start and stop the live line -----------------------

    def __enter__(self) -> Progress:
        global _current
        with _current_lock:
            self._previous = _current
            _current = self
        if self.live and not self.quiet:
            self._start_rich()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _current
        with _current_lock:
            _current = self._previous
        if self._rich is not None:
            _stop(self._rich)
            self._rich = None

    # -- what the work reports ------------------------------------------------------------

    def advance(self, group: str, *, failed: bool = False) -> None:
        with self._lock:
            g = self._group(group)
            g.done += 1
            g.failed += failed
            just_finished = g.total is not None and g.done == g.total
            if just_finished:
                g.note = ""
            self._show(ended=group if just_finished else None)

    def note(self, group: str, text: str, *, counting: bool = False) -> None:
        with self._lock:
            g = self._group(group)
            new_step = g.note != text and not (counting and g.counting)  # not a count going on
            g.note, g.counting = text, counting
            if new_step and text and not self.live and not self.quiet:
                self._print(f"{self.title}: {group}: {text}")
            self._show()

    def line(self) -> str:
        """The one-line picture: the whole, then each group still at work."""
        with self._lock:
            groups = list(self._groups.items())
        done = sum(g.done for _, g in groups)
        failed = sum(g.failed for _, g in groups)
        totals = [g.total for _, g in groups]
        whole = f"{done}/{sum(t for t in totals if t is not None)}" if None not in totals else done
        parts = [f"{self.title} {whole} {self.unit}, {failed} failed"]
        for name, g in groups:
            if not self.per_group:  # one kind of work: the whole says it all, but the step
                parts += [g.note] if g.note else []
                continue
            if g.finished or (g.done == 0 and not g.note):
                continue
            count = f"{g.done}/{g.total}" if g.total is not None else str(g.done)
            fails = f" ({g.failed} failed)" if g.failed else ""
            parts.append(f"{name} {count}{fails}" + (f" {g.note}" if g.note else ""))
        return " · ".join(parts)

    # -- display --------------------------------------------------------------------------

    def _group(self, name: str) -> _Group:
        if name not in self._groups:
            self._groups[name] = _Group(None)
        return self._groups[name]

    def _show(self, ended: str | None = None) -> None:
        if self.quiet:
            return
        if self._rich is not None:
            width = max(20, self._rich.console.width - 28)  # the bar and the elapsed time
            text = self.line()
            text = text if len(text) <= width else text[: width - 1] + "…"
            done = sum(g.done for g in self._groups.values())
            self._rich.update(self._task, completed=done, description=text)  # type: ignore[arg-type]
            return
        if ended is not None:
            g = self._groups[ended]
            self._print(f"{self.title}: {ended} done, {g.done} {self.unit}, {g.failed} failed")
        elif self._now() - self._last_plain >= self.every:
            self._print(self.line())

    def _print(self, text: str) -> None:
        self._last_plain = self._now()
        try:
            print(text, file=self.file, flush=True)
        except (BrokenPipeError, ValueError):  # a closed log must not stop the work
            self.quiet = True

    def _start_rich(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        totals = [g.total for g in self._groups.values()]
        total = None if not totals or None in totals else sum(t for t in totals if t)
        self._rich = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=12),
            TimeElapsedColumn(),
            console=Console(file=self.file),
            transient=True,
        )
        self._task = self._rich.add_task(self.line(), total=total)
        self._rich.start()


def _stop(live: RichProgress) -> None:
    """Stop the live line, and wait for its refresh thread to end: rich's ``stop()`` only
    signals it. (rich internals: if they move, the thread may outlive this a moment, and
    ``harness fuzz --workers`` sees it and does not fork.)"""
    refresh = getattr(live.live, "_refresh_thread", None)
    live.stop()
    if isinstance(refresh, threading.Thread) and refresh is not threading.current_thread():
        refresh.join()


def _is_terminal(file: TextIO) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False
