"""Fuzz one driver: generated scenarios through the real adapter, checked by the invariants.

Each example is a scenario from :func:`harness.fuzz.strategies.scenarios`, run the way
:func:`harness.run.runner.run_scenario` runs any scenario (one virtual clock and event loop per
run), checked against its own ``expect`` block and the invariants of DESIGN.md; an example
whose body is not cut per event is also compared with the per-event run (invariant 5).
Hypothesis shrinks a failure; then the split points are shrunk further by delta debugging,
so the report shows the fewest cuts that still fail. The report is a scenario file ready to
save in ``scenarios/``, the exact wire bytes read by read, and the commands to reproduce.

``--seed`` makes a run exactly repeatable (same examples, same shrinking, same report).
From a test: ``harness.fuzz.runner.check_driver(driver, examples=200, seed=1)``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
from hypothesis import example as explicit
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky, Unsatisfiable
from hypothesis.strategies import SearchStrategy

from harness.checks import Check, CheckResult
from harness.dialects.script import Script
from harness.drivers.base import Driver, get_driver, install_hint, missing_requirements
from harness.fuzz.session import frozen_heap, no_local_constants
from harness.fuzz.workers import Parallel, in_workers, warm_up
from harness.matrix import progress
from harness.report.repro import scenario_yaml, wire_text
from harness.run.rechunk import CHECK, compare, minimal_splits, split_points, with_chunking
from harness.run.runner import Run, run_scenario
from harness.run.warm import Warm
from harness.scenario.model import Chunking, Scenario, SplitAt
from harness.transport.guard import no_network
from harness.vocab.errors import HarnessError
from harness.vocab.findings import Finding

__all__ = [
    "Failure",
    "FuzzFailure",
    "FuzzResult",
    "check_driver",
    "fuzz",
    "main",
    "scenario_yaml",
    "wire_text",
]

CORPUS_PREFIX = "fuzz-case-"
"""Ids of the seed corpus's scenarios (:mod:`harness.fuzz.corpus`)."""
SPLIT_BUDGET = 64
"""At most this many extra runs to shrink a failure's split points."""


def fuzz_checks() -> list[Check]:
    """Expectations and invariants; the transcript-schema check is left out (the events are
    pydantic models already, and re-validating each one costs more than the adapter)."""
    from harness.checks.declared import DECLARED_ERRORS
    from harness.checks.expectations import EXPECTATIONS
    from harness.checks.invariants import INVARIANTS

    return [EXPECTATIONS, DECLARED_ERRORS, *INVARIANTS]


@dataclass(frozen=True)
class Failure:
    """A failing example: the scenario, what it found, and the wire bytes it served."""

    scenario: Scenario
    findings: tuple[Finding, ...]
    script: Script
    flaky: bool = False

    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})


