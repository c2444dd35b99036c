"""Setup errors: cells harness could not run as scripted, told apart from findings.

A finding says the adapter is wrong. A setup error says harness never got to judge it: the
adapter's client did not use harness's transport, a client from an earlier cell answered,
the driver wrapper itself raised, the driver is not installed, its worker process died.
Such a cell is an ``error``: it carries one ``setup-*`` code naming the cause and the fix,
its checks are not run (their findings would blame the adapter for harness's problem), it
never counts in the adapter's verdict, and it still fails the gate (the matrix's exit
status, the baseline comparison, the pytest item), since a cell that did not run proves
nothing.

This module also makes the ``adapter-hung`` finding of a cell ended by its budget. The codes'
explanations are in the catalogue (:mod:`harness.checks.setup_entries`).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from harness.vocab.codes import Code
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run
    from harness.scenario.model import Scenario
    from harness.transport.budget import AdapterHung
    from harness.transport.core import Replay

__all__ = ["NO_READ_TIMEOUT", "hung_finding", "setup_error", "setup_finding"]

NO_READ_TIMEOUT = "the client sets a read timeout, so a server that stops sending cannot hang it"
"""What an ``adapter-hung`` finding expects when the hang is a stalled server and a client
with no read timeout (the other hangs expect the adapter back within the cell's budget)."""

CHECK = "setup"


def setup_finding(
    code: Code, message: str, *, where: str = "", actual: str | None = None
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
            Code.SETUP_STALE_CLIENT,
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
            Code.SETUP_OWN_TRANSPORT,
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
        return setup_finding(Code.SETUP_DECLARATION, str(exc), where=where)
    frames: list[traceback.FrameSummary] = []
    if exc.__traceback__ is not None:  # where, not what: no source lines read for it
        walk = traceback.walk_tb(exc.__traceback__)
        frames = list(traceback.StackSummary.extract(walk, lookup_lines=False))
    if isinstance(exc, ImportError):
        return setup_finding(
            Code.SETUP_DRIVER_ERROR,
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
            Code.SETUP_DRIVER_ERROR,
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
        code=Code.ADAPTER_HUNG,
        check="budget",
        message=hung.message,
        expected=NO_READ_TIMEOUT
        if hung.no_read_timeout
        else f"the adapter returns within the cell's {hung.budget} budget",
        actual=list(stack) if stack else None,
        where=stack[-1] if stack else scenario.where(),
    )
