"""The benchmarks are not tests, but they must keep running: the stream they share is what
it claims to be, every decoder agrees on it, the table renders, and ``--quick`` runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import Row
from benchmarks.__main__ import render
from benchmarks.plugin_pertest import paired
from benchmarks.sse_decode import DECODERS, reads, stream
from benchmarks.stream import EVENTS, body, events
from harness.dialects.sse import decode

ROOT = Path(__file__).resolve().parents[2]


def test_the_stream_is_225_events_of_about_56_kb() -> None:
    assert len(events()) == EVENTS == len(decode(body()))
    assert 50_000 < len(body()) < 60_000
    assert events()[-1] == b"data: [DONE]\n\n"


def test_every_decoder_finds_every_event_however_the_bytes_are_cut() -> None:
    chunks = stream(200_000)
    expected = sum(1 for chunk in chunks if chunk.startswith(b"data: "))
    for name, decoder in DECODERS.items():
        assert decoder(chunks) == expected, name
        assert decoder(reads(chunks, 4096)) == expected, name


def test_per_test_ratios_are_paired_within_each_group() -> None:
    """A slow stretch of the machine (from the third group on) slows both subjects alike:
    each group's ratio, and so the paired one, stays 0.9."""
    harness, other = [9.0, 9.0, 18.0, 18.0, 18.0], [10.0, 10.0, 20.0, 20.0, 20.0]
    assert paired(harness, other) == pytest.approx(0.9)
    assert paired([2.0, 1.0, 3.0], [1.0, 1.0, 1.0]) == 2.0  # the median group, not the mean


def test_the_table_names_the_machine_and_lists_the_goals() -> None:
    rows = [
        Row("replay", "harness", "100 µs", "1.01x", "225 chunks", "<= 1.05x", "PASS"),
        Row("replay", "respx", "117 µs", "1.17x", "a | b"),
    ]
    text = render(rows, quick=False, seconds=1.0)
    assert "CPUs (nproc)" in text and "Python 3." in text
    assert "| replay | respx | 117 µs | 1.17x | a \\| b |  |  |" in text
    assert "- **PASS** replay, harness: 100 µs (1.01x), goal <= 1.05x" in text


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("HARNESS_SLOW") != "1", reason="about a minute: set HARNESS_SLOW=1"
)
def test_quick_run_completes(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("replay", "SSE decode", "retry-429-long-waits", "examples/s", "start-up"):
        assert heading in text, heading
    assert "ERROR" not in text


def test_the_readme_table_takes_the_goal_rows_and_rewrites_only_its_block(tmp_path: Path) -> None:
    from benchmarks import readme

    rows = [
        Row("replay", "harness", "100 µs", "1.01x", "225 chunks", "<= 1.05x", "PASS"),
        Row("replay", "respx", "117 µs", "1.17x", "a | b"),
        Row("load", "scenarios", "0.8 ms", "", "", "< 20 ms", "MISS"),
    ]
    results = render(rows, quick=False, seconds=1.0)
    assert [r["subject"] for r in readme.goal_rows(results)] == ["harness", "scenarios"]
    page = tmp_path / "README.md"
    page.write_text(f"# x\n\n{readme.BEGIN}\nold\n{readme.END}\n\ntail\n", encoding="utf-8")
    assert readme.rewrite(results, page)
    text = page.read_text(encoding="utf-8")
    assert "| replay: harness | 1.01x | <= 1.05x | **PASS** |" in text
    assert "| load: scenarios | 0.8 ms | < 20 ms | **MISS** |" in text
    assert "respx" not in text and "old" not in text and text.endswith("\n\ntail\n")
    assert not readme.rewrite(results, page)  # already current
