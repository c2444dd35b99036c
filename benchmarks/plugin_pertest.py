"""Per-test cost of ``harness_replay`` against respx and pytest-httpx, the same test each.

One pytest project, three test modules of N tests each; every test streams the same chat
completion (``text-plain``'s bytes, one chunk per event) through ``openai.AsyncOpenAI``
with pytest-asyncio, and reads every chunk. The SDK's ``httpx.AsyncClient`` is built per
test (as a test does) with one SSL context made once for the module, so no subject pays
for certificates: ``harness_replay`` serves it through the scenario marker, respx through
its router (``respx_mock``), pytest-httpx through ``httpx_mock``. Each module runs in its
own pytest process; a hook wrapper takes the CPU time (``time.process_time``) of each
test's setup, call and teardown, and the cost is the median over the tests (the first
test, which imports, is left out). Rounds alternate the subjects; the ratios to respx and
pytest-httpx are taken within each round. Goal: harness at or under both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Row, median, spread, verdict

__all__ = ["SUBJECTS", "measure", "run"]

SUBJECTS = ("harness_replay", "respx", "pytest-httpx")
SCENARIO = "text-plain"

CONFTEST = """
import json, os, time
import pytest

TIMES = []

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.process_time()
    yield
    TIMES.append(time.process_time() - started)

def pytest_sessionfinish(session):
    with open(os.environ["PERTEST_OUT"], "w") as out:
        json.dump(TIMES, out)
"""

COMMON = """
import ssl
import httpx
import openai
import pytest

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
"""

TESTS = {
    "harness_replay": """
@pytest.mark.harness_scenario("{scenario}")
@pytest.mark.parametrize("n", range({n}))
async def test_replay(n, harness_replay):
    assert len(await ask()) == {events}
""",
    "respx": """
class Events(httpx.AsyncByteStream):
    async def __aiter__(self):
        for chunk in CHUNKS:
            yield chunk


@pytest.mark.parametrize("n", range({n}))
async def test_replay(n, respx_mock):
    respx_mock.post(URL).mock(
        return_value=httpx.Response(200, headers=HEADERS, stream=Events())
    )
    assert len(await ask()) == {events}
""",
    "pytest-httpx": """
from pytest_httpx import IteratorStream


@pytest.mark.parametrize("n", range({n}))
async def test_replay(n, httpx_mock):
    httpx_mock.add_response(url=URL, headers=HEADERS, stream=IteratorStream(CHUNKS))
    assert len(await ask()) == {events}
""",
}


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
    for subject, body in TESTS.items():
        text = COMMON.format(chunks=chunks) + body.format(scenario=SCENARIO, n=n, events=events)
        (folder / f"test_{subject.replace('-', '_')}.py").write_text(text, encoding="utf-8")
    return folder


def _per_test(folder: Path, subject: str) -> float:
    out = folder / f"{subject}.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    module = f"test_{subject.replace('-', '_')}.py"
    env = {**__import__("os").environ, "PERTEST_OUT": str(out)}
    done = subprocess.run([*command, module], cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{subject}: pytest failed\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    times: list[float] = json.loads(out.read_text())
    return median(times[1:])


def measure(n: int, rounds: int) -> dict[str, list[float]]:
    """Median CPU seconds per test, per subject, one value per round."""
    folder = _project(n)
    found: dict[str, list[float]] = {s: [] for s in SUBJECTS}
    for round_ in range(rounds):
        order = SUBJECTS if round_ % 2 == 0 else tuple(reversed(SUBJECTS))
        for subject in order:
            found[subject].append(_per_test(folder, subject))
    return found


def run(quick: bool) -> list[Row]:
    found = measure(20 if quick else 100, 2 if quick else 3)
    bench = f"per-test cost, {SCENARIO} through AsyncOpenAI (CPU time per test)"
    rows = []
    for subject in SUBJECTS:
        ms = [t * 1000 for t in found[subject]]
        vs = {
            other: [a / b for a, b in zip(found[subject], found[other], strict=True)]
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
                "setup + call + teardown, median over the tests; min / median / max of rounds",
                "<= 1.0x respx and pytest-httpx (medians)" if goal else "",
                verdict(ok) if goal else "",
            )
        )
    return rows
