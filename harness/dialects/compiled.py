"""Compile a scenario once: the scripts of the scenarios synthesized last, by identity.

Fuzzing compiles each generated scenario to learn whether its dialect can express it (and
how long its body is, for ``SplitAt`` offsets), then runs it: without this, the runner
compiled it again. Scenarios are frozen models and synthesis is deterministic, so the
script of the same object on the same dialect is the same script; the cache holds the
scenario itself beside its script, so an id is never reused while its entry lives.

A matrix's warm worker (:mod:`harness.matrix.warm_worker`) compiles its scenarios once per
dialect with :func:`precompile` before it forks a child per driver: every driver of that
dialect then serves the same scripts instead of compiling them again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from harness.dialects.base import Dialect
from harness.dialects.script import Script
from harness.scenario.model import Scenario

__all__ = ["compiled", "precompile"]

KEEP = 16
"""Entries kept: a run compiles a handful of scenarios at a time (the example, its
per-event variant); the matrix runs one scenario through several drivers in a row."""

_recent: OrderedDict[tuple[str, int], tuple[Scenario, Script]] = OrderedDict()
_kept: dict[tuple[str, int], tuple[Scenario, Script]] = {}
"""What :func:`precompile` compiled: kept for the life of the process."""


def compiled(dialect: Dialect, scenario: Scenario) -> Script:
    """``dialect.synthesize(scenario)``, reused when this very scenario object was
    compiled on this dialect lately (a ``ValueError`` is raised again, not kept)."""
    key = (dialect.name, id(scenario))
    kept = _kept.get(key)
    if kept is not None and kept[0] is scenario:
        return kept[1]
    entry = _recent.get(key)
    if entry is not None and entry[0] is scenario:
        _recent.move_to_end(key)
        return entry[1]
    script = dialect.synthesize(scenario)
    _recent[key] = (scenario, script)
    if len(_recent) > KEEP:
        _recent.popitem(last=False)
    return script


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
