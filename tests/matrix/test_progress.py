"""Progress: plain lines paced for logs, one live line on a terminal, nothing when quiet.

Pacing uses a fake clock: no test here depends on how fast the machine is.
"""

from __future__ import annotations

import io

from harness.matrix.progress import Progress
from harness.report import progress


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_say_when_a_group_ends_and_pace_the_rest() -> None:
    out, clock = io.StringIO(), FakeTime()
    with Progress("matrix", ["a", "b"], total=2, file=out, live=False, every=10, now=clock) as p:
        p.advance("a", failed=True)
        assert out.getvalue() == ""  # nothing yet: less than 10 s since the start
        clock.now = 11
        p.advance("b")
        p.advance("b")  # b is complete: its own line, whatever the pace
        p.advance("a")
    lines = out.getvalue().splitlines()
    assert lines == [
        "matrix 2/4 cells, 1 failed · a 1/2 (1 failed) · b 1/2",
        "matrix: b done, 2 cells, 0 failed",
        "matrix: a done, 2 cells, 1 failed",
    ]


def test_notes_from_deep_inside_reach_the_current_progress() -> None:
    out = io.StringIO()
    progress.note("hive", "ignored: no progress is running")
    with Progress("matrix", ["hive"], total=3, file=out, live=False) as p:
        progress.note("hive", "building its environment: installing aden-hive==1.0.12")
        progress.note("hive", "building its environment: installing aden-hive==1.0.12")
        assert "hive 0/3 building its environment" in p.line()
        progress.advance("hive", failed=True)
    progress.advance("hive")  # after the end: nowhere to go, no error
    assert out.getvalue().splitlines() == [
        "matrix: hive: building its environment: installing aden-hive==1.0.12"
    ]


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with Progress("fuzz", ["examples"], total=3, file=out, quiet=True, now=FakeTime()) as p:
        for _ in range(3):
            p.advance("examples")
        p.note("examples", "shrinking")
    assert out.getvalue() == ""


def test_a_pipe_is_not_a_terminal_so_lines_are_plain() -> None:
    assert Progress("x", file=io.StringIO()).live is False


def test_the_live_line_runs_through_rich() -> None:
    out = io.StringIO()
    with Progress("matrix", ["a"], total=2, file=out, live=True) as p:
        p.advance("a")
        p.note("a", "[bold]not markup[/bold]")
        assert p._rich is not None
        assert "a 1/2 [bold]not markup[/bold]" in p.line()
    assert p._rich is None  # stopped, and transient: the summary starts on a clean screen


def test_paused_stops_the_live_lines_thread_and_starts_it_again() -> None:
    """``harness fuzz --workers`` forks inside ``paused()``: no refresh thread may be copied."""
    import threading

    from harness.matrix.progress import paused

    before = threading.active_count()
    with Progress("fuzz", ["examples"], total=4, file=io.StringIO(), live=True) as p:
        assert threading.active_count() == before + 1  # rich's refresh thread
        with paused():
            assert threading.active_count() == before
        assert threading.active_count() == before + 1
        p.advance("examples")
        assert p.line().startswith("fuzz 1/4 cells")
    assert threading.active_count() == before
    with paused():  # no progress, or a plain one: nothing to stop
        assert threading.active_count() == before


def test_a_running_count_is_paced_in_plain_lines_not_printed_at_every_change() -> None:
    """Shrinking notes its run count at every run: in a CI log that was one line per run."""
    out, clock = io.StringIO(), FakeTime()
    options = {"unit": "examples", "per_group": False, "file": out, "live": False}
    with Progress("fuzz", ["examples"], every=10, now=clock, **options) as p:  # as harness fuzz
        p.note("examples", "shrinking the failure")
        for runs in range(1, 40):
            progress.note("examples", f"shrinking the failure, {runs} runs so far", counting=True)
        assert "39 runs so far" in p.line()  # the live line and the paced lines still say it
        clock.now = 11
        p.advance("examples")
    assert out.getvalue().splitlines() == [
        "fuzz: examples: shrinking the failure",
        "fuzz: examples: shrinking the failure, 1 runs so far",  # the count starts: a step
        "fuzz 1 examples, 0 failed · shrinking the failure, 39 runs so far",
    ]
