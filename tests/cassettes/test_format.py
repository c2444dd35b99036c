"""Reading and writing cassettes: safe loading of every variant, exact round trips, atomic
writes, and load speed."""

from __future__ import annotations

import gzip
import json
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cassettes.format import (
    dump_cassette,
    load_cassette,
    parse_cassette,
    write_atomic,
    write_cassette,
)
from harness.cassettes.model import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedChunk,
    RecordedRequest,
    RecordedResponse,
)

SSE = b'data: {"choices":[{"delta":{"content":"h\xc3\xa9"}}]}\n\ndata: [DONE]\n\n'


def cassette(body: bytes = SSE, chunks: tuple[RecordedChunk, ...] | None = None) -> Cassette:
    request = RecordedRequest(
        "POST",
        "https://api.openai.com/v1/chat/completions?api-version=1",
        (("Content-Type", "application/json"), ("Accept", "text/event-stream")),
        b'{"model": "gpt-4o", "stream": true}',
    )
    response = RecordedResponse(
        200,
        "OK",
        (("content-type", "text/event-stream"), ("set-cookie", "a=1"), ("set-cookie", "b=2")),
        body,
        chunks,
        latency=0.25,
    )
    return Cassette((Interaction(request, response),), format="harness")


def test_round_trip_keeps_every_read_and_offset() -> None:
    chunks = (
        RecordedChunk(0.0, SSE[:20]),
        RecordedChunk(0.5, SSE[20:38]),
        RecordedChunk(1.25, SSE[38:]),
    )
    loaded = parse_cassette(dump_cassette(cassette(chunks=chunks)), "c.yaml")
    response = loaded.interactions[0].response
    assert loaded.format == "harness"
    assert response.chunks == chunks
    assert response.body == SSE
    assert response.latency == 0.25
    assert response.headers.count(("set-cookie", "a=1")) == 1  # repeated headers survive
    assert loaded.interactions[0].request.body == b'{"model": "gpt-4o", "stream": true}'


def test_chunk_split_inside_a_utf8_character_round_trips() -> None:
    cut = SSE.index(b"\xc3") + 1
    chunks = (RecordedChunk(0.0, SSE[:cut]), RecordedChunk(0.1, SSE[cut:]))
    loaded = parse_cassette(dump_cassette(cassette(chunks=chunks)))
    assert loaded.interactions[0].response.chunks == chunks


def test_binary_bodies_are_stored_as_binary() -> None:
    body = gzip.compress(b'{"ok": true}')
    text = dump_cassette(cassette(body=body))
    assert "!!binary" in text
    assert parse_cassette(text).interactions[0].response.body == body


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    cuts=st.lists(st.integers(0, 300), max_size=6),
)
def test_any_body_and_chunking_round_trips(body: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(body), *(c for c in cuts if c <= len(body))})
    chunks = tuple(RecordedChunk(i * 0.125, body[a:b]) for i, (a, b) in enumerate(pairwise(bounds)))
    loaded = parse_cassette(dump_cassette(cassette(body=body, chunks=chunks)))
    response = loaded.interactions[0].response
    assert response.body == body
    assert b"".join(c.data for c in response.chunks or ()) == body
    assert [c.offset for c in response.chunks or ()] == [c.offset for c in chunks]


def test_plain_vcrpy_deserializer_reads_a_harness_cassette() -> None:
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    text = dump_cassette(cassette(chunks=(RecordedChunk(0.0, SSE),)))
    requests, responses = deserialize(text, yamlserializer)
    assert requests[0].uri.endswith("/v1/chat/completions?api-version=1")
    assert responses[0]["body"]["string"] == SSE


def test_explicit_chunk_list_is_read_too() -> None:
    text = """
interactions:
- request: {method: POST, uri: 'http://x/y', headers: {}, body: null}
  response:
    status: {code: 200, message: OK}
    headers: {}
    body:
      string: "ab"
      chunks: [{offset: 0.0, data: "a"}, {offset: 0.5, data: "b"}]
"""
    chunks = parse_cassette(text).interactions[0].response.chunks
    assert chunks == (RecordedChunk(0.0, b"a"), RecordedChunk(0.5, b"b"))


def test_edited_body_no_longer_matching_its_chunks_is_a_located_error() -> None:
    text = dump_cassette(cassette(chunks=(RecordedChunk(0.0, SSE),)))
    edited = text.replace("[DONE]", "[DONE!]")
    with pytest.raises(CassetteError, match=r"c\.yaml:\d+ \(interaction 1\): body\.chunks add up"):
        parse_cassette(edited, "c.yaml")


# --------------------------------------------------------------------------- variants


def test_aiohttp_istr_header_keys_load_as_strings() -> None:
    text = """interactions:
- request:
    body: null
    headers:
      ? !!python/object/apply:multidict._multidict.istr
      - Accept
      : - application/json
    method: GET
    uri: https://example.com/
  response:
    body: {string: ok}
    headers: {}
    status: {code: 200, message: OK}
"""
    loaded = parse_cassette(text)
    assert loaded.format == "ddapm-yaml"
    assert loaded.interactions[0].request.headers == (("Accept", "application/json"),)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/object/new:subprocess.Popen [['echo']]",
        "!!python/name:os.system ''",
        "!!python/module:os ''",
    ],
)
def test_code_running_tags_are_refused(tag: str) -> None:
    text = f"interactions:\n- request: {{method: GET, uri: 'http://x/', body: {tag}}}\n"
    with pytest.raises(CassetteError, match=r"c\.yaml:2: YAML error"):
        parse_cassette(text, "c.yaml")


