"""The findings catalogue covers every code the checks emit, and docs/findings.md is fresh."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from harness.checks.catalogue import CATALOGUE, explain, render_markdown
from harness.cli.app import main
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

ROOT = Path(__file__).resolve().parents[2]
CODES_MODULE = ROOT / "harness" / "vocab" / "codes.py"


def test_the_catalogue_explains_every_code_and_only_those() -> None:
    assert sorted(CATALOGUE) == sorted(Code), (
        f"declared in harness/vocab/codes.py but not explained: {set(Code) - set(CATALOGUE)}; "
        f"explained but not declared: {set(CATALOGUE) - set(Code)}"
    )
    assert all(isinstance(entry.code, Code) for entry in CATALOGUE.values())


def spelled_codes() -> list[str]:
    """Places in harness/ that spell a finding code as a string instead of a Code member."""
    values = {c.value for c in Code}
    found = []
    for path in sorted((ROOT / "harness").rglob("*.py")):
        if path == CODES_MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in values:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    return found


def test_codes_are_made_from_the_declared_values() -> None:
    """Checks, the runner and the matrix name codes as ``Code.X``, so a code that is not
    declared (and so not in the catalogue) cannot be emitted: it would not type-check."""
    spelled = spelled_codes()
    assert not spelled, "spell these as harness.vocab.codes.Code members:\n" + "\n".join(spelled)


def test_code_values_are_their_strings() -> None:
    """Output (JSON, JUnit, Markdown) spells a code as its value, never as ``Code.X``."""
    code = Code.RETRY_STORM
    assert f"{code}" == str(code) == "retry-storm" == code
    assert repr(code) == "'retry-storm'" and f"{[code]}" == "['retry-storm']"
    assert json.dumps({"code": code}) == '{"code": "retry-storm"}'
    assert Finding(code=code, check="c", message="m").model_dump()["code"] == "retry-storm"


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
