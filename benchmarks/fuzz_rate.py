"""Hypothesis examples per CPU second through the OpenAI SDK driver, against the anchor.

The anchor (:mod:`benchmarks.fuzz_anchor`) is the loop a user writes by hand: one
``@given`` test, streamed text replies served by ``httpx.MockTransport`` to one
``AsyncOpenAI`` on one event loop, both reused for every example, one assert. ``harness
fuzz`` (:func:`harness.fuzz.runner.fuzz`) runs each example as a matrix cell is run: its
own replay (request log, decisions) and virtual clock, on a warm loop with the SDK client
kept, then the expectations and invariants. Every finding code is ignored so no run stops
at its first failure (the rate of generating and running examples, not of shrinking).

The comparison is not like for like, and the goal (>= 1.0x) stands anyway: per example the
anchor draws about 16 values, sends one request and serves its body one read per event,
and asserts the joined text. A harness example draws a whole scenario (parts, tools when
it calls one, wire options, faults; about 37 draws), compiles it to its wire plan, serves
it cut as drawn (every N bytes in at most 64 chunks, inside UTF-8 characters, at offsets:
about 9 reads an example, as many as the anchor's one per event), retries HTTP errors
(1.4 requests an example), and runs every check; each with
its own replay, clock and network guard, on the warm loop and kept client. The rows'
notes say so; the streamed-text row draws only the anchor's kind of reply, still with
harness's chunkings and wire options.

Both sides are warmed before any timed round (every setting once, then the anchor last,
so the anchor's first round does not pay Hypothesis's scan of the project modules the
harness imported), and ``harness fuzz`` leaves Hypothesis's cache of local constants as
it found it (it turns them off while it runs, for repeatable seeds), so no anchor round
rebuilds it after a harness round.

Each round measures the anchor and every setting one after the other in this process, and
the ratios are taken within the round; rows give min / median / max over the rounds.
Rates are per CPU second of this process (``time.process_time``): on a shared machine,
other processes' load changes wall time more than it changes the ratio.

The last two rows are wall time (``time.perf_counter``), measured in the same rounds: the
anchor again, and ``harness fuzz --workers N`` (N = min(2, CPUs): the examples split over N
forked workers, :mod:`harness.fuzz.workers`), which is what a user waits for. Per CPU
second a worker does what one process does (the rows above); the goal row is this one, and
its note says so: N workers on N cores, wall clock.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from benchmarks import Row, median, spread, verdict

__all__ = ["DRIVER", "measure", "run"]

DRIVER = "openai-sdk-chat"
SEED = 20261125
ANCHOR = "anchor: the hand-written loop (loop and client reused)"
DEFAULT = "harness fuzz, every kind of example"
SAME = "harness fuzz, streamed text replies only (the anchor's kind)"
RECHUNK = "harness fuzz, every kind, with the re-chunk comparison"
WORKERS = min(2, os.cpu_count() or 1)
"""Workers of the wall-clock row: one per core, at most 2 (the machine the results name)."""
ANCHOR_WALL = "anchor: the hand-written loop, wall clock"
PARALLEL = f"harness fuzz --workers {WORKERS}, every kind of example"


def _harness(
    examples: int, clock: Callable[[], float] = time.process_time, **options: object
) -> Callable[[], float]:
    from harness.checks.catalogue import CATALOGUE
    from harness.fuzz.runner import fuzz

    def rate() -> float:
        started = clock()
        result = fuzz(
            DRIVER,
            examples=examples,
            seed=SEED,
            ignore=list(CATALOGUE),
            corpus=False,
            **options,  # type: ignore[arg-type]
        )
        rate = result.examples / (clock() - started)
        wanted = options.get("workers", 1)
        if wanted != 1 and (result.parallel is None or result.parallel.workers != wanted):
            # fuzz fell back to one process (a thread of an earlier section is alive): the
            # row would time one process under the workers' name
            alive = ", ".join(t.name for t in threading.enumerate())
            raise RuntimeError(f"--workers {wanted} ran in one process (threads: {alive})")
        return rate

    return rate


def measure(examples: int, rounds: int) -> dict[str, list[float]]:
    """Examples per CPU second of each setting (per wall second of the last two), one value
    per round."""
    from benchmarks.fuzz_anchor import anchor_rate
    from harness.fuzz.strategies import scenarios

    same = scenarios(
        dialect="openai-chat",
        stream=True,
        tools=False,
        reasoning=False,
        faults=False,
        retries=False,
    )
    settings: dict[str, Callable[[], float]] = {
        ANCHOR: lambda: anchor_rate(examples, SEED),
        DEFAULT: _harness(examples, rechunk=False),
        SAME: _harness(examples, rechunk=False, scenarios=same),
        RECHUNK: _harness(examples, rechunk=True),
        ANCHOR_WALL: lambda: anchor_rate(examples, SEED, time.perf_counter),
        PARALLEL: _harness(examples, time.perf_counter, rechunk=False, workers=WORKERS),
    }
    # warm-up, each setting once before any timed round: imports, then the anchor last, so
    # Hypothesis's scan of newly imported local modules for constants is done before any
    # round (harness fuzz switches that scan off while it runs and leaves the anchor's
    # cache of them as it found it)
    _harness(5, rechunk=False)()
    _harness(5, rechunk=False, scenarios=same)()
    _harness(5, rechunk=True)()
    _harness(5, time.perf_counter, rechunk=False, workers=WORKERS)()
    anchor_rate(5, SEED)
    rates: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(rounds):
        for name, rate in settings.items():
            rates[name].append(rate())
    return rates


def run(quick: bool) -> list[Row]:
    rates = measure(20 if quick else 200, 2 if quick else 3)
    anchor = rates[ANCHOR]
    bench = f"Hypothesis examples per CPU second through {DRIVER}"
    rows = [
        Row(
            benchmark=bench,
            subject=ANCHOR,
            measured=spread(anchor, "{:.0f}", "/s"),
            ratio="1.00x",
            note=f"seed {SEED}; min / median / max of {len(anchor)} rounds; per example "
            "~16 draws, 1 request, 1 read per event, 1 assert, no checks, no isolation",
        )
    ]
    for name in (DEFAULT, SAME, RECHUNK):
        ratios = [mine / base for mine, base in zip(rates[name], anchor, strict=True)]
        rows.append(
            Row(
                benchmark=bench,
                subject=name,
                measured=spread(rates[name], "{:.0f}", "/s"),
                ratio=spread(ratios, "{:.2f}", "x anchor"),
                note="each example compiled and served as drawn (chunkings, wire options, "
                "retries), its own replay, clock and guard, every check; no stop at a failure",
            )
        )
    wall = rates[ANCHOR_WALL]
    bench = f"Hypothesis examples per wall-clock second through {DRIVER}"
    rows.append(
        Row(
            benchmark=bench,
            subject=ANCHOR_WALL,
            measured=spread(wall, "{:.0f}", "/s"),
            ratio="1.00x",
            note="the anchor above, timed by the wall clock in the same rounds",
        )
    )
    ratios = [mine / base for mine, base in zip(rates[PARALLEL], wall, strict=True)]
    rows.append(
        Row(
            benchmark=bench,
            subject=PARALLEL,
            measured=spread(rates[PARALLEL], "{:.0f}", "/s"),
            ratio=spread(ratios, "{:.2f}", "x anchor"),
            note=f"{WORKERS} workers on {WORKERS} cores (os.cpu_count() = {os.cpu_count()}), "
            "wall clock; per CPU second see the rows above. Examples split over forked "
            "workers, each run as in the rows above",
            goal=">= 1.0x the anchor (median)",
            result=verdict(median(ratios) >= 1.0),
        )
    )
    return rows