@dataclass(frozen=True)
class FuzzResult:
    """What one fuzzing run did; ``render()`` is the same for the same seed."""

    driver: str
    seed: int
    examples: int
    not_applicable: int
    seconds: float
    failure: Failure | None = None
    found_at: int = 0
    """The example that failed first (before shrinking); 0 when none did."""
    command: str = field(default="", repr=False)
    corpus: int = 0
    """Seed-corpus cases run before the generated examples (one per wire case)."""
    rerun: str = field(default="", repr=False)
    """A command that repeats this run (the pytest plugin's); replaces the CLI lines."""
    generating: tuple[int, float] = (0, 0.0)
    """Runs (wire cases and generated examples) and seconds until the first failure, or
    of the whole run when none failed: what the printed rate is measured on, so a failure
    does not make it the rate of shrinking. In workers: the failing worker's, or summed."""
    parallel: Parallel | None = None
    """How the workers of ``--workers N`` went (None: one process)."""

    @property
    def passed(self) -> bool:
        return self.failure is None

    def render(self) -> str:
        rerun = f"harness fuzz --driver {self.driver} --seed {self.seed}{self.command}"
        p = self.parallel
        if self.failure is None:
            corpus = f" and {self.corpus} wire cases" if self.corpus else ""
            return (
                f"harness fuzz: {self.driver} passed {self.examples} examples{corpus} "
                f"({self.not_applicable} n/a) with seed {self.seed}"
                + (f" on {p.workers} workers\n" if p else "\n")
            )
        f = self.failure
        name = f"scenarios/{f.scenario.id}.yaml"
        worker = f" (worker {p.worker} of --seed {p.seed} --workers {p.workers})" if p else ""
        lines = [
            f"harness fuzz: {self.driver} FAILED ({', '.join(f.codes())}) at example "
            f"{self.found_at} with seed {self.seed}{worker}, shrunk in "
            f"{self._shrinking()} more runs"
            + (" (flaky: it did not fail again every time)" if f.flaky else ""),
            "",
            "Findings:",
            *("  " + x.render().replace("\n", "\n  ") for x in f.findings),
            "",
            f"Shrunk scenario (save as {name}):",
            scenario_yaml(f.scenario).rstrip("\n"),
            "",
            "Wire bytes (one line per read the client got, @ byte offset in the body):",
            wire_text(f.script).rstrip("\n"),
            "",
            "Reproduce:",
            *(
                [f"  {self.rerun}"]
                if self.rerun
                else [f"  {rerun}", f"  harness run {name} --driver {self.driver} --rechunk"]
            ),
        ]
        return "\n".join(lines) + "\n"

    def timing(self) -> str:
        """The run's length, and its rate of examples only when it ran them all: a run
        that stopped at a failure spent its time on a few examples and on shrinking one,
        so a rate of it would not be the fuzzing rate."""
        p = self.parallel
        if self.failure is None:
            runs = self.examples + self.corpus
            rate = f"{runs / self.seconds:.0f}/s" if self.seconds else "n/a"
            cases = f" and {self.corpus} wire cases" if self.corpus else ""
            on = f" on {p.workers} workers (wall clock; {p.seconds:.2f} s in them)" if p else ""
            return f"{self.examples} examples{cases} in {self.seconds:.2f} s{on} ({rate})"
        runs, seconds = self.generating
        ignore = " ".join(f"--ignore {code}" for code in self.failure.codes())
        return (
            f"{runs} examples in {seconds:.2f} s until the failure"
            + (f" in worker {p.worker} of {p.workers}" if p else "")
            + f", then {self._shrinking()} runs of shrinking; "
            f"{self.seconds:.2f} s in all (no rate: the run stopped at its first failure; "
            f"{ignore} runs on past it)"
        )

    def _shrinking(self) -> int:
        runs = self.parallel.runs if self.parallel else self.examples + self.corpus
        return runs - self.found_at


class FuzzFailure(HarnessError, AssertionError):
    """Raised by :func:`check_driver`; the message is the full report."""

    def __init__(self, result: FuzzResult) -> None:
        super().__init__(result.render())
        self.result = result


class _Failed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(", ".join(failure.codes()))
        self.failure = failure


@dataclass
class _Examiner:
    """Runs one example and says what failed (None: it passed)."""

    driver: Driver
    rechunk: bool
    ignore: frozenset[str]
    checks: list[Check]
    warm: Warm | None = None
    """The loop and client every example runs on (each with its own replay and clock)."""
    runs: int = 0
    corpus: int = 0
    not_applicable: int = 0
    found_at: int = 0
    """How many examples ran until the first failure (0: none failed)."""
    started: float = field(default_factory=time.perf_counter)
    found_after: float = 0.0
    """Seconds from ``started`` to the end of the first failing run (0: none failed)."""

    def run(self, scenario: Scenario, *, full: bool = False) -> tuple[Run, Failure | None]:
        """Run and check ``scenario``; the per-event comparison is skipped when the run
        already failed (it would only add a finding) unless ``full``: shrinking runs each
        candidate, so this halves its cost."""
        run = run_scenario(scenario, self.driver, checks=self.checks, warm=self.warm)
        if run.status == "n/a":
            self.not_applicable += 1
            return run, None
        self.runs += 1
        if scenario.id.startswith(CORPUS_PREFIX):
            self.corpus += 1
        found = self._failing(run)
        if self.rechunk and _chunking(scenario) != "per_event" and (full or not found):
            from harness.fuzz.strategies import per_event_twin

            per_event = per_event_twin(scenario)  # compiled while it was drawn
            reference = run_scenario(per_event, self.driver, checks=[], warm=self.warm)
            finding = compare(reference, run)
            run.checks.append(CheckResult(CHECK, [finding] if finding is not None else []))
            found = self._failing(run)
        if not found:
            return run, None
        if not self.found_at:
            self.found_at, self.found_after = self.runs, time.perf_counter() - self.started
        assert run.script is not None
        return run, Failure(scenario=scenario, findings=found, script=run.script)

    def _failing(self, run: Run) -> tuple[Finding, ...]:
        return tuple(f for f in run.findings if f.severity == "error" and f.code not in self.ignore)

    def same(
        self, scenario: Scenario, codes: Collection[str], *, full: bool = False
    ) -> Failure | None:
        """The failure of ``scenario`` if it shares a code with the one being shrunk."""
        try:
            _, failure = self.run(scenario, full=full)
        except ValueError:  # e.g. SplitAt offsets past the body
            return None
        if failure is None or not set(failure.codes()) & set(codes):
            return None
        return failure


