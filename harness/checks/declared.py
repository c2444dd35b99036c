"""Checks of what the adapter declared about its own errors (:mod:`harness.drivers.contract`).

An adapter that declares an error taxonomy promises its callers they can catch every
failure by those types: an exception of another type reaching the caller is
``error-type-undeclared``; a rate limit that surfaces as anything but the declared
throttling type(s) is ``throttling-type-mismatch`` (the framework's retry loop, which
catches only that type, would never see it). Both break the adapter's own contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.checks import named
from harness.vocab.codes import Code
from harness.vocab.events import ErrorEvent
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["DECLARED_ERRORS"]


@named("contract:errors")
def DECLARED_ERRORS(run: Run) -> list[Finding]:
    """The terminal error's type is one the contract declares; throttling is its type."""
    assert run.transcript is not None
    taxonomy = run.contract.errors
    if not taxonomy.declared:
        return []
    terminals = run.transcript.terminals()
    last = terminals[-1] if terminals else None
    if not isinstance(last, ErrorEvent) or last.leaked:
        return []  # a leaked transport error is invariant 8's finding already
    got = last.declared_type or (
        last.type if last.type in taxonomy.types or last.type in taxonomy.throttling else None
    )
    where = run.scenario.where()
    throttled = last.error == "rate_limit" or last.status == 429
    if throttled and taxonomy.throttling and got not in taxonomy.throttling:
        return [
            Finding(
                code=Code.THROTTLING_TYPE_MISMATCH,
                check="contract:errors",
                message=f"a rate limit reached the caller as {last.type}; the adapter "
                f"declares that throttling surfaces as {' or '.join(taxonomy.throttling)}",
                expected=list(taxonomy.throttling),
                actual={"type": last.type, "status": last.status, "message": last.message[:160]},
                where=where,
                breaks="contract",
            )
        ]
    if got is None:
        return [
            Finding(
                code=Code.ERROR_TYPE_UNDECLARED,
                check="contract:errors",
                message=f"{last.type} reached the caller; it is none of the error types the "
                "adapter declares, so a caller catching those misses it",
                expected=sorted({*taxonomy.types, *taxonomy.throttling}),
                actual={"type": last.type, "kind": last.error, "message": last.message[:160]},
                where=where,
                breaks="contract",
            )
        ]
    return []
