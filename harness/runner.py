"""Run one scenario through one driver: compile, serve, drive, normalize, check.

This is the only place where the stages of the data flow meet:
scenario -> dialect -> script -> replay transport -> driver -> transcript -> checks.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from harness.checks import Check, CheckResult, default_checks
from harness.clock import Clock
from harness.dialects import get_dialect
from harness.drivers.base import Driver, DriverContext
from harness.drivers.classify import classify
from harness.events import ErrorEvent, Event, Transcript
from harness.findings import Finding
from harness.guard import NetworkBlocked, no_network
from harness.scenario import Scenario
from harness.script import Script
from harness.transport.core import Replay

__all__ = ["Run", "Status", "run_scenario"]

Status = Literal["pass", "fail", "n/a"]


@dataclass
class Run:
    """Everything one cell of the matrix knows: inputs, transcript, check results."""

    scenario: Scenario
    driver: str
    dialect: str
    script: Script | None = None
    transcript: Transcript | None = None
    checks: list[CheckResult] = field(default_factory=list)
    na_reason: str | None = None
    unclosed_streams: int = 0
    misses: list[str] = field(default_factory=list)
    """Requests the script did not expect: ReplayMiss messages, then connections the
    no-network guard blocked (an adapter that bypassed the replay transport)."""
    leaked_tasks: list[str] = field(default_factory=list)
    """Coroutines of asyncio tasks the adapter left pending when its call returned."""

    @property
    def status(self) -> Status:
        if self.na_reason is not None:
            return "n/a"
        return "pass" if all(c.passed for c in self.checks) else "fail"

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.checks for f in c.findings]

    def reason(self) -> str:
        """One line for a matrix cell: the n/a reason or the first finding."""
        if self.na_reason is not None:
            return self.na_reason
        found = self.findings
        return f"{found[0].code}: {found[0].message}" if found else ""


def run_scenario(
    scenario: Scenario,
    driver: Driver,
    *,
    checks: Sequence[Check] | None = None,
) -> Run:
    """Run ``scenario`` through ``driver`` on the driver's dialect and check the result."""
    dialect = get_dialect(driver.dialect)
    run = Run(scenario=scenario, driver=driver.name, dialect=dialect.name)
    reason = _not_applicable(scenario, driver, dialect.supports(scenario))
    if reason is not None:
        run.na_reason = reason
        return run
    run.script = dialect.synthesize(scenario)
    clock = Clock()
    replay = Replay(run.script, clock)
    ctx = DriverContext(scenario=scenario, replay=replay, clock=clock)
    started = time.perf_counter()
    blocked: list[str] = []
    with no_network():  # an adapter that reaches past the replay fails, naming host:port
        events = clock.run(lambda: _collect(driver, ctx, blocked, run.leaked_tasks))
    wall = time.perf_counter() - started
    run.unclosed_streams = len(replay.unclosed_streams())
    for stream in replay.unclosed_streams():
        stream.close()  # counted; now released, as closing the connection would
    run.misses = [str(miss) for miss in replay.misses] + blocked
    run.transcript = Transcript(
        scenario=scenario.id,
        driver=driver.name,
        dialect=dialect.name,
        versions=_versions(driver),
        events=events,
        requests=list(replay.log),
        virtual_seconds=round(clock.elapsed(), 6),
        wall_seconds=round(wall, 6),
    )
    for check in checks if checks is not None else default_checks():
        run.checks.append(check(run))
    return run


def _not_applicable(scenario: Scenario, driver: Driver, dialect_reason: str | None) -> str | None:
    # the dialect's reason comes first; it includes a scenario limited to other dialects
    if dialect_reason is not None:
        return dialect_reason
    return driver.supports(scenario)


async def _collect(
    driver: Driver, ctx: DriverContext, blocked: list[str], leaked: list[str]
) -> list[Event]:
    events: list[Event] = []
    try:
        async for event in driver.run(ctx):
            events.append(event)
    except Exception as exc:  # the adapter's own failure is data, not a harness crash
        events.append(_classify(driver, exc))
        blocked += _blocked_connections(exc)
    leaked += _pending_tasks()
    return events


def _pending_tasks() -> list[str]:
    """Tasks the adapter started and left running (the loop's end cancels them), by the
    name of their coroutine; not the loop's own ``aclose()`` of dropped async generators."""
    this = asyncio.current_task()
    names = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", None)
        if task is not this and name is not None:
            frame = getattr(coro, "cr_frame", None)
            module = frame.f_globals.get("__name__", "?") if frame is not None else "?"
            names.append(f"{module}.{name}")
    return sorted(names)


def _blocked_connections(exc: BaseException) -> list[str]:
    """Connections the guard refused, found in the chain of what the adapter raised (SDKs
    wrap them: "Connection error."), as misses naming host and port."""
    found: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, NetworkBlocked):
            found.append(f"{e}: the adapter opened its own connection instead of the replay's")
        todo += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]
    return found


def _classify(driver: Driver, exc: BaseException) -> ErrorEvent:
    custom = getattr(driver, "classify", None)
    if callable(custom):
        result = custom(exc)
        if isinstance(result, ErrorEvent):
            return result
    return classify(exc)


def _versions(driver: Driver) -> dict[str, str]:
    from harness import DIST_NAME

    return dict(_installed((DIST_NAME, "harness", *getattr(driver, "distributions", ()))))


@functools.cache
def _installed(dists: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Versions of the installed distributions, read once per process: reading package
    metadata takes milliseconds, as long as a whole cell of a fast adapter."""
    from importlib.metadata import PackageNotFoundError, version

    found: list[tuple[str, str]] = []
    for dist in dists:
        try:
            found.append((dist, version(dist)))
        except PackageNotFoundError:
            continue
    return tuple(found)
