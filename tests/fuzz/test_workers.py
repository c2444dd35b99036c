"""``harness fuzz --workers N``: the examples split over forked workers, their results
combined; a worker's failure reproduces in one process with the command the report prints;
a worker that dies is a harness error; with a thread alive, one process."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli.app import main
from harness.fuzz.runner import Failure, FuzzResult, fuzz
from harness.fuzz.workers import Parallel, combine, shares, worker_seed
from harness.matrix.progress import Progress
from harness.scenario.model import Scenario
from harness.vocab.errors import HarnessError
from tests.checks.planted import Bugs, PlantedDriver
from tests.fuzz.test_fuzz import HAPPY, SEED, STREAMED, CorrectDriver

ROOT = Path(__file__).resolve().parents[2]
PARENT = os.getpid()
"""The test process: the drivers below misbehave only in a forked worker."""


pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")


@pytest.fixture
def forking() -> Iterator[None]:
    """Workers fork only when no other thread is alive. Threads still ending (an executor's
    after its loop closed) get a few seconds; a thread another test left running for good
    (litellm's executor, when a test ran it in this process) makes workers run in one
    process, so the test is skipped: the tests run in a fresh process below always fork."""
    deadline = time.monotonic() + 5.0
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    if threading.active_count() > 1:
        names = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        pytest.skip(f"threads another test left running ({', '.join(names)}): no fork here")
    yield


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """``harness`` in a fresh process (no thread of another test): the CLI as a user runs it."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        check=False,
    )


class DyingDriver(CorrectDriver):
    """Killed (SIGKILL) by its first example in a worker."""

    name = "planted-dying"

    def supports(self, scenario: Scenario) -> str | None:
        if os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().supports(scenario)


class ExitingDriver(CorrectDriver):
    """Leaves the worker with status 3 at its first example (no result sent)."""

    name = "planted-exiting"

    def supports(self, scenario: Scenario) -> str | None:
        if os.getpid() != PARENT:
            os._exit(3)
        return super().supports(scenario)


class NeverApplicableDriver(CorrectDriver):
    name = "planted-never"

    def supports(self, scenario: Scenario) -> str | None:
        return "nothing applies"


# --------------------------------------------------------------------------- splitting


def test_examples_split_evenly_first_workers_get_the_remainder() -> None:
    assert shares(10, 3) == [4, 3, 3]
    assert shares(41, 2) == [21, 20]
    assert shares(3, 8) == [1, 1, 1]  # never a worker with nothing to do
    assert shares(1, 2) == [1]


def test_worker_zero_keeps_the_seed_the_others_derive_theirs() -> None:
    assert worker_seed(SEED, 0) == SEED
    derived = [worker_seed(SEED, i) for i in range(1, 5)]
    assert derived == [worker_seed(SEED, i) for i in range(1, 5)]  # deterministic
    assert len({SEED, *derived}) == 5
    assert all(0 <= s < 2**32 for s in derived)


# --------------------------------------------------------------------------- combining


@pytest.mark.usefixtures("forking")
def test_two_workers_pass_with_the_counts_summed() -> None:
    one = fuzz(CorrectDriver(), examples=41, seed=SEED, scenarios=STREAMED, corpus=True)
    two = fuzz(CorrectDriver(), examples=41, seed=SEED, scenarios=STREAMED, corpus=True, workers=2)
    assert two.passed, two.render()
    assert two.parallel is not None and two.parallel.workers == 2
    assert two.examples == 41
    # the seed corpus runs once (in worker 0), not once per worker
    assert two.corpus == one.corpus > 0
    assert two.seed == SEED
    assert "passed 41 examples and " in two.render() and " on 2 workers" in two.render()
    assert re.search(r" on 2 workers \(wall clock; [\d.]+ s in them\) \(\d+/s\)", two.timing())


@pytest.mark.usefixtures("forking")
def test_worker_progress_reaches_the_parents_progress() -> None:
    out = io.StringIO()
    bar = Progress("fuzz", ["examples"], total=20, unit="examples", file=out, live=False)
    with bar:
        result = fuzz(PlantedDriver(), examples=20, seed=SEED, scenarios=HAPPY, workers=2)
        assert bar.line() == f"fuzz {result.examples}/20 examples, 0 failed"
    assert out.getvalue() == (
        "fuzz: examples: 2 workers\nfuzz: examples done, 20 examples, 0 failed\n"
    )


