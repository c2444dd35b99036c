"""Bad input never crashes harness: fuzzing the scenario loader, the cassette loader and the
SSE decoder with inputs no one would write, and a few no one should be able to.

Each property runs twice: about 200 examples in the default run (derandomized, so the suite
is never flaky) and 10,000 in the ``slow`` run (random; ``HARNESS_SLOW=1`` runs it,
``HARNESS_FUZZ_EXAMPLES`` changes the number). What may come out: a result, or harness's
own error type with a message that says where (file and line; the decoder never raises at
all). A hang shows as a Hypothesis deadline. ``tests/scenario/test_scenarios.py`` already throws
token soup and line damage at the scenario loader; here it gets byte-level damage of every
bundled file and random YAML documents built from its own vocabulary.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cassettes import CassetteError, parse_cassette
from harness.dialects.sse import SSEDecoder, SSEEvent, decode
from harness.scenario.load import parse_scenario
from harness.scenario.model import Scenario
from harness.vocab.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(p.read_bytes() for p in SCENARIOS.glob("*.yaml"))
FAST = 200
SLOW = int(os.environ.get("HARNESS_FUZZ_EXAMPLES", "10000"))
SLOW_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("HARNESS_SLOW") != "1", reason="10,000 inputs: set HARNESS_SLOW=1"
    ),
]
SOURCE = "fuzz.yaml"
LOCATED = re.compile(rf"^{re.escape(SOURCE)}:\d+(:\d+)?: ")

SIZES = [
    pytest.param(FAST, id="fast"),
    pytest.param(SLOW, id="slow", marks=SLOW_MARKS),
]


def fuzzing(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Settings for one size: the fast run is derandomized (the same inputs every time), the
    slow run random; a 10 s deadline per input stands for "no hang" on a loaded machine."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=10),
        derandomize=examples <= FAST,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------- inputs


def mutations(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """A valid file with bytes flipped, inserted, deleted or a span duplicated."""

    def apply(seed: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
        data = bytearray(seed)
        for kind, at, length, blob in edits:
            at %= len(data) + 1
            if kind == 0 and at < len(data):
                data[at] ^= 1 << (length % 8)
            elif kind == 1:
                data[at:at] = blob
            elif kind == 2:
                del data[at : at + length]
            else:
                data[at:at] = data[at : at + length] * 3
        return bytes(data)

    edit = st.tuples(
        st.integers(0, 3), st.integers(0, 1 << 16), st.integers(0, 64), st.binary(max_size=8)
    )
    return st.builds(apply, st.sampled_from(seeds), st.lists(edit, min_size=1, max_size=6))


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
)


def documents(keys: list[str]) -> st.SearchStrategy[Any]:
    """Random YAML-able trees whose mapping keys are mostly the format's own words."""
    key = st.sampled_from(keys) | st.text(max_size=6)
    return st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=5),
        max_leaves=24,
    )


SCENARIO_WORDS = [
    "id", "description", "dialects", "request", "attempts", "expect", "model", "messages",
    "role", "content", "tools", "stream", "options", "max_tokens", "reply", "error", "parts",
    "text", "reasoning", "tool_call", "name", "arguments", "fragments", "finish", "usage",
    "input", "output", "status", "retry_after", "retry_after_ms", "headers", "body", "wire",
    "chunking", "fault", "cut_after", "outcome", "polls", "requests", "min_wait", "give_up",
    "sent", "incomplete_reason", "user", "assistant", "tool", "stop", "tool_calls",
]  # fmt: skip
CASSETTE_WORDS = [
    "interactions", "version", "request", "response", "method", "uri", "body", "headers",
    "status", "code", "message", "string", "chunks", "latency", "end", "parsed_body",
    "offset", "data", "entries", "Entries", "Request", "Response", "RequestUri",
    "RequestMethod", "StatusCode", "ResponseBody", "scope", "path", "reqheaders",
]  # fmt: skip


def dumped(tree: Any) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


# --------------------------------------------------------------------------- scenario loader


def parse_or_located_error(text: str | bytes) -> None:
    """A Scenario, or a ScenarioError whose every problem names this file and a line."""
    try:
        result = parse_scenario(text, source=SOURCE)
    except ScenarioError as exc:
        assert exc.file == SOURCE and exc.line is not None and exc.line >= 1, exc
        assert str(exc) == "\n".join(exc.problems)
        for problem in exc.problems:
            assert LOCATED.match(problem), problem
        return
    assert isinstance(result, Scenario)


@pytest.mark.parametrize("examples", SIZES)
def test_scenario_loader_on_damaged_bundled_files(examples: int) -> None:
    @fuzzing(examples)
    @given(mutations(BUNDLED))
    def check(data: bytes) -> None:
        parse_or_located_error(data)

    check()


