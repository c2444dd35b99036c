"""docs/drivers.md lists every registered driver and is regenerated when one is added."""

from __future__ import annotations

from pathlib import Path

from harness.drivers.base import builtin_drivers, register
from harness.report.drivers_doc import drivers_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_every_driver_has_a_described_row() -> None:
    text = drivers_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == sorted(builtin_drivers())
    assert "(no description)" not in text, "give the driver class a docstring: its first line"
    assert "``" not in text


def test_docs_drivers_md_is_fresh() -> None:
    path = ROOT / "docs" / "drivers.md"
    assert path.read_text(encoding="utf-8") == drivers_markdown(), (
        "docs/drivers.md is stale: run `.venv/bin/harness drivers --markdown > docs/drivers.md`"
    )


def test_a_driver_registered_in_code_is_not_a_built_in_row() -> None:
    from harness.drivers.base import _registered, get_driver

    register("doc-test-user-driver", lambda: get_driver("openai-sdk-chat"))
    try:
        assert "doc-test-user-driver" not in drivers_markdown()
    finally:
        _registered.pop("doc-test-user-driver")
