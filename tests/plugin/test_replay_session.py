"""What the tests of a session share and what each has alone. ``harness_replay`` opens the
test's clock itself, or adopts the one ``harness_clock`` opened: whichever way the test gets
the clock (an argument before or after ``harness_replay``, ``getfixturevalue`` during the
test) it is the replay's one clock, fresh per test. A scenario is resolved and compiled once
per session and dialect: every test serves that frozen script through its own replay."""

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


SHARED_TESTS = """
import httpx
import pytest

URL = "https://api.openai.com/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
SEEN = []


@pytest.mark.parametrize("n", range(3))
@pytest.mark.harness_scenario("nonstream-text")
def test_same_scenario(n, harness_replay):
    assert harness_replay.requests == [] and harness_replay.misses == []
    assert len(harness_replay.remaining) == 1  # nothing served: a fresh replay
    assert httpx.post(URL, json=BODY).status_code == 200
    assert [r.exchange for r in harness_replay.requests] == [0]
    assert harness_replay.base_url == "https://api.openai.com"
    SEEN.append(harness_replay)


@pytest.mark.harness_scenario(
    "nonstream-text", base_url="http://local.test/", assert_all_served=False
)
def test_other_base_url(harness_replay):
    assert harness_replay.base_url == "http://local.test"


@pytest.mark.parametrize("n", range(2))
@pytest.mark.harness_scenario("nonstream-text", dialect="azure-agents")
def test_other_dialect(n, harness_replay):
    raise AssertionError("the scenario has no azure-agents script: skipped every time")


def test_shared_script_own_replays():
    assert len({id(h.replay) for h in SEEN}) == 3 and len({id(h.clock) for h in SEEN}) == 3
    assert len({id(h.script) for h in SEEN}) == 1  # compiled once, frozen
    assert all(len(h.requests) == 1 and h.replay.retired for h in SEEN)
"""


def test_tests_of_a_scenario_share_its_script_not_its_state(project: pytest.Pytester) -> None:
    project.makepyfile(test_shared=SHARED_TESTS)
    result = project.runpytest(*PLUGIN, "-v", "-rs", "-p", "no:randomly")
    result.assert_outcomes(passed=5, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED [[]2[]] *n/a: nonstream-text on azure-agents*"])
