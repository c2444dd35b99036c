"""The planted corpus (:mod:`tests.cassettes.planted_corpus`) recorded for real: through
``harness record`` and through the pytest plugin, with the openai SDK (httpx), the anthropic
SDK (httpx2) and a plain httpx2 client, against a server on 127.0.0.1. Not one secret may
reach the cassette or a report; ``harness scan`` finds every one in an unredacted copy."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from harness.cassettes.format import load_cassette
from harness.cassettes.record import recording
from harness.cassettes.scan import Leak, scan_file
from harness.cassettes.wire import decoded_body
from harness.cli.app import main
from tests.cassettes import planted_corpus
from tests.cassettes.planted_corpus import SECRETS, Secret
from tests.cassettes.server import Server, serve

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("httpx2")


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as spec:
        planted_corpus.configure(spec)
        yield spec


def _haystack(path: Path) -> str:
    """Everything a cassette says: its text, and each interaction decoded (a folded YAML
    line or a percent-encoded URL must not hide a secret from this test)."""
    parts = [path.read_text(encoding="utf-8")]
    for interaction in load_cassette(path).interactions:
        rq, rs = interaction.request, interaction.response
        parts += [rq.uri, unquote_plus(rq.uri), *(f"{k}: {v}" for k, v in rq.headers)]
        parts += [f"{k}: {v}" for k, v in rs.headers]
        parts += [(rq.body or b"").decode("utf-8", "replace")]
        parts += [decoded_body(rs).decode("utf-8", "replace")]
    return "\n".join(parts)


def _leaked(text: str, *, names: bool = False) -> list[str]:
    found = []
    for secret in SECRETS:
        for fragment in secret.fragments:
            forms = {fragment, json.dumps(fragment)[1:-1]}
            if any(form in text for form in forms):
                found.append(secret.name if names else f"{secret.name} ({secret.kind})")
                break
    return found


def test_the_corpus_is_big_and_varied() -> None:
    assert len(SECRETS) >= 40
    assert len({s.kind for s in SECRETS}) >= 15
    assert len({s.value for s in SECRETS}) == len(SECRETS)
    wheres = {s.where for s in SECRETS}
    for place in ("request-header", "response-header", "query", "request-json", "escaped-json",
                  "sse", "split-sse", "\\n", "\\t", "after-%20", "\\u0022", "base64"):  # fmt: skip
        assert place in wheres


def test_harness_record_keeps_every_secret_off_the_cassette(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "client.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.cassettes.planted_corpus import run_clients\n"
        f"run_clients({server.base!r})\n",
        encoding="utf-8",
    )
    cassette = tmp_path / "planted.yaml"
    monkeypatch.setattr(sys, "argv", ["harness"])
    assert main(["record", str(cassette), "--", str(script)]) == 0
    assert len(load_cassette(cassette)) == 4
    received = "\n".join(
        f"{unquote_plus(r['path'])} {r['headers']} {r['body'].decode()}" for r in server.received
    )
    assert set(_leaked(received, names=True)) == planted_corpus.SENT  # all sent for real
    assert _leaked(_haystack(cassette)) == []
    assert [leak.render() for leak in scan_file(cassette)] == []


def _covers(leak: Leak, secret: Secret) -> bool:
    value = leak.value
    for form in (value, unquote_plus(value), _unescape(value)):
        if form == secret.value or (secret.value in form and len(form) < len(secret.value) + 40):
            return True
    return False


def _unescape(value: str) -> str:
    try:
        decoded: str = json.loads(f'"{value}"')
    except ValueError:
        return value
    return decoded


def test_scan_finds_every_planted_secret_once_in_an_unredacted_copy(
    server: Server, tmp_path: Path
) -> None:
    cassette = tmp_path / "unredacted.yaml"
    with recording(cassette, "all", redact=False):
        planted_corpus.run_clients(server.base)
    leaks = scan_file(cassette)
    missed = [f"{s.name} ({s.kind})" for s in SECRETS if not any(_covers(x, s) for x in leaks)]
    assert missed == []
    assert len({leak.value for leak in leaks}) == len(leaks), "each secret once"
    severity = {s.name: {x.severity for x in leaks if _covers(x, s)} for s in SECRETS}
    assert severity["org"] == {"identifier"} and severity["cookie"] == {"identifier"}
    assert severity["auth"] == {"credential"} and severity["pem"] == {"credential"}
