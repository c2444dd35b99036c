"""``harness_replay`` opens the test's clock itself unless the test asks for
``harness_clock``: whichever way the test gets the clock (as an argument before or after
``harness_replay``, or through ``getfixturevalue`` during the test), it is the replay's
one clock, each test has a fresh one, and ``time`` is real again after the test."""

from __future__ import annotations

import pytest

from tests.plugin.outside import PLUGIN

pytest_plugins = ["pytester"]

CLOCK_TESTS = """
import time

import pytest

REAL_SLEEP = time.sleep
SEEN = []


@pytest.mark.harness_scenario("nonstream-text", assert_all_served=False)
def test_replay_alone(harness_replay):
    assert harness_replay.clock.elapsed() == 0
    time.sleep(5)
    assert harness_replay.clock.elapsed() == 5
    SEEN.append(harness_replay.clock)


@pytest.mark.harness_scenario("nonstream-text", assert_all_served=False)
def test_clock_first(harness_clock, harness_replay):
    assert harness_replay.clock is harness_clock and harness_clock.elapsed() == 0
    time.sleep(3)
    assert harness_replay.clock.elapsed() == 3
    SEEN.append(harness_clock)


@pytest.mark.harness_scenario("nonstream-text", assert_all_served=False)
def test_clock_after(harness_replay, harness_clock):
    assert harness_replay.clock is harness_clock and harness_clock.elapsed() == 0
    time.sleep(3)
    assert harness_clock.elapsed() == 3
    SEEN.append(harness_clock)


@pytest.mark.harness_scenario("nonstream-text", assert_all_served=False)
def test_clock_asked_late(harness_replay, request):
    time.sleep(1)
    clock = request.getfixturevalue("harness_clock")
    assert clock is harness_replay.clock and clock.elapsed() == 1
    time.sleep(1)
    assert harness_replay.clock.elapsed() == 2
    SEEN.append(clock)


def test_every_test_had_its_own_clock_and_time_is_real_again():
    assert len(SEEN) == 4 and len({id(c) for c in SEEN}) == 4
    assert time.sleep is REAL_SLEEP
"""


def test_one_clock_per_test_however_asked(project: pytest.Pytester) -> None:
    project.makepyfile(test_clocks=CLOCK_TESTS)
    result = project.runpytest(*PLUGIN, "-v", "-p", "no:randomly")
    result.assert_outcomes(passed=5)
