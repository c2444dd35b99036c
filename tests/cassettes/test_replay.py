"""Cassette -> Script: recorded reads and timing, re-cutting, foreign cassettes, and what the
served headers say."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.model import (
    Cassette,
    Interaction,
    RecordedChunk,
    RecordedRequest,
    RecordedResponse,
)
from harness.cassettes.replay import cassette_replay, cassette_script, script_cassette
from harness.dialects.script import Chunk
from harness.transport import ReplayMiss, serving, transport_for
from harness.transport.clock import Clock

EVENTS = [b'data: {"n":1}\n\n', b'data: {"n":2}\n\n', b"data: [DONE]\n\n"]
SSE = b"".join(EVENTS)
CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpus"


def one(
    body: bytes = SSE,
    chunks: tuple[RecordedChunk, ...] | None = None,
    headers: tuple[tuple[str, str], ...] = (("content-type", "text/event-stream"),),
    uri: str = "https://api.openai.com/v1/chat/completions",
    **response: object,
) -> Cassette:
    interaction = Interaction(
        RecordedRequest("POST", uri, (), b'{"stream": true}'),
        RecordedResponse(200, "OK", headers, body, chunks, **response),  # type: ignore[arg-type]
        line=2,
    )
    return Cassette((interaction,), source="c.yaml")


RECORDED = (
    RecordedChunk(0.0, EVENTS[0]),
    RecordedChunk(0.25, EVENTS[1][:5]),
    RecordedChunk(0.75, EVENTS[1][5:] + EVENTS[2]),
)


def test_recorded_reads_keep_their_boundaries_and_delays() -> None:
    exchange = cassette_script(one(chunks=RECORDED, latency=0.5)).exchanges[0]
    assert exchange.chunks == (
        Chunk(EVENTS[0], 0.0),
        Chunk(EVENTS[1][:5], 0.25),
        Chunk(EVENTS[1][5:] + EVENTS[2], 0.5),
    )
    assert exchange.delay == 0.5
    assert exchange.label == "recorded c.yaml:2 (interaction 1)"


def test_timing_can_be_dropped() -> None:
    exchange = cassette_script(one(chunks=RECORDED, latency=0.5), timing=False).exchanges[0]
    assert [c.delay for c in exchange.chunks] == [0.0, 0.0, 0.0] and exchange.delay == 0.0


def test_re_cut_per_event_keeps_the_time_each_event_completed() -> None:
    exchange = cassette_script(one(chunks=RECORDED), chunking="per_event").exchanges[0]
    assert [c.data for c in exchange.chunks] == EVENTS
    assert [c.delay for c in exchange.chunks] == [0.0, 0.75, 0.0]


def test_re_cut_every_n_bytes() -> None:
    from harness.scenario.model import EveryN

    exchange = cassette_script(one(), chunking=EveryN(every=7)).exchanges[0]
    assert all(len(c.data) <= 7 for c in exchange.chunks)
    assert exchange.body == SSE


def test_foreign_cassette_is_one_blob_or_split_per_event() -> None:
    crlf = SSE.replace(b"\n", b"\r\n")
    assert len(cassette_script(one(body=crlf)).exchanges[0].chunks) == 1
    per_event = cassette_script(one(body=crlf), chunking="per_event").exchanges[0]
    assert [c.data for c in per_event.chunks] == [e.replace(b"\n", b"\r\n") for e in EVENTS]


def test_missing_content_type_is_inferred_from_the_body() -> None:
    stream = cassette_script(one(headers=())).exchanges[0]
    assert ("content-type", "text/event-stream") in stream.headers
    json_reply = cassette_script(one(body=b'{"ok": true}', headers=())).exchanges[0]
    assert ("content-type", "application/json") in json_reply.headers


def test_bodies_are_served_decoded_without_stale_length_or_encoding() -> None:
    headers = (
        ("Content-Type", "application/json"),
        ("Content-Encoding", "gzip"),
        ("Content-Length", "999"),
        ("Transfer-Encoding", "chunked"),
    )
    compressed = cassette_script(one(body=gzip.compress(b'{"a": 1}'), headers=headers))
    assert compressed.exchanges[0].body == b'{"a": 1}'
    assert [k for k, _ in compressed.exchanges[0].headers] == ["Content-Type"]
    # the dd-trace-py quirk: the header says gzip, the stored body is plain text
    plain = cassette_script(one(body=b'{"a": 1}', headers=headers))
    assert plain.exchanges[0].body == b'{"a": 1}'


def test_redacted_query_values_are_not_required_real_ones_are() -> None:
    uri = "https://h/v1beta/models/g:streamGenerateContent?alt=sse&key=REDACTED"
    replay = cassette_replay(one(uri=uri), Clock())
    with httpx.Client(transport=transport_for(replay)) as client:
        with pytest.raises(ReplayMiss, match="query: expected alt='sse'"):
            client.post("https://h/v1beta/models/g:streamGenerateContent?key=real")
        response = client.post("https://h/v1beta/models/g:streamGenerateContent?alt=sse&key=real")
    assert response.content == SSE


def test_a_recorded_cut_replays_as_a_cut() -> None:
    replay = cassette_replay(one(chunks=RECORDED[:2], body=SSE[:20], end="cut"), Clock())
    with (
        httpx.Client(transport=transport_for(replay)) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post("https://api.openai.com/v1/chat/completions").read()


def test_scenario_to_cassette_and_back_serves_the_same_wire(tmp_path: Path) -> None:
    from harness.cassettes.format import write_cassette
    from harness.dialects import get_dialect
    from harness.scenario.load import load_scenario

    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / "scenarios" / "wire-split-utf8.yaml")
    script = get_dialect("openai-chat").synthesize(scenario)
    path = tmp_path / "from-scenario.yaml"
    write_cassette(path, script_cassette(script, "https://api.openai.com/v1", scenario))
    back = cassette_script(load_cassette(path))
    for original, replayed in zip(script.exchanges, back.exchanges, strict=True):
        assert [c.data for c in replayed.chunks] == [c.data for c in original.chunks]
        assert [c.delay for c in replayed.chunks] == pytest.approx(
            [c.delay for c in original.chunks]
        )
        assert replayed.status == original.status


def test_a_real_vcrpy_cassette_replays_to_the_openai_sdk() -> None:
    openai = pytest.importorskip("openai")
    path = (
        CORPUS / "openai-chat" / "dd-trace-py__openai__openai_chat_completions_post_0fdef9ab.yaml"
    )
    if not path.exists():
        pytest.skip(f"no corpus at {CORPUS}")
    replay = cassette_replay(load_cassette(path), Clock(), chunking="per_event")
    with serving(replay, ("httpx",)):
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text and not replay.misses and not replay.remaining