def _result(seed: int, examples: int, failure: Failure | None = None) -> FuzzResult:
    return FuzzResult(
        driver="d",
        seed=seed,
        examples=examples,
        not_applicable=1,
        seconds=2.0,
        failure=failure,
        found_at=3 if failure else 0,
        corpus=5 if seed == 100 else 0,
        command=f" --examples {examples}",
        generating=(3, 0.5) if failure else (examples, 1.5),
    )


def test_the_lowest_failing_worker_is_reported_whatever_finished_first() -> None:
    failure = fuzz(
        PlantedDriver(Bugs(drop_last_fragment=True)),
        examples=100,
        seed=SEED,
        scenarios=HAPPY,
        shrink=False,
    ).failure
    assert failure is not None
    results = [_result(100, 10), _result(201, 10, failure), _result(302, 9, failure)]
    got = combine(results, seed=100, seconds=4.0)
    assert got.seed == 201 and got.command == " --examples 10" and got.failure is failure
    assert (got.examples, got.corpus, got.not_applicable, got.seconds) == (29, 5, 3, 4.0)
    assert got.found_at == 3 and got.generating == (3, 0.5)
    assert got.parallel == Parallel(3, 100, 6.0, worker=1, runs=10)
    assert "(worker 1 of --seed 100 --workers 3)" in got.render()
    assert "shrunk in 7 more runs" in got.render()  # the worker's runs, not the sum
    assert "until the failure in worker 1 of 3, then 7 runs of shrinking" in got.timing()
    passed = combine([_result(100, 10), _result(201, 10)], seed=100, seconds=4.0)
    assert passed.passed and passed.seed == 100 and passed.generating == (20, 3.0)


@pytest.mark.usefixtures("forking")
def test_every_worker_fails_and_worker_zero_is_reported() -> None:
    """Every example with a tool call fails: both workers find it, the report is worker 0's
    (the run's own seed), as in one process."""
    one = fuzz(
        PlantedDriver(Bugs(drop_last_fragment=True)), examples=40, seed=SEED, scenarios=HAPPY
    )
    two = fuzz(
        PlantedDriver(Bugs(drop_last_fragment=True)),
        examples=80,
        seed=SEED,
        scenarios=HAPPY,
        workers=2,
    )
    assert two.failure is not None and one.failure is not None
    assert two.parallel is not None and two.parallel.worker == 0 and two.seed == SEED
    assert two.failure.scenario == one.failure.scenario  # worker 0 ran what one process runs
    assert two.found_at == one.found_at


# --------------------------------------------------------------------------- reproducing


def _reproduce_line(out: str) -> list[str]:
    line = out.split("Reproduce:\n", 1)[1].splitlines()[0].strip()
    assert line.startswith("harness fuzz ")
    return line.split()[1:]


def _shrunk(out: str) -> str:
    return out.split("yaml):\n", 1)[1].split("\n\nWire bytes", 1)[0]


def test_a_later_workers_failure_reproduces_in_one_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With seed 2 worker 0 (the corpus and 10 examples) passes and worker 1 finds the split
    bug; the printed command (worker 1's seed and 10 examples, one process, the corpus
    first) finds the same shrunk scenario again. The parallel run is a fresh process."""
    driver = "tests.fuzz.test_fuzz:SplitBugDriver"
    args = ["fuzz", "--driver", driver, "--seed", "2", "--examples", "20", "--quiet"]
    parallel = _harness(*args, "--workers", "2")
    assert parallel.returncode == 1, parallel.stderr
    assert "one process" not in parallel.stderr
    out = parallel.stdout
    assert "FAILED (rechunk-changed-output, tool-args-fragment-lost)" in out
    assert "(worker 1 of --seed 2 --workers 2)" in out
    again = _reproduce_line(out)
    assert again[again.index("--seed") + 1] == str(worker_seed(2, 1))
    assert again[again.index("--examples") + 1] == "10"
    assert "--workers" not in again
    assert main(again) == 1
    repeated = capsys.readouterr().out
    assert "FAILED (rechunk-changed-output, tool-args-fragment-lost)" in repeated
    assert _shrunk(repeated) == _shrunk(out)
    seed = worker_seed(2, 1)
    found_by = f"Found by `harness fuzz --driver {driver} --seed {seed} --examples 10`"
    assert found_by in " ".join(_shrunk(out).split())  # the driver as given: rerunnable


def test_cli_workers_pass_with_the_counts_summed_and_one_progress(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In a fresh process: 15 examples over 2 workers, the wire cases once (worker 0's, as
    many as one process runs), every worker's examples on the parent's progress lines."""
    args = ["fuzz", "--driver", "tests.fuzz.test_fuzz:CorrectDriver", "--seed", "3"]
    parallel = _harness(*args, "--examples", "15", "--workers", "2")
    assert parallel.returncode == 0, parallel.stderr
    assert main([*args, "--examples", "15", "--quiet"]) == 0
    one = capsys.readouterr().out
    cases = re.search(r"passed 15 examples and (\d+) wire cases \(\d+ n/a\) with seed 3\n", one)
    assert cases is not None
    assert f"passed 15 examples and {cases[1]} wire cases " in parallel.stdout
    assert parallel.stdout.endswith(" with seed 3 on 2 workers\n")
    lines = parallel.stderr.splitlines()
    assert lines[0] == "fuzz: examples: 2 workers"
    assert "fuzz: examples done, 15 examples, 0 failed" in lines  # relayed from the workers
    assert re.search(r"in [\d.]+ s on 2 workers \(wall clock; [\d.]+ s in them\)", lines[-1])