@pytest.mark.parametrize("examples", SIZES)
def test_scenario_loader_on_random_documents(examples: int) -> None:
    @fuzzing(examples)
    @given(documents(SCENARIO_WORDS), st.booleans())
    def check(tree: Any, as_mapping: bool) -> None:
        if as_mapping:  # most of the time a mapping at the top, as a scenario is
            tree = {"id": "x", "request": tree, "attempts": tree, "expect": tree}
        parse_or_located_error(dumped(tree))

    check()


# --------------------------------------------------------------------------- cassette loader


def _cassette_seeds() -> list[bytes]:
    """A vcrpy cassette, a harness one (with body.chunks) and a JSON test-proxy recording."""
    sse = 'data: {"choices":[{"delta":{"content":"hé"}}]}\n\ndata: [DONE]\n\n'
    request = {
        "method": "POST",
        "uri": "https://api.openai.com/v1/chat/completions",
        "body": '{"model": "gpt-4o", "stream": true}',
        "headers": {"Content-Type": ["application/json"]},
    }
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["text/event-stream"]},
        "body": {"string": sse},
    }
    vcrpy = {"interactions": [{"request": request, "response": response}], "version": 1}
    chunked = json.loads(json.dumps(vcrpy))
    size = len(sse.encode())
    chunked["interactions"][0]["response"]["body"]["chunks"] = f"20@0.000 {size - 20}@0.250"
    proxy = {
        "Entries": [
            {
                "RequestUri": request["uri"],
                "RequestMethod": "POST",
                "RequestHeaders": {"Content-Type": "application/json"},
                "RequestBody": {"model": "gpt-4o"},
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "application/json"},
                "ResponseBody": {"choices": []},
            }
        ]
    }
    return [dumped(vcrpy).encode(), dumped(chunked).encode(), json.dumps(proxy).encode()]


CASSETTES = _cassette_seeds()


def load_or_located_error(data: bytes | str) -> None:
    """A Cassette, or a CassetteError that starts with the file's name."""
    try:
        parse_cassette(data, SOURCE)
    except CassetteError as exc:
        assert str(exc).startswith(SOURCE), exc


def test_the_cassette_seeds_load() -> None:
    for seed in CASSETTES:
        assert len(parse_cassette(seed, SOURCE).interactions) == 1


@pytest.mark.parametrize("examples", SIZES)
def test_cassette_loader_on_damaged_cassettes(examples: int) -> None:
    @fuzzing(examples)
    @given(mutations(CASSETTES), st.booleans())
    def check(data: bytes, compressed: bool) -> None:
        load_or_located_error(gzip.compress(data) if compressed else data)

    check()


@pytest.mark.parametrize("examples", SIZES)
def test_cassette_loader_on_random_documents(examples: int) -> None:
    @fuzzing(examples)
    @given(documents(CASSETTE_WORDS), st.sampled_from(["yaml", "json", "wrapped", "gzip"]))
    def check(tree: Any, form: str) -> None:
        if form == "wrapped":
            tree = {"interactions": [{"request": tree, "response": tree}], "version": 1}
        text = json.dumps(tree, default=str) if form == "json" else dumped(tree)
        if form == "gzip":  # a compressed file cut short
            load_or_located_error(gzip.compress(text.encode())[: len(text) // 2 + 10])
        else:
            load_or_located_error(text)

    check()


@pytest.mark.parametrize("examples", SIZES)
def test_cassette_loader_on_arbitrary_bytes(examples: int) -> None:
    @fuzzing(examples)
    @given(st.binary(max_size=512) | st.text(max_size=256))
    def check(data: bytes | str) -> None:
        load_or_located_error(data)

    check()


# --------------------------------------------------------------------------- SSE decoder

_SSE_TOKENS = st.sampled_from(
    [b"data:", b"data: ", b"event: x", b"id: 1", b"retry: 5", b":", b"\n", b"\r", b"\r\n",
     b"\n\n", b"\xef\xbb\xbf", b"\xc3", b"\xa9", b"\xe2\x80\xa8", b"\x00", b"\xff", b"{}"]
)  # fmt: skip
sse_bytes = st.binary(max_size=400) | st.lists(_SSE_TOKENS, max_size=60).map(b"".join)


def feed_split(stream: bytes, cuts: list[int], *, lenient: bool) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    at = 0
    for cut in [*sorted({c % (len(stream) + 1) for c in cuts}), len(stream)]:
        events += decoder.feed(stream[at:cut])
        at = cut
    return events + decoder.close(dispatch_partial=lenient)


@pytest.mark.parametrize("examples", SIZES)
def test_sse_decoder_never_raises_and_ignores_split_points(examples: int) -> None:
    @fuzzing(examples)
    @given(sse_bytes, st.lists(st.integers(0, 1 << 12), max_size=16), st.booleans())
    def check(stream: bytes, cuts: list[int], lenient: bool) -> None:
        events = feed_split(stream, cuts, lenient=lenient)
        assert events == feed_split(stream, [], lenient=lenient)
        if not lenient:
            assert events == decode(stream)

    check()
