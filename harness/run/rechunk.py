"""Invariant 5: re-chunking the same wire bytes changes nothing.

TCP hands a client a byte stream; where one read ends is an accident of the network (and of
every proxy on the way). So the same bytes, cut anywhere, must give the same text,
reasoning, tool calls, finish, usage and error. Unlike the other invariants this one cannot
look at one finished run: it re-runs the driver on the same scenario with the body re-split
(per event, every byte, every 7 bytes, inside multi-byte characters) and compares the
normalized transcripts. A difference is a ``rechunk-changed-output`` finding naming the
chunking and the fewest split points that still reproduce it.

The seam: :func:`rechunk_check` takes a finished :class:`~harness.run.runner.Run` and the driver
that produced it; ``harness run --rechunk``, ``harness matrix --rechunk`` and the fuzzer
append its result to the run's checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import JsonValue

from harness.checks import CheckResult
from harness.dialects.script import Script
from harness.scenario.model import Attempt, Chunking, EveryN, ReplyWrapper, Scenario, SplitAt
from harness.vocab.codes import Code
from harness.vocab.events import ErrorEvent, FinishEvent, Transcript
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run
    from harness.drivers.base import Driver

__all__ = [
    "CHECK",
    "DEFAULT_CHUNKINGS",
    "compare",
    "describe",
    "differences",
    "minimal_splits",
    "normalize",
    "rechunk_check",
    "rechunk_findings",
    "split_points",
    "with_chunking",
]

CHECK = "invariant:rechunk"
DEFAULT_CHUNKINGS: tuple[Chunking, ...] = (
    "per_event",
    EveryN(every=1),
    EveryN(every=7),
    "mid_utf8",
)
"""The re-splits every scenario gets: event boundaries, every byte (the worst case for a
line buffer), an odd stride that lands inside words and JSON tokens, and UTF-8 sequences."""
MAX_MINIMIZE_RUNS = 48
"""At most this many extra runs to shrink the split points of one difference."""

Normalized = dict[str, JsonValue]


def normalize(transcript: Transcript) -> Normalized:
    """What re-chunking must not change: text, reasoning, refusal, tool calls, finish, usage, error
    kind. Error messages and timings are left out: they may quote offsets or wall time."""
    terminals = transcript.terminals()
    last = terminals[-1] if terminals else None
    return {
        "text": transcript.text(),
        "reasoning": transcript.reasoning(),
        "refusal": transcript.refusal(),
        "tool_calls": [
            call.model_dump(mode="json", exclude={"kind"}) for call in transcript.tool_calls()
        ],
        "finish": last.reason if isinstance(last, FinishEvent) else None,
        "usage": [u.model_dump(mode="json", exclude={"kind"}) for u in transcript.usages()],
        "error": last.error if isinstance(last, ErrorEvent) else None,
    }


def differences(reference: Normalized, other: Normalized) -> list[str]:
    """The fields (in :func:`normalize`'s order) whose values differ."""
    return [key for key in reference if reference[key] != other.get(key)]


def with_chunking(scenario: Scenario, chunking: Chunking) -> Scenario:
    """The same scenario with every reply's body cut by ``chunking`` (bytes unchanged)."""
    attempts: list[Attempt] = []
    for attempt in scenario.attempts:
        if isinstance(attempt, ReplyWrapper):
            wire = attempt.reply.wire.model_copy(update={"chunking": chunking})
            attempt = ReplyWrapper(reply=attempt.reply.model_copy(update={"wire": wire}))
        attempts.append(attempt)
    return scenario.model_copy(update={"attempts": attempts})  # keeps file:line


def split_points(script: Script) -> list[list[int]]:
    """For each exchange, the byte offsets where a new chunk starts (0 left out)."""
    out = []
    for exchange in script.exchanges:
        at, points = 0, []
        for chunk in exchange.chunks[:-1]:
            at += len(chunk.data)
            points.append(at)
        out.append(points)
    return out


def describe(chunking: Chunking) -> str:
    """``per event``, ``every 7 bytes``, ``at offsets [412]``... for messages."""
    if isinstance(chunking, EveryN):
        return f"every {chunking.every} byte{'s' if chunking.every != 1 else ''}"
    if isinstance(chunking, SplitAt):
        return f"at offsets {chunking.at}"
    return {"per_event": "per event", "whole": "in one chunk", "mid_utf8": "mid-UTF-8"}[chunking]


def _chunking_of(scenario: Scenario) -> Chunking:
    replies = scenario.replies()
    return replies[-1].wire.chunking if replies else "per_event"


def _short(points: list[list[int]], limit: int = 12) -> str:
    parts = []
    for i, offsets in enumerate(points):
        if offsets:
            shown = ", ".join(map(str, offsets[:limit]))
            more = f", ... {len(offsets) - limit} more" if len(offsets) > limit else ""
            parts.append(f"exchange {i + 1} at [{shown}{more}]")
    return "; ".join(parts) or "no split points"


def minimal_splits(
    offsets: Iterable[int], still_fails: Callable[[list[int]], bool], *, budget: int
) -> list[int]:
    """A small subset of ``offsets`` for which ``still_fails`` holds (``offsets`` itself
    must): try no cuts at all, then remove runs of cuts, halving the run length each pass,
    the way Hypothesis deletes list elements. Needs about 2·k·log2(n) calls to keep k of n
    cuts; never more than ``budget``."""
    current = sorted(set(offsets))
    calls = 0

    def fails(candidate: list[int]) -> bool:
        nonlocal calls
        calls += 1
        return still_fails(candidate)

    if current and fails([]):
        return []
    size = len(current) // 2
    while size >= 1 and calls < budget:
        at = 0
        while at < len(current) and calls < budget:
            candidate = current[:at] + current[at + size :]
            if fails(candidate):
                current = candidate
            else:
                at += size
        size //= 2
    return current


def rechunk_findings(
    run: Run,
    driver: Driver,
    *,
    chunkings: Sequence[Chunking] = DEFAULT_CHUNKINGS,
    minimize: bool = True,
) -> list[Finding]:
    """Re-run ``run``'s scenario under each of ``chunkings`` and report every one whose
    normalized transcript differs from ``run``'s (chunkings that cut the bodies exactly
    where an earlier one did are skipped)."""
    from harness.dialects import get_dialect
    from harness.run.runner import run_scenario

    if run.transcript is None or run.script is None:
        return []
    dialect = get_dialect(run.dialect)
    reference = normalize(run.transcript)
    served = {r.exchange for r in run.transcript.requests if r.exchange is not None}

    def key(points: list[list[int]]) -> list[list[int] | None]:
        """Cuts in exchanges the adapter never requested cannot change anything."""
        return [p if i in served else None for i, p in enumerate(points)]

    seen = [key(split_points(run.script))]
    found: list[Finding] = []
    for chunking in chunkings:
        variant = with_chunking(run.scenario, chunking)
        try:
            points = split_points(dialect.synthesize(variant))
        except ValueError:
            continue  # e.g. SplitAt offsets past a shorter body: nothing to compare
        if key(points) in seen:
            continue
        seen.append(key(points))
        other = run_scenario(variant, driver, checks=[])
        finding = compare(run, other)
        if finding is None:
            continue
        if minimize:
            points = _minimize(run.scenario, driver, reference, points)
            finding = compare(run, other, points=points)
        if finding is not None:
            found.append(finding)
    return found


def _minimize(
    scenario: Scenario, driver: Driver, reference: Normalized, points: list[list[int]]
) -> list[list[int]]:
    """Shrink the split points of the one chunked exchange to the fewest that still change
    the output (scripts with several chunked exchanges are reported as they are)."""
    from harness.run.runner import run_scenario

    chunked = [i for i, offsets in enumerate(points) if offsets]
    if len(chunked) != 1 or len(scenario.replies()) != 1:
        return points

    def still_fails(offsets: list[int]) -> bool:
        try:
            other = run_scenario(with_chunking(scenario, SplitAt(at=offsets)), driver, checks=[])
        except ValueError:
            return False
        return other.transcript is not None and bool(
            differences(reference, normalize(other.transcript))
        )

    best = minimal_splits(points[chunked[0]], still_fails, budget=MAX_MINIMIZE_RUNS)
    return [best if i == chunked[0] else offsets for i, offsets in enumerate(points)]


def compare(reference: Run, other: Run, *, points: list[list[int]] | None = None) -> Finding | None:
    """A ``rechunk-changed-output`` finding if ``other`` (the same scenario cut another way)
    gave another normalized output than ``reference``; ``points`` overrides the split points
    named (e.g. shrunk ones)."""
    if reference.transcript is None or other.transcript is None or other.script is None:
        return None
    before, after = normalize(reference.transcript), normalize(other.transcript)
    changed = differences(before, after)
    if not changed:
        return None
    label = describe(_chunking_of(other.scenario))
    if points is not None and points != split_points(other.script):
        label += f" (as few as {[x for offsets in points for x in offsets]} do it)"
    cuts = points if points is not None else split_points(other.script)
    return Finding(
        code=Code.RECHUNK_CHANGED_OUTPUT,
        check=CHECK,
        message=f"re-splitting the same bytes {label} changed the "
        f"{', '.join(changed)} (against the run cut {describe(_chunking_of(reference.scenario))})"
        ": the adapter treats a read boundary as meaningful",
        expected={key: before[key] for key in changed},
        actual={key: after[key] for key in changed},
        where=f"{other.scenario.where()} · split {_short(cuts)}",
    )


def rechunk_check(
    run: Run,
    driver: Driver,
    *,
    chunkings: Sequence[Chunking] = DEFAULT_CHUNKINGS,
    minimize: bool = True,
) -> CheckResult:
    """:func:`rechunk_findings` as a check result, to append to ``run.checks``."""
    return CheckResult(CHECK, rechunk_findings(run, driver, chunkings=chunkings, minimize=minimize))