def fuzz(
    driver: Driver | str,
    *,
    examples: int = 100,
    seed: int | None = None,
    dialect: str | None = None,
    scenarios: SearchStrategy[Scenario] | None = None,
    rechunk: bool = True,
    ignore: Collection[str] = (),
    shrink: bool = True,
    corpus: bool | None = None,
    workers: int = 1,
) -> FuzzResult:
    """Fuzz ``driver`` with ``examples`` generated scenarios; never raises on a finding.

    ``scenarios`` replaces the default strategy (``scenarios(dialect=...)`` of the driver's
    dialect); ``ignore`` lists finding codes that do not count as failures (known bugs);
    ``rechunk=False`` skips the comparison with the per-event run; ``shrink=False``
    reports the first failing example as it was generated (faster, bigger); ``corpus``
    (default: on with the default strategy) first runs the seed corpus, one scenario per
    wire case (:func:`harness.fuzz.strategies.wire_cases`), each already minimal.
    ``workers`` > 1 splits the examples over forked processes (:mod:`harness.fuzz.workers`).
    """
    from harness.fuzz import strategies

    named_as = driver if isinstance(driver, str) else driver.name  # as a command names it
    if isinstance(driver, str):
        driver = get_driver(driver)
    if examples < 1:
        raise HarnessError(f"examples must be >= 1 (got {examples})")
    dialect = dialect or driver.dialect
    if dialect != driver.dialect:
        raise HarnessError(
            f"driver {driver.name} speaks {driver.dialect}; with --dialect {dialect} every "
            "example would be n/a"
        )
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    strategy = scenarios if scenarios is not None else strategies.scenarios(dialect=dialect)
    seeds = (
        strategies.wire_cases(dialect=dialect)
        if (corpus is None and scenarios is None) or corpus
        else []
    )

    def one(examples: int, seed: int, with_corpus: bool) -> FuzzResult:
        # one network guard for the session: each example's run then enters it for free
        with Warm() as warm, frozen_heap(), no_network():
            examiner = _Examiner(driver, rechunk, frozenset(ignore), fuzz_checks(), warm)
            cases = seeds if with_corpus else []
            return _fuzz(driver, named_as, examiner, strategy, cases, examples, seed, shrink)

    if workers <= 1:
        return one(examples, seed, True)
    warm_up(driver, strategy)
    return in_workers(one, examples=examples, seed=seed, workers=workers)


def _fuzz(
    driver: Driver,
    named_as: str,
    examiner: _Examiner,
    strategy: SearchStrategy[Scenario],
    seeds: list[Scenario],
    examples: int,
    seed: int,
    shrink: bool,
) -> FuzzResult:
    last: list[Failure] = []

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink)[: 3 if shrink else 2],
        print_blob=False,
    )
    @hypothesis_seed(seed)
    @given(strategy)
    def example(scenario: Scenario) -> None:
        run, failure = examiner.run(scenario)
        if run.status == "n/a":
            reject()
        if last:  # after the first failure, every example is Hypothesis shrinking it
            note = f"shrinking the failure, {examiner.runs} runs so far"
            progress.note("examples", note, counting=True)
        else:
            progress.advance("examples", failed=failure is not None)
        if failure is not None:
            last[:] = [failure]
            raise _Failed(failure)

    for case in reversed(seeds):  # explicit examples run in the order they are applied
        example = explicit(case)(example)
    started = examiner.started = time.perf_counter()
    failure: Failure | None = None
    try:
        with no_local_constants():
            example()
    except _Failed as exc:
        failure = exc.failure
    except Flaky:
        failure = replace(last[-1], flaky=True) if last else None
    except Unsatisfiable:
        raise HarnessError(
            f"every generated scenario was n/a for driver {driver.name}; pass a strategy "
            "it supports (e.g. scenarios(stream=True))"
        ) from None
    runs = examiner.runs - examiner.corpus
    count = f" --examples {examples}" if examples != 100 else ""  # as a command says it
    generating = (
        (examiner.found_at, examiner.found_after)
        if examiner.found_at
        else (examiner.runs, time.perf_counter() - started)
    )
    if failure is not None and not failure.flaky:
        if shrink:
            progress.note("examples", "shrinking the chunk splits")
            failure = _shrink_splits(failure, examiner)
        failure = _named(failure, examiner, f"--driver {named_as} --seed {seed}{count}")
    return FuzzResult(
        driver=driver.name,
        seed=seed,
        examples=runs,
        corpus=examiner.corpus,
        not_applicable=examiner.not_applicable,
        seconds=time.perf_counter() - started,
        failure=failure,
        found_at=examiner.found_at,
        generating=generating,
        command=count,
    )