def test_cli_a_killed_worker_is_a_harness_error() -> None:
    """Exit 2 (harness's own error), never 1 (a finding) or 0; in a fresh process."""
    driver = "tests.fuzz.test_workers:DyingDriver"
    args = ["fuzz", "--driver", driver, "--seed", "7", "--examples", "4", "--workers", "2"]
    killed = _harness(*args, "--quiet", "--no-faults")
    assert killed.returncode == 2, killed.stderr
    assert "fuzz worker 0 (seed 7, 2 examples): killed by SIGKILL before it sent its result" in (
        killed.stderr
    )
    assert killed.stdout == ""


# --------------------------------------------------------------------------- failing


@pytest.mark.usefixtures("forking")
def test_a_killed_worker_is_a_harness_error_naming_it() -> None:
    with pytest.raises(HarnessError, match=r"^fuzz worker 0 \(seed 7, 2 examples\): killed by "):
        fuzz(DyingDriver(), examples=4, seed=7, scenarios=STREAMED, workers=2)


@pytest.mark.usefixtures("forking")
def test_a_worker_that_exits_is_a_harness_error_naming_it() -> None:
    with pytest.raises(
        HarnessError,
        match=r"^fuzz worker 0 \(seed 7, 2 examples\): exited with status 3 before it sent",
    ):
        fuzz(ExitingDriver(), examples=4, seed=7, scenarios=STREAMED, workers=2)


@pytest.mark.usefixtures("forking")
def test_a_workers_harness_error_names_the_worker() -> None:
    with pytest.raises(
        HarnessError,
        match=r"^fuzz worker 0 \(seed 7, 3 examples\): every generated scenario was n/a",
    ):
        fuzz(NeverApplicableDriver(), examples=5, seed=7, scenarios=STREAMED, workers=2)


def test_with_a_thread_alive_it_runs_in_one_process(capsys: pytest.CaptureFixture[str]) -> None:
    one = fuzz(CorrectDriver(), examples=12, seed=SEED, scenarios=STREAMED)
    done = threading.Event()
    other = threading.Thread(target=done.wait, name="still-here")
    other.start()
    try:
        fell_back = fuzz(CorrectDriver(), examples=12, seed=SEED, scenarios=STREAMED, workers=2)
    finally:
        done.set()
        other.join()
    err = capsys.readouterr().err
    assert err.count("harness fuzz: --workers 2: one process (other threads are alive: ") == 1
    assert "still-here" in err
    assert fell_back.parallel is None
    assert fell_back.render() == one.render()


@pytest.mark.usefixtures("forking")
def test_cli_workers_option(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fuzz", "--driver", CorrectDriver.name, "--seed", "3", "--examples", "6"]
    assert main([*args, "--workers", "auto"]) == 0
    workers = min(os.cpu_count() or 1, 6)  # no more workers than examples
    assert (f" on {workers} workers" in capsys.readouterr().out) == (workers > 1)
    for bad in ("0", "many"):
        with pytest.raises(SystemExit):
            main([*args, "--workers", bad])
    assert "--workers: expected a number or auto, got 'many'" in capsys.readouterr().err
