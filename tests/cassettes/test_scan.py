"""``harness scan``: every planted secret is found with file:line and kind; placeholders,
including every one the real-world corpus uses, are not findings."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cassettes.record import recording
from harness.cassettes.scan import Leak, scan_file, scan_paths, scan_text
from harness.cli.app import main
from tests.cassettes import planted
from tests.cassettes.server import serve

ROOT = Path(__file__).resolve().parents[2]
CORPUS = next(
    (p for p in (ROOT / "../shared/corpus", ROOT / "../../shared/corpus") if p.is_dir()),
    ROOT / "../shared/corpus",
)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cassette recorded with redaction OFF: every planted secret is in it."""
    import httpx

    path = tmp_path_factory.mktemp("scan") / "leaky.yaml"
    with serve() as server:
        server.headers = planted.RESPONSE_HEADERS
        server.echo = planted.RESPONSE_EXTRA
        with (
            recording(path, "once", redact=False),
            httpx.Client(headers=planted.REQUEST_HEADERS) as client,
        ):
            client.post(server.base + "/echo" + planted.QUERY, json=planted.BODY)
            client.post(server.base + "/echo", json={"a": 1}, headers=planted.AZURE_AD_HEADERS)
    yield path


@pytest.mark.parametrize("secret", planted.PLANTED, ids=lambda p: f"{p.where}-{p.kind}")
def test_scan_finds_each_planted_secret(leaky: Path, secret: planted.Planted) -> None:
    leaks = scan_file(leaky)
    lines = leaky.read_text(encoding="utf-8").splitlines()
    hits = [leak for leak in leaks if leak.value == secret.value]
    assert len(hits) == 1, f"{secret.kind}: found {len(hits)} times (expected once)"
    for hit in hits:
        assert secret.value in lines[hit.line - 1] or secret.kind in ("cookie",)
        assert secret.value not in hit.render()  # the report never prints the secret


def test_report_format_is_file_line_kind(leaky: Path) -> None:
    leak = scan_file(leaky)[0]
    assert leak.render().startswith(f"{leaky}:{leak.line}: {leak.severity}: {leak.kind}: ")


PLACEHOLDERS = """\
interactions:
- request:
    body: '{"api_key": "sk-XXXXXXXXXXXXXXXXXXXXXXXX", "password": "<PASSWORD>", "token": "***"}'
    headers:
      authorization:
      - Bearer test_openai_api_key
      Authorization:
      - AUTHORIZATION-XXX
      api-key:
      - X-API-KEY-XXX
      x-api-key:
      - <filtered>
      cookie:
      - test_cookie
      x-goog-api-key: [<API_KEY>]
      openai-organization: test_openai_org_id
      openai-project: [REDACTED]
    method: POST
    uri: https://generativelanguage.googleapis.com/v1beta/models/x?key=<filtered>&alt=sse
  response:
    body:
      string: '{"message": "Incorrect API key provided: sk-harn*****test", "aws":
        "AKIATEST1234567890AB", "k": "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}'
    headers:
      Set-Cookie: test_set_cookie
      set-cookie:
      - __cf_bm=REDACTED; path=/
      authorization: [Bearer ${OPENAI_API_KEY}]
      x-amz-security-token: ['0000000000000000000000000000']
    status: {code: 401, message: Unauthorized}
"""


def test_placeholders_are_not_findings() -> None:
    assert scan_text(PLACEHOLDERS, "p.yaml") == []


def test_nothing_in_the_corpus_is_a_placeholder_finding() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the real-world corpus is not at {CORPUS}")
    leaks = scan_paths([CORPUS])
    placeholders = ("XXX", "REDACTED", "<filtered>", "test_", "***", "AKIATEST", "<API_KEY>")
    assert [leak.render() for leak in leaks if any(p in leak.value for p in placeholders)] == []
    # what the sources deliberately kept: Cloudflare cookies and account identifiers,
    # reported as identifiers, never in the voice of a credential
    assert [leak.render() for leak in leaks if leak.severity == "credential"] == []
    assert {leak.kind for leak in leaks} <= {
        "cookie",
        "openai-org-id",
        "openai-project-id",
        "organization-id",
    }


def test_compressed_bodies_are_searched(tmp_path: Path) -> None:
    import base64

    data = base64.encodebytes(gzip.compress(f'{{"key": "{planted.GROQ}"}}'.encode())).decode()
    text = (
        "interactions:\n- request: {method: GET, uri: 'http://x/', body: null, headers: {}}\n"
        "  response:\n    status: {code: 200, message: OK}\n"
        "    headers: {Content-Encoding: [gzip]}\n    body:\n      string: !!binary |\n"
        + "".join(f"        {line}\n" for line in data.splitlines())
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    leaks = scan_file(path)
    assert [(leak.line, leak.kind) for leak in leaks] == [(2, "groq-key")]
    assert "compressed" in leaks[0].render()


def test_cli_exit_codes_and_allow(
    leaky: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = tmp_path / "clean.yaml"
    clean.write_text(PLACEHOLDERS, encoding="utf-8")
    assert main(["scan", str(clean)]) == 0
    assert main(["scan", str(leaky)]) == 1
    out = capsys.readouterr()
    assert f"{leaky}:" in out.out and "secret(s) in 1 file(s)" in out.err
    assert main(["scan", str(clean), "--allow", ".*"]) == 0
    assert main(["scan", str(tmp_path / "missing.yaml")]) == 2


def test_leak_repr_hides_the_value() -> None:
    leak = Leak("f", 1, "openai-key", planted.OPENAI_KEY)
    assert planted.OPENAI_KEY not in repr(leak)