def check_driver(driver: Driver | str, **options: object) -> FuzzResult:
    """:func:`fuzz` for tests: raises :class:`FuzzFailure` (an AssertionError) with the
    report when an example fails; returns the result otherwise."""
    result = fuzz(driver, **options)  # type: ignore[arg-type]
    if result.failure is not None:
        raise FuzzFailure(result)
    return result


def _chunking(scenario: Scenario) -> Chunking:
    replies = scenario.replies()
    return replies[-1].wire.chunking if replies else "per_event"


def _shrink_splits(failure: Failure, examiner: _Examiner) -> Failure:
    """Per event if that still fails; else the fewest split points of the one chunked
    exchange that do (what Hypothesis cannot do across chunking kinds)."""
    scenario, codes = failure.scenario, failure.codes()
    if _chunking(scenario) == "per_event":
        return failure
    simpler = examiner.same(with_chunking(scenario, "per_event"), codes)
    if simpler is not None:
        return simpler
    points = split_points(failure.script)
    chunked = [i for i, p in enumerate(points) if p]
    if len(chunked) != 1 or len(scenario.replies()) != 1:
        return failure

    def split(offsets: list[int]) -> Scenario:
        return with_chunking(scenario, SplitAt(at=offsets))

    best = minimal_splits(
        points[chunked[0]],
        lambda offsets: examiner.same(split(offsets), codes) is not None,
        budget=SPLIT_BUDGET,
    )
    return examiner.same(split(best), codes) or failure


def _named(failure: Failure, examiner: _Examiner, command: str) -> Failure:
    """Give the scenario an id and description worth saving (if it still fails with them:
    ids are hashed into call ids, so the bytes change a little); ``command``: the
    arguments of ``harness fuzz`` that found it, the driver as it was given."""
    codes = failure.codes()
    first = next((f.code for f in failure.findings if f.check != CHECK), codes[0])
    scenario = failure.scenario.model_copy(
        update={
            "id": f"fuzz-{first}",
            "description": f"Found by `harness fuzz {command}`: {', '.join(codes)}.",
        }
    )
    return (
        examiner.same(scenario, codes, full=True)
        or examiner.same(failure.scenario, codes, full=True)
        or failure
    )


# --------------------------------------------------------------------------- CLI


def main(
    driver_name: str,
    *,
    examples: int,
    seed: int | None,
    dialect: str | None,
    ignore: Sequence[str],
    faults: bool,
    workers: int = 1,
) -> int:
    """``harness fuzz``: print the report (stdout) and the timing (stderr); 1 on a failure."""
    import sys

    from harness.fuzz import strategies

    driver = get_driver(driver_name)
    missing = missing_requirements(driver)
    if missing:
        raise HarnessError(
            f"driver {driver.name} needs {', '.join(missing)}: {install_hint(driver.extra)}"
        )
    strategy = strategies.scenarios(
        dialect=dialect or driver.dialect, faults=faults, retries=faults
    )
    result = fuzz(
        driver_name,  # as given: the scenario's "Found by" line names it so
        examples=examples,
        seed=seed,
        dialect=dialect,
        scenarios=strategy,
        ignore=ignore,
        corpus=faults,
        workers=workers,
    )
    flags = "".join(f" --ignore {code}" for code in ignore) + ("" if faults else " --no-faults")
    # reproduce lines name the driver as it was given (module:attr, conftest.py::name)
    result = replace(result, command=result.command + flags, driver=driver_name)
    print(result.render(), end="")
    print(f"harness fuzz: {result.timing()}", file=sys.stderr)
    return 0 if result.passed else 1
