"""Run one scenario through one driver: compile, serve, drive, normalize, check.

This is the only place where the stages of the data flow meet:
scenario -> dialect -> script -> replay transport -> driver -> transcript -> checks.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from harness.checks import Check, CheckResult, default_checks
from harness.checks.rootcause import settle
from harness.checks.subject import Run, Status
from harness.checks.wire import overlong_wait
from harness.dialects import get_dialect
from harness.dialects.compiled import compiled
from harness.drivers.base import Driver, DriverContext, scenario_for
from harness.drivers.classify import classify
from harness.drivers.contract import contract_of
from harness.run.setup_errors import hung_finding, setup_error
from harness.run.warm import Warm
from harness.scenario.model import Scenario
from harness.transport.blocked import chained, explain_error
from harness.transport.budget import AdapterHung, Budget, stack_of, wall_limit
from harness.transport.clock import Clock, finalizer_tasks
from harness.transport.clock import run as run_on_fresh_loop
from harness.transport.core import EndlessStall, Replay
from harness.transport.guard import NetworkBlocked, no_network
from harness.transport.hosts import base_url_for
from harness.transport.seams import restorer
from harness.vocab.events import ErrorEvent, Event, Transcript

__all__ = ["Run", "Status", "run_scenario"]


def run_scenario(
    scenario: Scenario,
    driver: Driver,
    *,
    checks: Sequence[Check] | None = None,
    budget: Budget | None = None,
    warm: Warm | None = None,
) -> Run:
    """Run ``scenario`` through ``driver`` on the driver's dialect and check the result.

    ``budget`` (default :class:`~harness.transport.budget.Budget`) bounds the adapter's virtual and
    wall time: past either, the run ends with the single finding ``adapter-hung``.
    ``warm`` runs on that session's loop and lets the driver keep its client there
    (:mod:`harness.run.warm`); the replay and the clock are this run's either way.
    """
    budget = budget if budget is not None else Budget()
    scenario = scenario_for(driver, scenario)  # the call as the adapter makes it
    dialect = get_dialect(driver.dialect)
    run = Run(scenario=scenario, driver=driver.name, dialect=dialect.name)
    run.contract = contract_of(driver)
    reason = _not_applicable(scenario, driver, dialect.supports(scenario))
    if reason is not None:
        run.na_reason = reason
        return run
    run.script = compiled(dialect, scenario)  # fuzzing compiled it already
    clock = Clock(budget=budget.virtual_seconds)
    replay = Replay(run.script, clock, repeat_last=run.contract.repeats(scenario))
    replay.run_name = f"the cell {scenario.id} x {driver.name}"
    base_url = base_url_for(dialect.name, getattr(driver, "base_url", None))
    ctx = DriverContext(
        scenario=scenario,
        replay=replay,
        clock=clock,
        base_url=base_url,
        kept=warm.kept if warm is not None else None,
    )
    run_on = warm.loop.run if warm is not None else run_on_fresh_loop
    started = time.perf_counter()
    blocked: list[str] = []
    events: list[Event] = []
    times: list[float] = []  # when each event came, for timelines
    outcome = _Outcome()
    restore = restorer()  # what serving patched, if the adapter never let it exit
    try:
        # an adapter that reaches past the replay fails, naming host:port
        with replay.active(), no_network(), wall_limit(budget.wall_seconds) as limit:
            try:
                left = run.leaked_tasks
                run_on(lambda: _collect(driver, ctx, events, times, blocked, left, outcome), clock)
            finally:
                if limit is not None and limit.hung is not None and outcome.hung is None:
                    outcome.hung = limit.hung
    except AdapterHung as exc:  # ended outside the adapter's frames (a loop's clean-up)
        outcome.hung = outcome.hung or clock.hung or exc
    finally:
        restore()
    wall = time.perf_counter() - started
    responses = replay.responses()  # before the leaked streams are closed below
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
        event_times=times,
        requests=list(replay.log),
        responses=responses,
        virtual_seconds=round(clock.elapsed(), 6),
        wall_seconds=round(wall, 6),
    )
    run.setup = setup_error(run, replay, outcome.raised, blocked)
    if run.setup is not None:
        return run  # findings of a cell harness could not run would blame the adapter
    if outcome.hung is not None:
        run.hung = outcome.hung
        # one sleep past the scenario's max_wait is the wait's finding, not a hang
        found = overlong_wait(run, outcome.hung.wake_at) or hung_finding(outcome.hung, scenario)
        run.checks.append(CheckResult(found.check, [found]))
        return run  # what follows from being ended (no finish, unread streams) is not news
    for check in checks if checks is not None else default_checks():
        run.checks.append(check(run))
    run.checks = settle(run, run.checks)  # one root cause per cell, duplicates counted
    return run


@dataclass
class _Outcome:
    """How the adapter's call ended, beyond the events it yielded."""

    raised: BaseException | None = None
    hung: AdapterHung | None = None


