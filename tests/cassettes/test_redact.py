"""Redaction: planted secrets of every kind, in headers, query strings and bodies, never
reach the disk; what redaction leaves keeps its layout and chunk timing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.model import Interaction, RecordedChunk, RecordedRequest, RecordedResponse
from harness.cassettes.record import recording
from harness.cassettes.redact import Redactor, parse_json_path
from tests.cassettes import planted
from tests.cassettes.server import Server, serve


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    """One cassette recorded (with the default redaction) from requests full of secrets."""
    import httpx

    path = tmp_path_factory.mktemp("redact") / "planted.yaml"
    with serve() as server:
        server.headers = planted.RESPONSE_HEADERS
        server.echo = planted.RESPONSE_EXTRA
        with recording(path, "once"), httpx.Client(headers=planted.REQUEST_HEADERS) as client:
            client.post(server.base + "/echo" + planted.QUERY, json=planted.BODY)
            client.post(server.base + "/echo", json={"a": 1}, headers=planted.AZURE_AD_HEADERS)
            body = {"stream": True, "api_key": planted.BODY_API_KEY}
            with client.stream("POST", server.base + "/v1/chat/completions", json=body) as r:
                r.read()
        yield path, server


def forms(secret: str) -> set[str]:
    """The ways a secret can be spelled in a file: as is, JSON-escaped, URL-encoded."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret)}


@pytest.mark.parametrize("secret", planted.PLANTED, ids=lambda p: f"{p.where}-{p.kind}")
def test_planted_secret_never_reaches_disk(
    recorded: tuple[Path, Server], secret: planted.Planted
) -> None:
    path, server = recorded
    text = path.read_text(encoding="utf-8")
    assert all(form not in text for form in forms(secret.value)), f"{secret.kind} leaked"
    # ...although the server really did receive it, so the test is not vacuous
    received = json.dumps([{**r, "body": r["body"].decode()} for r in server.received])
    if secret.where != "response":
        assert any(form in received for form in forms(secret.value))


def test_at_least_fifteen_kinds_are_planted() -> None:
    assert len({p.kind for p in planted.PLANTED}) >= 15


def test_redaction_keeps_what_is_not_secret(recorded: tuple[Path, Server]) -> None:
    path, _ = recorded
    cassette = load_cassette(path)
    first, second, stream = cassette.interactions
    headers = dict((k.lower(), v) for k, v in first.request.headers)
    assert headers["authorization"] == "Bearer REDACTED"
    assert headers["cookie"] == "session=REDACTED; theme=REDACTED"
    assert dict(second.request.headers)["authorization"] == "Bearer REDACTED"
    assert "api-version=1" in first.request.uri
    assert "key=REDACTED" in first.request.uri
    body = first.request.json()
    assert body["model"] == "gpt-local"
    assert body["auth"] == {"password": "REDACTED", "client_secret": "REDACTED"}
    assert (first.response.header("set-cookie") or "").startswith("__cf_bm=REDACTED; path=/")
    assert first.response.json()["echo_org"] == "REDACTED"
    assert stream.response.chunks is not None and len(stream.response.chunks) == 5
    assert b"".join(c.data for c in stream.response.chunks) == stream.response.body


def test_content_length_follows_a_redacted_body(recorded: tuple[Path, Server]) -> None:
    path, _ = recorded
    for interaction in load_cassette(path).interactions:
        length = interaction.response.header("content-length")
        if length is not None:
            assert int(length) == len(interaction.response.body)


def test_scan_finds_nothing_in_the_redacted_cassette(recorded: tuple[Path, Server]) -> None:
    from harness.cassettes.scan import scan_file

    path, _ = recorded
    assert [leak.render() for leak in scan_file(path)] == []


# --------------------------------------------------------------------------- the Redactor


def interaction(body: bytes, chunks: tuple[RecordedChunk, ...] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest("POST", "https://h/v1/x", (("content-type", "application/json"),), b"{}"),
        RecordedResponse(200, "OK", (("content-type", "text/event-stream"),), body, chunks),
    )


def test_a_secret_split_across_two_reads_is_still_redacted() -> None:
    secret = planted.GROQ
    body = f'data: {{"text": "key {secret} end"}}\n\n'.encode()
    cut = body.index(secret.encode()) + 10
    chunks = (RecordedChunk(0.0, body[:cut]), RecordedChunk(0.5, body[cut:]))
    redacted = Redactor().interaction(interaction(body, chunks)).response
    assert secret.encode() not in redacted.body
    assert redacted.body == b'data: {"text": "key REDACTED end"}\n\n'
    assert redacted.chunks is not None
    assert b"".join(c.data for c in redacted.chunks) == redacted.body
    assert [c.offset for c in redacted.chunks] == [0.0, 0.5]


def test_user_rules_headers_params_json_paths_regexes() -> None:
    redactor = Redactor(
        headers=frozenset({"X-Tenant"}),
        params=frozenset({"session"}),
        json_paths=("metadata.user", "items[*].owner"),
        regexes=(r"acct_\d{6}",),
    )
    body = json.dumps(
        {
            "metadata": {"user": "alice@example.org"},
            "items": [{"owner": "b"}],
            "note": "acct_123456",
        }
    ).encode()
    original = Interaction(
        RecordedRequest(
            "POST", "https://h/x?session=s3ss10n&page=2", (("X-Tenant", "t-42"),), body
        ),
        RecordedResponse(200, "OK", (), b'{"echo": "alice@example.org"}'),
    )
    redacted = redactor.interaction(original)
    assert redacted.request.uri == "https://h/x?session=REDACTED&page=2"
    assert redacted.request.headers == (("X-Tenant", "REDACTED"),)
    assert json.loads(redacted.request.body or b"") == {
        "metadata": {"user": "REDACTED"},
        "items": [{"owner": "REDACTED"}],
        "note": "REDACTED",
    }
    assert redacted.response.body == b'{"echo": "REDACTED"}'


def test_token_counts_and_logprob_tokens_are_not_secrets() -> None:
    body = json.dumps(
        {"usage": {"input_tokens": 5, "max_tokens": 9}, "logprobs": [{"token": "Hello world"}]}
    ).encode()
    assert Redactor().interaction(interaction(body)).response.body == body


def test_redaction_is_idempotent() -> None:
    once = Redactor().interaction(interaction(f"data: {planted.OPENAI_KEY}\n\n".encode()))
    assert Redactor().interaction(once) == once


def test_defaults_can_be_turned_off_for_user_rules_only() -> None:
    body = f'{{"api_key": "{planted.BODY_API_KEY}"}}'.encode()
    assert Redactor(defaults=False).interaction(interaction(body)).response.body == body


@pytest.mark.parametrize(
    ("path", "steps"),
    [("a.b[0].c", ("a", "b", 0, "c")), ("$.messages[*].name", ("messages", None, "name"))],
)
def test_json_paths(path: str, steps: tuple[object, ...]) -> None:
    assert parse_json_path(path) == steps


@pytest.mark.parametrize("bad", ["", "a..b", "a[x]"])
def test_bad_rules_are_errors_that_say_why(bad: str) -> None:
    with pytest.raises(ValueError, match="JSON path"):
        parse_json_path(bad)
    with pytest.raises(ValueError, match="bad redaction regex"):
        Redactor(regexes=("(unclosed",))
