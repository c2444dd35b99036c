"""Recording against a real local server: every read and its offset, both HTTP libraries,
sync and async; record modes; and replay of the result, by harness and by plain vcrpy."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.model import CassetteError, CassetteMiss
from harness.cassettes.record import recording
from harness.cassettes.replay import cassette_replay, cassette_script
from harness.transport import ReplayMiss, transport_for
from harness.transport.clock import Clock
from tests.cassettes.server import Server, serve


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as spec:
        yield spec


@pytest.fixture(params=["httpx", "httpx2"])
def library(request: pytest.FixtureRequest) -> Any:
    return pytest.importorskip(request.param)


def stream_sync(lib: Any, url: str) -> list[bytes]:
    with lib.Client() as client, client.stream("POST", url, json={"stream": True}) as response:
        return list(response.iter_raw())


async def stream_async(lib: Any, url: str) -> list[bytes]:
    async with (
        lib.AsyncClient() as client,
        client.stream("POST", url, json={"stream": True}) as response,
    ):
        return [chunk async for chunk in response.aiter_raw()]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_records_each_read_with_its_offset(
    server: Server, library: Any, mode: str, tmp_path: Path
) -> None:
    server.events, server.delay = 6, 0.02
    path = tmp_path / "stream.yaml"
    url = server.base + "/v1/chat/completions"
    with recording(path, "once") as recorder:
        if mode == "sync":
            got = stream_sync(library, url)
        else:
            got = asyncio.run(stream_async(library, url))
    assert len(recorder.interactions) == 1
    response = load_cassette(path).interactions[0].response
    assert response.chunks is not None
    assert [c.data for c in response.chunks] == got == server.stream_events()
    offsets = [c.offset for c in response.chunks]
    assert offsets == sorted(offsets)
    # the server sleeps between events, so the reads were timed (no bound on how long: the
    # machine's load decides that, and a verdict never depends on machine speed)
    assert offsets[-1] > offsets[0]
    assert response.latency is not None and response.latency >= 0


def test_fifty_events_replay_as_fifty_chunks_at_the_recorded_offsets(
    server: Server, tmp_path: Path
) -> None:
    import httpx

    server.events, server.delay = 50, 0.004
    path = tmp_path / "fifty.yaml"
    with recording(path, "once"):
        stream_sync(httpx, server.base + "/v1/chat/completions")
    recorded = load_cassette(path)
    chunks = recorded.interactions[0].response.chunks
    assert chunks is not None and len(chunks) == 50

    clock = Clock()
    replay = cassette_replay(recorded, clock)
    seen: list[float] = []
    with (
        httpx.Client(transport=transport_for(replay)) as client,
        client.stream("POST", "http://anything/v1/chat/completions") as response,
    ):
        for _ in response.iter_raw():
            seen.append(clock.offset)  # virtual seconds skipped, no real waiting
    latency = recorded.interactions[0].response.latency or 0.0
    assert len(seen) == 50
    assert seen == pytest.approx([latency + c.offset for c in chunks], abs=1e-5)


def test_replay_is_virtual_no_real_wait(server: Server, tmp_path: Path) -> None:

    import httpx

    server.events, server.delay = 5, 0.05
    path = tmp_path / "slow.yaml"
    with recording(path, "once"):
        stream_sync(httpx, server.base + "/v1/chat/completions")
    with recording(path, "once") as recorder:
        got = stream_sync(httpx, server.base + "/v1/chat/completions")
    assert recorder.replay is not None and got == server.stream_events()
    # the recorded delays were replayed on the virtual clock (it moves only when waited on)
    assert recorder.clock.elapsed() >= 4 * 0.05 * 0.9


# --------------------------------------------------------------------------- modes


def test_once_replays_an_existing_cassette_without_touching_the_network(
    server: Server, tmp_path: Path
) -> None:
    import httpx

    path = tmp_path / "c.yaml"
    with recording(path, "once"):
        httpx.post(server.base + "/echo", json={"n": 1})
    before = path.read_bytes()
    calls = len(server.received)
    with recording(path, "once"):
        assert httpx.post(server.base + "/echo", json={"n": 1}).json()["path"] == "/echo"
    assert len(server.received) == calls
    assert path.read_bytes() == before


def test_none_mode_needs_a_cassette_and_never_records(server: Server, tmp_path: Path) -> None:
    import httpx

    with pytest.raises(CassetteError, match="only replays"), recording(tmp_path / "x.yaml", "none"):
        pass
    path = tmp_path / "c.yaml"
    with recording(path, "once"):
        httpx.post(server.base + "/echo")
    with recording(path, "none") as recorder:
        httpx.post(server.base + "/echo")
        with pytest.raises(ReplayMiss, match="all 1 scripted exchange"):
            httpx.post(server.base + "/other")
    assert recorder.replay is not None and len(recorder.replay.misses) == 1


def test_new_episodes_replays_known_requests_and_appends_new_ones(
    server: Server, tmp_path: Path
) -> None:
    import httpx

    path = tmp_path / "c.yaml"
    with recording(path, "once"):
        httpx.post(server.base + "/echo/a")
    with recording(path, "new_episodes") as recorder:
        assert httpx.post(server.base + "/echo/a").json()["path"] == "/echo/a"  # replayed
        assert httpx.post(server.base + "/echo/b").json()["path"] == "/echo/b"  # recorded
    assert [r["path"] for r in server.received] == ["/echo/a", "/echo/b"]
    assert len(recorder.interactions) == 1
    assert [i.request.path for i in load_cassette(path).interactions] == ["/echo/a", "/echo/b"]


def test_all_mode_overwrites(server: Server, tmp_path: Path) -> None:
    import httpx

    path = tmp_path / "c.yaml"
    with recording(path, "once"):
        httpx.post(server.base + "/echo/old")
    with recording(path, "all"):
        httpx.post(server.base + "/echo/new")
    assert [i.request.path for i in load_cassette(path).interactions] == ["/echo/new"]


def test_once_never_overwrites_a_cassette_that_appeared_meanwhile(
    server: Server, tmp_path: Path
) -> None:
    import httpx

    path = tmp_path / "c.yaml"
    with pytest.raises(CassetteError, match="not overwriting"), recording(path, "once"):
        httpx.post(server.base + "/echo")
        path.write_text("someone else's cassette\n", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "someone else's cassette\n"


def test_unknown_mode_is_an_error(tmp_path: Path) -> None:
    mode: Any = "sometimes"
    with pytest.raises(CassetteError, match="unknown record mode"), recording(tmp_path / "c", mode):
        pass


def test_recording_is_undone_on_exit(server: Server, tmp_path: Path) -> None:
    import httpx

    before = {c: dict(vars(c)) for c in (httpx.Client, httpx.AsyncClient)}
    with recording(tmp_path / "c.yaml", "all") as recorder:
        httpx.post(server.base + "/echo")
    httpx.post(server.base + "/echo")
    assert len(recorder.interactions) == 1
    assert {c: dict(vars(c)) for c in (httpx.Client, httpx.AsyncClient)} == before


def test_connection_errors_are_not_recorded(tmp_path: Path) -> None:
    import httpx

    path = tmp_path / "c.yaml"
    with recording(path, "all") as recorder, pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:9/nothing-listens-here")
    assert recorder.interactions == []
    assert not path.exists()


def test_gzip_bodies_are_recorded_decoded(server: Server, tmp_path: Path) -> None:
    import httpx

    server.echo = {"text": "héllo"}
    path = tmp_path / "c.yaml"
    with recording(path, "once"):
        assert httpx.get(server.base + "/gzip").json() == {"ok": True, "text": "héllo"}
    response = load_cassette(path).interactions[0].response
    assert response.json() == {"ok": True, "text": "héllo"}
    assert response.header("content-encoding") is None


def test_missing_request_in_replay_only_mode_names_the_cassette(tmp_path: Path) -> None:
    from harness.cassettes.model import RecordedRequest
    from harness.cassettes.record import Recorder

    recorder = Recorder(tmp_path / "c.yaml", "none")
    recorder.replay = None
    with pytest.raises(CassetteMiss, match=r"c\.yaml: record mode 'none' does not record"):
        recorder.begin(RecordedRequest("GET", "http://x/y"))


# --------------------------------------------------------------------------- SDK and vcrpy


def test_openai_sdk_stream_records_and_replays_through_the_sdk(
    server: Server, tmp_path: Path
) -> None:
    openai = pytest.importorskip("openai")
    server.events, server.delay = 4, 0.01
    path = tmp_path / "sdk.yaml"

    def run() -> str:
        client = openai.OpenAI(
            base_url=server.base + "/v1", api_key="sk-" + "q7" * 24, max_retries=0
        )
        stream = client.chat.completions.create(
            model="gpt-local", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    with recording(path, "once"):
        recorded_text = run()
    assert recorded_text == "w0 w1 w2 "
    assert "q7q7" not in path.read_text(encoding="utf-8")
    with recording(path, "none") as recorder:
        assert run() == recorded_text
    assert recorder.replay is not None and not recorder.replay.misses


def test_plain_vcrpy_replays_a_harness_cassette_as_one_blob(server: Server, tmp_path: Path) -> None:
    import httpx
    import vcr

    server.events, server.delay = 5, 0.005
    path = tmp_path / "c.yaml"
    url = server.base + "/v1/chat/completions"
    with recording(path, "once"):
        stream_sync(httpx, url)
    calls = len(server.received)
    my_vcr = vcr.VCR(record_mode="none", match_on=["method", "scheme", "host", "port", "path"])
    with my_vcr.use_cassette(str(path)) as cassette:
        with (
            httpx.Client() as client,
            client.stream("POST", url, json={"stream": True}) as response,
        ):
            chunks = list(response.iter_raw())
        assert cassette.play_count == 1
    assert b"".join(chunks) == b"".join(server.stream_events())
    assert len(server.received) == calls  # served from the cassette, not the server


def test_harness_replays_a_vcrpy_recorded_cassette(server: Server, tmp_path: Path) -> None:
    import httpx
    import vcr

    path = tmp_path / "vcrpy.yaml"
    url = server.base + "/v1/chat/completions"
    with vcr.use_cassette(str(path), record_mode="once"):
        stream_sync(httpx, url)
    foreign = load_cassette(path)
    assert foreign.format == "vcrpy" and foreign.interactions[0].response.chunks is None
    whole = cassette_script(foreign)
    assert len(whole.exchanges[0].chunks) == 1  # one blob, as vcrpy itself replays it
    per_event = cassette_script(foreign, chunking="per_event").exchanges[0].chunks
    assert b"".join(c.data for c in per_event) == b"".join(server.stream_events())
    assert len(per_event) == server.events + 1  # the last write held two events


def test_httpx2_is_optional(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.import_module

    def no_httpx2(name: str, *args: Any) -> Any:
        if name == "httpx2":
            raise ImportError("no httpx2")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_httpx2)
    with recording(tmp_path / "c.yaml", "all") as recorder:
        pass
    assert recorder.interactions == []