def _not_applicable(scenario: Scenario, driver: Driver, dialect_reason: str | None) -> str | None:
    # the dialect's reason comes first; it includes a scenario limited to other dialects
    if dialect_reason is not None:
        return dialect_reason
    return driver.supports(scenario) or contract_of(driver).not_supported(scenario)


async def _collect(
    driver: Driver,
    ctx: DriverContext,
    events: list[Event],
    times: list[float],
    blocked: list[str],
    leaked: list[str],
    outcome: _Outcome,
) -> None:
    try:
        async for event in driver.run(ctx):
            events.append(event)
            at = round(ctx.clock.elapsed(), 6)
            times.append(times[-1] if times and times[-1] == at else at)  # one float object
    except AdapterHung as exc:  # raised where the adapter was: its traceback is the stack
        outcome.hung = _with_stack(ctx.clock.hung or exc, exc)
    except asyncio.CancelledError as exc:
        if ctx.clock.hung is None:
            raise
        outcome.hung = _with_stack(ctx.clock.hung, exc)  # the budget cancelled it
    except Exception as exc:  # the adapter's own failure is data, not a harness crash
        stall = next((e for e in chained(exc) if isinstance(e, EndlessStall)), None)
        if stall is not None:  # a real client would still be waiting: a hang, not an error
            outcome.hung = _endless(stall, exc)
            return
        outcome.raised = exc
        events.append(_classify(driver, exc))
        times.append(round(ctx.clock.elapsed(), 6))
        blocked += _blocked_connections(exc)
    leaked += _pending_tasks()


def _endless(stall: EndlessStall, caught: BaseException) -> AdapterHung:
    """The hang an endless stall means: the server stopped sending and the adapter set no
    read timeout, so a real call would never return (replay ends it at once instead)."""
    stack = stack_of(caught)
    while len(stack) > 1 and "/harness/transport/" in stack[-1].replace("\\", "/"):
        stack.pop()  # where the replay raised it: the adapter's read is the frame before
    hung = AdapterHung(f"the adapter would wait forever: {stall}", budget="virtual", stack=stack)
    hung.no_read_timeout = True
    return hung


def _with_stack(hung: AdapterHung, caught: BaseException) -> AdapterHung:
    """``hung`` with the stack ``caught`` travelled through: from the driver inwards to where
    the adapter was (the one taken where the budget ran out may be the loop's)."""
    stack = stack_of(caught)
    if stack:
        hung.stack = stack
    return hung


def _pending_tasks() -> list[str]:
    """Tasks the adapter started and left running (the loop's end cancels them), by the
    name of their coroutine; not the loop's own ``aclose()`` of dropped async generators,
    nor a task a finalizer created: when the collector runs a ``__del__`` depends on what
    was allocated before (an object of an earlier cell may be freed during this one), so
    such a task would make the verdict depend on the collector's timing."""
    this = asyncio.current_task()
    by_finalizers = finalizer_tasks(asyncio.get_running_loop())
    names = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", None)
        if task is not this and name is not None and task not in by_finalizers:
            frame = getattr(coro, "cr_frame", None)
            module = frame.f_globals.get("__name__", "?") if frame is not None else "?"
            names.append(f"{module}.{name}")
    return sorted(names)


OWN = "the adapter opened its own connection instead of the replay's"


def _blocked_connections(exc: BaseException) -> list[str]:
    """Connections the guard refused, found in the chain of what the adapter raised (SDKs
    wrap them: "Connection error."), as misses naming host and port."""
    found: list[str] = []
    for e in chained(exc):
        if isinstance(e, NetworkBlocked):
            why = e.why or explain_error(exc)
            found.append(f"{e}: {why}" if why and not e.why else str(e) if why else f"{e}: {OWN}")
    return found


def _classify(driver: Driver, exc: BaseException) -> ErrorEvent:
    custom = getattr(driver, "classify", None)
    if callable(custom):
        result = custom(exc)
        if isinstance(result, ErrorEvent):
            return contract_of(driver).classify(exc, result, keep_kind=True)
    return contract_of(driver).classify(exc, classify(exc))


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
