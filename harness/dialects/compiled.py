"""Compile a scenario once: the scripts of the scenarios synthesized last, by identity.

Fuzzing compiles each generated scenario to learn whether its dialect can express it (and
how long its body is, for ``SplitAt`` offsets), then runs it: without this, the runner
compiled it again. Scenarios are frozen models and synthesis is deterministic, so the
script of the same object on the same dialect is the same script; the cache holds the
scenario itself beside its script, so an id is never reused while its entry lives.

A matrix's warm worker (:mod:`harness.matrix.warm_worker`) compiles its scenarios once per
dialect with :func:`precompile` before it forks a child per driver: every driver of that
dialect then serves the same scripts instead of compiling them again.

A scenario that differs from one compiled already only in its replies' chunking is not
synthesized again: :func:`recut` cuts the same events at the new offsets (every dialect
cuts its encoded events with :func:`~harness.dialects.chunking.chunk_events`, last).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from harness.dialects.base import Dialect
from harness.dialects.chunking import chunk_events
from harness.dialects.recent import Recent
from harness.dialects.script import Script
from harness.scenario.model import ReplyWrapper, Scenario

__all__ = ["compiled", "precompile", "recut"]

KEEP = 16
"""Entries kept: a run compiles a handful of scenarios at a time (the example, its
per-event variant); the matrix runs one scenario through several drivers in a row."""

_recent: Recent[Script] = Recent(KEEP)
_kept: dict[tuple[str, int], tuple[Scenario, Script]] = {}
"""What :func:`precompile` compiled: kept for the life of the process."""


def compiled(dialect: Dialect, scenario: Scenario) -> Script:
    """``dialect.synthesize(scenario)``, reused when this very scenario object was
    compiled on this dialect lately (a ``ValueError`` is raised again, not kept)."""
    kept = _kept.get((dialect.name, id(scenario)))
    if kept is not None and kept[0] is scenario:
        return kept[1]
    return _recent.compute(dialect.name, scenario, lambda: dialect.synthesize(scenario))


def recut(dialect: Dialect, scenario: Scenario, per_event: Script) -> Script:
    """The script of ``scenario``, made from ``per_event``: the script of the same scenario
    with every reply cut per event (its chunks are the encoded events, each with its
    delay), each reply's chunks cut again as ``scenario`` says; kept as :func:`compiled`
    keeps a synthesized one. What the reply exchanges are is read from the attempts (one
    exchange each, in order); a script that is not so is synthesized instead."""
    attempts = scenario.attempts
    if len(attempts) != len(per_event.exchanges):
        return compiled(dialect, scenario)
    exchanges = []
    for attempt, exchange in zip(attempts, per_event.exchanges, strict=True):
        if isinstance(attempt, ReplyWrapper) and exchange.chunks:
            chunking = attempt.reply.wire.chunking
            events = [chunk.data for chunk in exchange.chunks]
            delays = [chunk.delay for chunk in exchange.chunks]
            exchange = replace(exchange, chunks=chunk_events(events, chunking, event_delay=delays))
        exchanges.append(exchange)
    return _recent.put(dialect.name, scenario, replace(per_event, exchanges=tuple(exchanges)))


def precompile(dialect: Dialect, scenarios: Iterable[Scenario]) -> None:
    """Compile every scenario ``dialect`` supports and keep the scripts (with their
    scenarios) for :func:`compiled`. One that fails to compile is left out: its run
    compiles it again and fails as it would have."""
    for scenario in scenarios:
        key = (dialect.name, id(scenario))
        if key in _kept:
            continue
        try:
            if dialect.supports(scenario) is None:
                _kept[key] = (scenario, dialect.synthesize(scenario))
        except Exception:  # the run reports it, with its cell
            continue
