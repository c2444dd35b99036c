"""Per-test cost of ``harness_replay`` against respx and pytest-httpx, the same test each.

One pytest project, one test module with three test functions of N parametrized tests each
(one per subject); every test streams the same chat completion (``text-plain``'s bytes, one
chunk per event) through ``openai.AsyncOpenAI`` with pytest-asyncio, and reads every chunk.
Each test is what a user of that tool writes: ``harness_replay`` serves the SDK through the
scenario marker, respx through its router (``respx_mock``), pytest-httpx through
``httpx_mock``. The SDK's ``httpx.AsyncClient`` is built per test (as a test does) with one
SSL context made once for the module, so no subject pays for certificates.

Same conditions: the three subjects run interleaved in one pytest process (the conftest
reorders the items: one test of each subject in turn, in a random order per group, drawn
from the round's seed), so a change of machine load during a round reaches all three
alike; separate processes one after the other let it land on one subject only. A hook
wrapper takes the CPU time (``time.process_time``) of each test's setup, call and teardown
(its first test, which imports, is left out). A subject's cost in a round is the median
over its tests. Its ratio to another is paired: each group of three tests runs within some
30 ms, so the ratio of a subject's test to the other's in the same group cancels the
machine's changes of pace (here a test's CPU time ranges from 5 to 10 ms within one round,
both subjects alike), and the round's ratio is the median over the groups. A row gives the
min / median / max over the rounds, each round a fresh process. Goal: harness at or under
both.

The garbage collector is shared too: a young-generation collection runs inside whichever
test's allocation crosses the threshold, so a subject whose objects stay alive through its
test (a fixture's) draws more of them than its own garbage alone would; the CPU time
includes that, as a suite of such tests would pay it. The orders are random, not a fixed
cycle: with the six orders in turn, a group's allocations and the threshold fell into step
and the same places in the cycle drew the collections, whatever ran there: of one round's
310 young collections, harness_replay's calls drew 140 and pytest-httpx's 15; with the
six orders reversed, 29 and 143.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Row, median, spread, verdict

__all__ = ["SUBJECTS", "measure", "run"]

SUBJECTS = ("harness_replay", "respx", "pytest-httpx")
SCENARIO = "text-plain"

CONFTEST = """
import json, os, random, time
import pytest

TIMES = {}


def pytest_collection_modifyitems(items):
    by_test = {}
    for item in items:
        by_test.setdefault(item.originalname, []).append(item)
    draw = random.Random(int(os.environ["PERTEST_SEED"]))
    interleaved = []
    for group in zip(*by_test.values(), strict=True):
        interleaved += draw.sample(group, len(group))
    items[:] = interleaved


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.process_time()
    yield
    TIMES.setdefault(item.originalname, []).append(time.process_time() - started)


def pytest_sessionfinish(session):
    with open(os.environ["PERTEST_OUT"], "w") as out:
        json.dump(TIMES, out)
"""

COMMON = """
import ssl
import httpx
import openai
import pytest
from pytest_httpx import IteratorStream

SSL = ssl.create_default_context()
URL = "https://api.openai.com/v1/chat/completions"
CHUNKS = {chunks!r}
HEADERS = {{"content-type": "text/event-stream"}}


async def ask():
    http = httpx.AsyncClient(verify=SSL)
    client = openai.AsyncOpenAI(api_key="sk-test", http_client=http, max_retries=0)
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{{"role": "user", "content": "Hi"}}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    await http.aclose()
    return chunks


class Events(httpx.AsyncByteStream):
    async def __aiter__(self):
        for chunk in CHUNKS:
            yield chunk
"""

TESTS = {
    "harness_replay": """
@pytest.mark.harness_scenario("{scenario}")
@pytest.mark.parametrize("n", range({n}))
async def test_harness_replay(n, harness_replay):
    assert len(await ask()) == {events}
""",
    "respx": """
@pytest.mark.parametrize("n", range({n}))
async def test_respx(n, respx_mock):
    respx_mock.post(URL).mock(
        return_value=httpx.Response(200, headers=HEADERS, stream=Events())
    )
    assert len(await ask()) == {events}
""",
    "pytest-httpx": """
@pytest.mark.parametrize("n", range({n}))
async def test_pytest_httpx(n, httpx_mock):
    httpx_mock.add_response(url=URL, headers=HEADERS, stream=IteratorStream(CHUNKS))
    assert len(await ask()) == {events}
""",
}
"""Each subject's test, as its user writes it; the function name is ``test_<subject>``."""


def _test_name(subject: str) -> str:
    return f"test_{subject.replace('-', '_')}"


def _project(n: int) -> Path:
    from benchmarks import ROOT
    from harness.dialects import get_dialect
    from harness.scenario.load import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / f"{SCENARIO}.yaml")
    script = get_dialect("openai-chat").synthesize(scenario)
    chunks = [c.data for c in script.exchanges[-1].chunks]
    events = sum(1 for c in chunks if c.startswith(b"data: {"))
    folder = Path(tempfile.mkdtemp(prefix="harness-pertest-"))
    (folder / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n", encoding="utf-8")
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    text = COMMON.format(chunks=chunks)
    text += "".join(b.format(scenario=SCENARIO, n=n, events=events) for b in TESTS.values())
    (folder / "test_pertest.py").write_text(text, encoding="utf-8")
    return folder


def _round(folder: Path, seed: int) -> dict[str, list[float]]:
    """One pytest process running the three subjects interleaved (the groups' orders drawn
    from ``seed``): each one's CPU seconds per test, in the order run (the k-th of each
    subject ran in the k-th group)."""
    out = folder / "times.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    env = {**os.environ, "PERTEST_OUT": str(out), "PERTEST_SEED": str(seed)}
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pytest failed\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    times: dict[str, list[float]] = json.loads(out.read_text())
    return {s: times[_test_name(s)][1:] for s in SUBJECTS}


def paired(one: list[float], other: list[float]) -> float:
    """The median over the groups of ``one``'s test time over ``other``'s in that group."""
    return median([a / b for a, b in zip(one, other, strict=True)])


def measure(n: int, rounds: int) -> list[dict[str, list[float]]]:
    """Each round's CPU seconds per test, per subject (:func:`_round`)."""
    folder = _project(n)
    return [_round(folder, seed) for seed in range(rounds)]


def run(quick: bool) -> list[Row]:
    found = measure(20 if quick else 100, 2 if quick else 5)
    bench = f"per-test cost, {SCENARIO} through AsyncOpenAI (CPU time per test)"
    rows = []
    for subject in SUBJECTS:
        ms = [median(times[subject]) * 1000 for times in found]
        vs = {
            other: [paired(times[subject], times[other]) for times in found]
            for other in ("respx", "pytest-httpx")
            if other != subject
        }
        ratio = "; ".join(f"{spread(r, '{:.2f}', 'x')} {o}" for o, r in vs.items())
        goal = subject == "harness_replay"
        ok = goal and all(median(r) <= 1.0 for r in vs.values())
        rows.append(
            Row(
                bench,
                subject,
                spread(ms, "{:.1f}", " ms"),
                ratio,
                "interleaved in one process per round; setup + call + teardown, median over "
                "the tests; ratios paired within each group of three; min / median / max of "
                f"{len(found)} rounds",
                "<= 1.0x respx and pytest-httpx (medians)" if goal else "",
                verdict(ok) if goal else "",
            )
        )
    return rows
