"""Timelines: what the replay served and when, drawn from a transcript (text and SVG)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.report.timeline import render_svg, render_text, timeline
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import RequestRecord, ResponseRecord, TextEvent, Transcript
from tests.checks.planted import Bugs, PlantedDriver

ROOT = Path(__file__).resolve().parents[2]


def transcript(scenario: str, bugs: Bugs | None = None) -> Transcript:
    run = run_scenario(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"), PlantedDriver(bugs))
    assert run.transcript is not None
    return run.transcript


def test_retry_after_asked_and_waited_are_both_shown() -> None:
    t = transcript("retry-429-seconds")
    marks = timeline(t)
    assert marks[0].kind == "request" and marks[0].at == 0.0
    first = next(r for r in t.responses if r.status == 429)
    assert first.retry_after == 2.0 and first.request == 0
    wait = next(m for m in marks if m.kind == "wait")
    assert "Retry-After asked 2 s" in wait.label and wait.tone == "info"
    assert wait.until is not None and wait.until >= 2.0
    second = [m for m in marks if m.kind == "request"][1]
    assert second.at == wait.until


def test_a_wait_shorter_than_asked_is_flagged() -> None:
    t = transcript("retry-429-seconds", Bugs(ignore_retry_after=True))
    wait = next(m for m in timeline(t) if m.kind == "wait")
    assert wait.tone == "warn" and "sooner than asked" in wait.label


def test_where_the_stream_was_cut() -> None:
    t = transcript("fault-stream-cut")
    (response,) = t.responses
    assert response.end == "cut" and response.end_at is not None and response.chunks > 0
    end = next(m for m in timeline(t) if m.kind == "end")
    assert end.tone == "bad" and f"cut by the server after {response.chunks} chunks" in end.label
    error = [m for m in timeline(t) if m.kind == "event"][-1]
    assert error.label.startswith("error") and error.at >= end.at


def test_a_stall_waits_for_the_read_timeout() -> None:
    t = transcript("fault-stream-stall")
    (response,) = t.responses
    assert response.end == "stall"
    assert response.end_at is not None and response.head_at is not None
    assert response.end_at - response.head_at >= 1.0  # the client's read timeout, virtual
    assert "read timeout" in render_text(t)


def test_events_carry_their_virtual_times() -> None:
    t = transcript("text-plain")
    assert len(t.event_times) == len(t.events) > 0
    assert t.event_times == sorted(t.event_times)
    texts = [m for m in timeline(t) if m.kind == "event" and m.label.startswith("text")]
    assert len(texts) == 1 and repr(t.text())[:10] in texts[0].label  # consecutive: one mark


def test_time_starts_at_the_first_request() -> None:
    """Whatever the clock counted before (imports, set-up) is not on the axis."""
    t = Transcript(
        scenario="s",
        driver="d",
        dialect="openai-chat",
        requests=[
            RequestRecord(method="POST", url="u", path="/p", headers={}, at=11.5, exchange=0),
            RequestRecord(method="POST", url="u", path="/p", headers={}, at=14.5, exchange=1),
        ],
        responses=[
            ResponseRecord(
                request=0, status=429, retry_after=3, head_at=11.5, end="complete", end_at=11.5
            ),
            ResponseRecord(request=1, status=200, head_at=14.5, end="complete", end_at=14.5),
        ],
        events=[TextEvent(text="hi")],
        event_times=[14.5],
    )
    marks = timeline(t)
    assert [m.at for m in marks if m.kind == "request"] == [0.0, 3.0]
    assert marks[-1].kind == "event" and marks[-1].at == 3.0
    assert "     0.000  -> POST /p" in render_text(t)


def test_older_transcripts_without_responses_still_render() -> None:
    t = Transcript(scenario="s", driver="d", dialect="x", events=[TextEvent(text="hi")])
    assert "text 'hi'" in render_text(t)
    ET.fromstring(render_svg(t))


@pytest.mark.parametrize("scenario", ["retry-429-seconds", "fault-stream-cut", "text-plain"])
def test_svg_is_well_formed_with_a_tooltip_per_mark(scenario: str) -> None:
    t = transcript(scenario)
    svg = ET.fromstring(render_svg(t))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg"
    tips = [e.text for e in svg.iter(f"{ns}title")]
    marks = timeline(t)
    asked = sum(1 for m in marks if m.asked_until is not None)
    assert len(tips) == 1 + len(marks) + asked  # the figure, each mark, each wait asked for
    assert "<script" not in render_svg(t)


def test_a_request_answered_at_once_reads_as_one_line() -> None:
    def request(at: float, n: int) -> RequestRecord:
        return RequestRecord(method="GET", url="u", path="/runs/1", headers={}, at=at, exchange=n)

    def answer(n: int, at: float) -> ResponseRecord:
        return ResponseRecord(
            request=n, status=200, head_at=at, end="complete", end_at=at, chunks=1
        )

    t = Transcript(
        scenario="s",
        driver="d",
        dialect="azure-agents",
        requests=[request(5.0, 0), request(6.0, 1)],
        responses=[answer(0, 5.0), answer(1, 6.0)],
    )
    assert render_text(t).splitlines()[1:] == [
        "     0.000  -> GET /runs/1 -> 200, body complete (1 chunk)",
        "     0.000  ~~ poll interval 1 s until 1.000",
        "     1.000  -> GET /runs/1 -> 200, body complete (1 chunk)",
    ]