def test_pydantic_ai_parsed_body_becomes_json_bytes() -> None:
    text = """interactions:
- request:
    headers: {content-type: [application/json]}
    method: POST
    parsed_body: {model: gpt-4o, messages: [{role: user, content: hi}]}
    uri: https://api.openai.com/v1/chat/completions
  response:
    headers: {content-type: [application/json]}
    parsed_body: {choices: [{message: {content: hello}}]}
    status: {code: 200, message: OK}
"""
    loaded = parse_cassette(text)
    interaction = loaded.interactions[0]
    assert loaded.format == "pydantic-ai"
    assert interaction.request.json()["model"] == "gpt-4o"
    assert interaction.response.json() == {"choices": [{"message": {"content": "hello"}}]}


def test_bare_string_header_values_are_one_value_not_one_per_character() -> None:
    text = """interactions:
- request: {method: GET, uri: 'http://x/', headers: {}, body: null}
  response:
    status: {code: 200, message: OK}
    headers: {Set-Cookie: test_set_cookie}
    body: {string: ''}
"""
    response = parse_cassette(text).interactions[0].response
    assert response.headers == (("Set-Cookie", "test_set_cookie"),)


def test_gzip_compressed_cassette_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml.gz"
    path.write_bytes(gzip.compress(dump_cassette(cassette()).encode()))
    assert load_cassette(path).interactions[0].response.body == SSE


@pytest.mark.parametrize(
    ("doc", "fmt", "body"),
    [
        (
            {
                "Entries": [
                    {
                        "RequestUri": "https://h/threads/runs",
                        "RequestMethod": "POST",
                        "RequestHeaders": {},
                        "RequestBody": {"stream": True},
                        "StatusCode": 200,
                        "ResponseHeaders": {
                            "Content-Type": "text/event-stream",
                            "Content-Encoding": "gzip",
                        },
                        "ResponseBody": ["event: done\n", "data: [DONE]\n\n"],
                    }
                ]
            },
            "azure-test-proxy",
            b"event: done\ndata: [DONE]\n\n",
        ),
        (
            {
                "request": {
                    "method": "POST",
                    "url": "https://api.mistral.ai/v1/chat/completions",
                    "headers": {"Accept": "text/event-stream"},
                    "body": "{}",
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": "text/event-stream"},
                    "body": "data: [DONE]\n\n",
                },
            },
            "ddapm-json",
            b"data: [DONE]\n\n",
        ),
        (
            {
                "test_id": None,
                "request": {
                    "method": "POST",
                    "url": "https://h/v1/v1/chat/completions",
                    "headers": {},
                    "body": {"model": "m"},
                    "endpoint": "/v1/chat/completions",
                },
                "response": {
                    "body": [{"__type__": "Chunk", "__data__": {"id": "rec-1"}}],
                    "is_streaming": True,
                },
            },
            "llama-stack",
            b'data: {"id":"rec-1"}\n\ndata: [DONE]\n\n',
        ),
        (
            [
                {
                    "scope": "https://h:443",
                    "method": "POST",
                    "path": "/model/x/converse",
                    "body": {"a": 1},
                    "status": 200,
                    "response": {"ok": True},
                    "rawHeaders": ["Content-Type", "application/json"],
                }
            ],
            "nock",
            b'{"ok": true}',
        ),
    ],
)
def test_json_recording_formats(doc: object, fmt: str, body: bytes) -> None:
    loaded = parse_cassette(json.dumps(doc), "r.json")
    assert loaded.format == fmt
    interaction = loaded.interactions[0]
    assert interaction.response.body == body
    assert interaction.response.header("content-encoding") is None
    assert "/v1/v1/" not in interaction.request.uri


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "expected a vcrpy cassette"),
        ("- a\n- b\n", "expected a vcrpy cassette"),
        ("interactions: [1]\n", r"\(interaction 1\): expected a mapping"),
        ("interactions:\n- request: {method: GET}\n  response: {}\n", "needs 'method' and 'uri'"),
        ("interactions: [\n", r"c\.yaml:2: YAML error"),
        ('{"x": 1}', "unknown format"),
        ("{not json", r"c\.yaml:1: JSON error"),
    ],
)
def test_bad_input_is_a_located_error(text: str, expected: str) -> None:
    with pytest.raises(CassetteError, match=expected):
        parse_cassette(text, "c.yaml")


def test_unreadable_file_is_a_cassette_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="cannot read"):
        load_cassette(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- writing


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.yaml"
    write_cassette(path, cassette())
    assert load_cassette(path).interactions[0].response.body == SSE
    assert [p.name for p in path.parent.iterdir()] == ["c.yaml"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("old", encoding="utf-8")

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]


def test_written_yaml_is_plain_safe_yaml() -> None:
    text = dump_cassette(cassette(chunks=(RecordedChunk(0.0, SSE),)))
    assert "!!python" not in text
    doc = yaml.safe_load(text)
    assert doc["version"] == 1


def test_one_stream_cassette_loads() -> None:
    """Its speed is measured in benchmarks/loading.py; here, that it loads at all."""
    from harness.cassettes.replay import script_cassette
    from harness.dialects import get_dialect
    from harness.scenario.load import load_scenario

    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / "scenarios" / "text-plain.yaml")
    script = get_dialect("openai-chat").synthesize(scenario)
    text = dump_cassette(script_cassette(script, "https://api.openai.com/v1", scenario))
    assert parse_cassette(text)
