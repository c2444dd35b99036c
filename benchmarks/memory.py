"""Memory in stream length: one long stream through ``run_scenario`` against the SDK alone.

A streamed chat reply of N text deltas (200,000 at full size, about 50 MB on the wire) runs
in a fresh subprocess per subject, so each peak is its own: the process's peak resident set
(``VmHWM``, reset just before the run), and how far it rose above the resident set just
before the run (imports done, a small warm-up run done, the same compiled script in
memory). Not ``ru_maxrss``: Linux keeps it across ``exec``, so a child started from a big
parent (``python -m benchmarks`` after the other sections) reports the parent's size; every
row then read 537 MB. The subjects:

- the SDK alone: ``AsyncOpenAI`` streaming the same chunks, one per event, from
  ``httpx.MockTransport``, keeping the text (what an application keeps): the SDK's own
  footprint for the stream, with the body it is served from in memory;
- ``run_scenario`` through ``openai-sdk-chat``: the replay, the transcript with one event
  per delta (what the checks read), the checks.

The ratio is harness's peak over the SDK's; the goal is at most 2x at 200,000 deltas. A
smaller size shows whether either grows faster than the stream.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from benchmarks import ROOT, Row, spread, verdict

__all__ = ["measure", "run"]

SUBJECTS = ("sdk", "harness")
CHILD = "from benchmarks.memory import _child"


def _child(subject: str, deltas: int) -> None:
    """Run in the subprocess: print the peak RSS, and how far above the RSS before the
    run (imports done, body built) it went, as JSON."""
    import asyncio

    from harness.dialects import get_dialect
    from harness.dialects.compiled import compiled
    from harness.drivers.base import get_driver
    from harness.fuzz.faults import Faults
    from harness.run.runner import run_scenario
    from harness.scenario.model import (
        Message,
        ReplyAttempt,
        ReplyWrapper,
        Request,
        Scenario,
        TextPart,
    )
    from harness.scenario.outcome import expect_for
    from harness.transport.budget import Budget

    def long_stream(deltas: int) -> Scenario:
        text = "".join(f"w{i % 10} " for i in range(deltas))  # 3 characters a delta
        reply = ReplyAttempt(parts=[TextPart(text=text, deltas=deltas)], finish="stop")
        return Scenario(
            id="memory-long-stream",
            description="A long streamed reply (benchmarks/memory.py).",
            request=Request(messages=[Message(role="user", content="Hello")], stream=True),
            attempts=[ReplyWrapper(reply=reply)],
            expect=expect_for(reply, Faults()),
        )

    small, scenario = long_stream(10), long_stream(deltas)
    chat = get_dialect("openai-chat")
    script = compiled(chat, scenario)
    size = sum(len(c.data) for c in script.exchanges[-1].chunks)
    if subject == "sdk":
        import httpx
        import openai

        served: list[bytes] = []

        class Events(httpx.AsyncByteStream):
            async def __aiter__(self):  # type: ignore[no-untyped-def]
                for chunk in served:
                    yield chunk

        def handler(request: httpx.Request) -> httpx.Response:
            headers = {"content-type": "text/event-stream"}
            return httpx.Response(200, headers=headers, stream=Events())

        async def main() -> int:
            http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            client = openai.AsyncOpenAI(
                base_url="https://x.invalid/v1", api_key="sk-x", http_client=http
            )
            stream = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "Hello"}], stream=True
            )
            text: list[str] = []  # what an application keeps: the text, not the chunks
            count = 0
            async for chunk in stream:
                count += 1
                for choice in chunk.choices:
                    if choice.delta.content:
                        text.append(choice.delta.content)
            await http.aclose()
            return count

        served[:] = [c.data for c in compiled(chat, small).exchanges[-1].chunks]
        asyncio.run(main())  # imports, first-call caches
        served[:] = [c.data for c in script.exchanges[-1].chunks]
        base = _reset_peak()
        count = asyncio.run(main())
    else:
        driver = get_driver("openai-sdk-chat")
        run_scenario(small, driver)  # imports, first-run caches
        base = _reset_peak()
        result = run_scenario(scenario, driver, budget=Budget(wall_seconds=3600))
        assert result.status == "pass", result.reason()
        assert result.transcript is not None
        count = len(result.transcript.events)
    peak = _status("VmHWM")
    print(json.dumps({"peak": peak, "above": peak - base, "body": size, "events": count}))


def _status(field: str) -> int:
    """A size from /proc/self/status (Linux), in bytes: ``VmRSS`` now, ``VmHWM`` its peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def _reset_peak() -> int:
    """Collect, reset the process's peak resident set to the resident set now (writing 5 to
    /proc/self/clear_refs), and return that: the baseline the run's peak is taken above."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:  # not allowed here: VmHWM is then the peak since the process started
        pass
    return _status("VmRSS")


def measure(deltas: int) -> dict[str, dict[str, int]]:
    """Peak bytes above the baseline per subject, each in its own subprocess."""
    found: dict[str, dict[str, int]] = {}
    for subject in SUBJECTS:
        done = subprocess.run(
            [sys.executable, "-c", f"{CHILD}; _child({subject!r}, {deltas})"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        found[subject] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run(quick: bool) -> list[Row]:
    sizes = (2_000, 20_000) if quick else (25_000, 200_000)
    rounds = 1 if quick else 2
    rows: list[Row] = []
    for deltas in sizes:
        results = [measure(deltas) for _ in range(rounds)]
        sdk = [r["sdk"]["peak"] for r in results]
        mine = [r["harness"]["peak"] for r in results]
        ratios = [m / s for m, s in zip(mine, sdk, strict=True)]
        body = results[0]["sdk"]["body"]
        bench = f"peak RSS (VmHWM), a {deltas:,}-delta stream ({body / 1e6:.0f} MB on the wire)"
        goal = deltas == sizes[-1]

        def above(subject: str, found: list[dict[str, dict[str, int]]] = results) -> str:
            return spread([r[subject]["above"] / 1e6 for r in found], "{:.0f}", " MB")

        def per_event(subject: str, found: list[dict[str, dict[str, int]]] = results) -> str:
            each = [r[subject]["above"] / r[subject]["events"] for r in found]
            return f"{statistics.median(each):.0f} B"

        rows.append(
            Row(
                bench,
                "the SDK alone (AsyncOpenAI on httpx.MockTransport, keeping the text)",
                spread([s / 1e6 for s in sdk], "{:.0f}", " MB"),
                "1.00x",
                f"{above('sdk')} above the process before the run; {rounds} subprocesses",
            )
        )
        rows.append(
            Row(
                bench,
                "harness run_scenario (openai-sdk-chat), transcript and checks",
                spread([m / 1e6 for m in mine], "{:.0f}", " MB"),
                spread(ratios, "{:.2f}", "x the SDK"),
                f"{above('harness')} above the process before the run "
                f"({per_event('harness')} an event, the SDK {per_event('sdk')}); "
                f"{results[0]['harness']['events']:,} events kept",
                "<= 2x the SDK alone" if goal else "",
                verdict(max(ratios) <= 2.0) if goal else "",
            )
        )
    return rows
