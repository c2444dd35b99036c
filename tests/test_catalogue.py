"""The findings catalogue covers every code the checks emit, and docs/findings.md is fresh."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.checks.catalogue import CATALOGUE, explain, render_markdown
from harness.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r'code="([a-z0-9-]+)"')


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "harness" / "checks").glob("*.py"):
        codes |= set(CODE.findall(path.read_text()))
    text = (ROOT / "harness" / "checks" / "expectations.py").read_text()
    codes |= set(re.findall(r'return "([a-z0-9]+(?:-[a-z0-9]+)+)"', text))
    return codes


def test_every_emitted_code_is_in_the_catalogue() -> None:
    missing = emitted_codes() - set(CATALOGUE)
    assert not missing, (
        f"codes emitted by checks but not explained in harness/checks/catalogue.py: {missing}"
    )


def test_issue_codes_are_present() -> None:
    required = [
        "retry-after-ignored",
        "retry-without-backoff",
        "retry-storm",
        "non-retryable-retried",
        "truncated-stream-accepted",
        "empty-stream-accepted",
        "failed-run-reported-as-success",
        "incomplete-reported-as-generic-error",
        "no-terminal-event",
        "transport-error-leaked",
        "error-kind-mismatch",
        "tool-call-dropped",
        "tool-args-invalid",
        "tool-args-fragment-lost",
        "usage-missing",
        "usage-wrong",
        "text-mismatch",
        "output-repeated-after-retry",
        "sse-data-without-space-dropped",
        "sse-line-split-on-unicode-separator",
        "stream-not-closed",
        "request-mismatch",
    ]
    assert set(required) <= set(CATALOGUE)


def test_entries_are_complete() -> None:
    for entry in CATALOGUE.values():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.code)
        assert entry.title and len(entry.why) > 40 and len(entry.advice) > 20, entry.code


def test_docs_are_fresh() -> None:
    path = ROOT / "docs" / "findings.md"
    assert path.read_text() == render_markdown(), (
        "docs/findings.md is stale: run `.venv/bin/harness explain --markdown > docs/findings.md`"
    )


def test_explain_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "retry-after-ignored"]) == 0
    out = capsys.readouterr().out
    assert "Retry-After" in out and "How to fix it" in out
    assert main(["explain", "retry-after"]) == 2
    assert "did you mean 'retry-after-ignored'" in capsys.readouterr().err


def test_explain_unknown_code_suggests() -> None:
    with pytest.raises(KeyError, match="unknown finding code"):
        explain("nope")
