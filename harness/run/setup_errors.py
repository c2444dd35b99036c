"""Setup errors: cells harness could not run as scripted, told apart from findings.

A finding says the adapter is wrong. A setup error says harness never got to judge it: the
adapter's client did not use harness's transport, a client from an earlier cell answered,
the driver wrapper itself raised, the driver is not installed, its worker process died.
Such a cell is an ``error``: it carries one ``setup-*`` code naming the cause and the fix,
its checks are not run (their findings would blame the adapter for harness's problem), it
never counts in the adapter's verdict, and it still fails the gate (the matrix's exit
status, the baseline comparison, the pytest item), since a cell that did not run proves
nothing.

This module also makes the ``adapter-hung`` finding of a cell ended by its budget.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from harness.vocab.findings import Finding, Severity

if TYPE_CHECKING:
    from harness.run.budget import AdapterHung
    from harness.run.runner import Run
    from harness.scenario.model import Scenario
    from harness.transport.core import Replay

__all__ = ["CATALOGUE_ENTRIES", "hung_finding", "setup_error", "setup_finding"]

CHECK = "setup"

CATALOGUE_ENTRIES: list[tuple[str, Severity, str, str, str, str]] = [
    # (code, severity, check, title, why, fix); added to harness.checks.catalogue
    (
        "setup-own-transport",
        "error",
        CHECK,
        "The adapter's HTTP client did not use harness's transport (the network guard "
        "stopped it before the first scripted exchange).",
        "Replay works by serving the adapter's HTTP client from a script. A client that passes "
        "its own transport (socket options, a proxy, a custom HTTPTransport), or that was built "
        "before the test (at import, or cached), opens a real connection instead, which the "
        "network guard blocks. Nothing the adapter did was judged: this is not a finding.",
        "Build the client inside the adapter function with harness's transport: "
        "`http_client=httpx.AsyncClient(transport=ctx.transport())` (or `ctx.transport('httpx2')`"
        "); if it must keep its own transport, wrap it so the driver can pass "
        "`ctx.transport()` in tests. Do not build clients at import time.",
    ),
    (
        "setup-stale-client",
        "error",
        CHECK,
        "A client built before this cell (cached from an earlier one) sent the requests.",
        "A module-level or lru_cache'd client keeps the transport of the cell it was built in, "
        "so its requests reach that cell's replay, which is over; this cell's script is never "
        "served and nothing about the adapter can be concluded.",
        "Build the client per call inside the adapter function, or clear the cache between "
        "tests (`get_client.cache_clear()`), or pass `http_client=` built from `ctx.transport()`.",
    ),
    (
        "setup-driver-error",
        "error",
        CHECK,
        "The driver wrapper itself raised: harness's code around the adapter failed.",
        "The exception started in the driver (harness's or your @conformance function's "
        "normalization), not in the adapter: an import that failed, an attribute the wrapper "
        "expected on the adapter's output. It says nothing about the adapter.",
        "Read the traceback in the cell's reason; fix the driver (or report it as a harness "
        "bug for a built-in driver); install the adapter's extra if an import failed.",
    ),
    (
        "setup-declaration",
        "error",
        CHECK,
        "The @conformance declaration does not fit what the adapter produces.",
        "Without a normalizer the adapter function must yield harness events; it yielded "
        "something else, so nothing could be checked.",
        "Pass normalize='openai-chat', a Normalizer class or a function item -> events to "
        "@conformance, or yield harness.vocab.events objects.",
    ),
    (
        "setup-not-installed",
        "error",
        CHECK,
        "The driver's adapter is not installed in the environment that runs it.",
        "The adapter could not be imported, so the cell could not run.",
        "Install the driver's extra (`pip install 'llm-adapter-harness[EXTRA]'`, named in "
        "the reason), "
        "or leave the driver out with --driver.",
    ),
    (
        "setup-environment",
        "error",
        CHECK,
        "The driver's own environment could not be built or found.",
        "Drivers with pinned dependencies run in an environment of their own (HARNESS_ENVS_DIR);"
        " building it failed, so no cell of the driver could run.",
        "Read the reason (the failing step), fix it, and run again; `make envs` rebuilds.",
    ),
    (
        "setup-worker-crashed",
        "error",
        CHECK,
        "The worker process running the cell died before reporting it.",
        "A crash of the interpreter (a segfault in an extension, os._exit, an out-of-memory "
        "kill) ends the process; only the cell it was running is lost, the matrix goes on.",
        "Run the cell alone (`harness run SCENARIO --driver NAME`) to see the crash; the "
        "reason quotes the worker's last stderr line.",
    ),
    (
        "setup-harness-error",
        "error",
        CHECK,
        "harness itself failed while running the cell (a bug in harness).",
        "An exception escaped harness's own code, outside the adapter and the driver.",
        "Report it with the traceback from the cell's reason.",
    ),
    (
        "adapter-hung",
        "error",
        "budget",
        "The adapter did not finish within the cell's budget of virtual or wall time.",
        "A call that never returns hangs its caller: an endless poll or retry loop keeps "
        "waiting (virtual budget, default 3600 s), a busy loop or a wait on something that "
        "never happens never returns (wall budget, default 60 s). The stack shows where the "
        "adapter was when it was ended.",
        "Bound every loop: cap attempts and total time, give every wait a timeout, and raise "
        "when the budget is spent. If the adapter legitimately waits longer, raise the budget "
        "(--virtual-budget / --wall-budget, harness_virtual_budget / harness_wall_budget).",
    ),
]


def setup_finding(
    code: str, message: str, *, where: str = "", actual: str | None = None
) -> Finding:
    """A setup error as a :class:`Finding` (so reports render it), checked as ``setup``."""
    return Finding(code=code, check=CHECK, message=message, where=where, actual=actual)


def setup_error(
    run: Run, replay: Replay, raised: BaseException | None, blocked: list[str]
) -> Finding | None:
    """Why ``run`` could not be run as scripted, or None when it was."""
    where = run.scenario.where()
    if replay.stale:
        return setup_finding(
            "setup-stale-client",
            "this client was built before the test (an earlier cell's client is cached): "
            f"{replay.stale[0]}. Fix: build it inside the adapter function, or clear the "
            "cache, or pass http_client= built from ctx.transport()",
            where=where,
            actual=replay.stale[0],
        )
    served = any(r.exchange is not None for r in replay.log)
    if blocked and not served:
        if replay.foreign_transports:
            cause = (
                f"this client passes its own transport ({replay.foreign_transports[0]}): "
                "build it with http_client=httpx.AsyncClient(transport=ctx.transport()) "
                "(or let the driver pass ctx.transport())"
            )
        else:
            cause = (
                "this client was built before the test (at import or cached) or uses an HTTP "
                "library harness does not serve: build it inside the adapter function, with "
                "http_client=httpx.AsyncClient(transport=ctx.transport())"
            )
        return setup_finding(
            "setup-own-transport",
            f"{cause}; the network guard stopped it: {blocked[0]}",
            where=where,
            actual=blocked[0],
        )
    if raised is not None:
        return _wrapper_error(raised, where)
    return None


_CONFORMANCE = "/harness/plugin/declare.py"
_WRAPPER_TYPES = (AttributeError, TypeError, KeyError, IndexError, NameError, NotImplementedError)


def _wrapper_error(exc: BaseException, where: str) -> Finding | None:
    """The driver wrapper raised (not the adapter): the innermost frame is in the driver."""
    name = type(exc).__name__
    if name == "AdapterOutputError":
        return setup_finding("setup-declaration", str(exc), where=where)
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if isinstance(exc, ImportError):
        return setup_finding(
            "setup-driver-error",
            f"the driver could not import the adapter: {name}: {exc}",
            where=where,
            actual=_frames(frames),
        )
    if not frames:
        return None
    paths = [f.filename.replace("\\", "/") for f in frames]
    normalizing = any(  # a declared normalizer is the wrapper's, whatever it raises
        p.endswith(_CONFORMANCE) and f.name in ("feed", "close")
        for p, f in zip(paths, frames, strict=True)
    )
    inner = paths[-1]
    driver_code = "/harness/drivers/" in inner or inner.endswith(_CONFORMANCE)
    if normalizing or (driver_code and isinstance(exc, _WRAPPER_TYPES)):
        return setup_finding(
            "setup-driver-error",
            f"the driver wrapper raised {name}: {exc} (at {frames[-1].filename}:"
            f"{frames[-1].lineno}); the adapter was not judged",
            where=where,
            actual=_frames(frames),
        )
    return None


def _frames(frames: list[traceback.FrameSummary]) -> str:
    return "\n".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-8:])


def hung_finding(hung: AdapterHung, scenario: Scenario) -> Finding:
    """``adapter-hung``: the budget that ran out, and the stack where the adapter was."""
    stack = hung.stack
    return Finding(
        code="adapter-hung",
        check="budget",
        message=hung.message,
        expected=f"the adapter returns within the cell's {hung.budget} budget",
        actual=list(stack) if stack else None,
        where=stack[-1] if stack else scenario.where(),
    )
