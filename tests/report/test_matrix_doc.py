"""docs/matrix.md and the versions every cell ran on (baseline, reports)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.matrix.baseline import baseline_versions, write_baseline
from harness.matrix.run import Matrix
from harness.matrix.verdict import verdict
from harness.report.matrix_doc import HEADER, render_matrix_doc, version_changes, versions_by_driver
from harness.run.cell import Cell
from harness.vocab.events import Transcript


def _cell(driver: str, scenario: str, status: str, versions: dict[str, str]) -> Cell:
    transcript = (
        Transcript(scenario=scenario, driver=driver, dialect="openai-chat", versions=versions)
        if status != "n/a"
        else None
    )
    return Cell(
        driver=driver,
        scenario=scenario,
        dialect="openai-chat",
        status=status,  # type: ignore[arg-type]
        reason="why" if status != "pass" else "",
        transcript=transcript,
    )


CELLS = [
    _cell("a", "s1", "pass", {"openai": "2.54.0"}),
    _cell("a", "s2", "n/a", {}),
    _cell("b", "s1", "fail", {"litellm": "1.82.5"}),
    _cell("b", "s2", "pass", {"litellm": "1.82.5"}),
]


def test_versions_are_read_per_driver_from_the_cells() -> None:
    assert versions_by_driver(CELLS) == {"a": {"openai": "2.54.0"}, "b": {"litellm": "1.82.5"}}


def test_version_changes_name_driver_package_and_both_versions() -> None:
    before = {"a": {"openai": "2.54.0"}, "b": {"litellm": "1.82.5"}}
    now = {"a": {"openai": "2.60.0"}, "b": {"litellm": "1.82.5"}}
    assert version_changes(before, now) == ["a: openai 2.54.0 -> 2.60.0"]


def test_the_baseline_records_the_versions(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, CELLS, {})
    assert json.loads(path.read_text())["versions"]["b"] == {"litellm": "1.82.5"}
    assert baseline_versions(path) == versions_by_driver(CELLS)
    assert baseline_versions(tmp_path / "absent.json") == {}


def test_the_page_is_the_same_bytes_for_the_same_cells() -> None:
    m = Matrix(drivers=["a", "b"], scenarios=["s1", "s2"], cells=CELLS, wall_seconds=1.0)
    page = render_matrix_doc(m, [verdict(CELLS, "a"), verdict(CELLS, "b")])
    again = render_matrix_doc(
        Matrix(drivers=["a", "b"], scenarios=["s1", "s2"], cells=CELLS, wall_seconds=99.0),
        [verdict(CELLS, "a"), verdict(CELLS, "b")],
    )
    assert page == again  # no wall time, no date
    assert page.startswith(HEADER)
    assert "**2 pass, 1 fail, 1 n/a, 0 error**" in page
    assert "| `b` | litellm 1.82.5 |" in page
    assert "| s1 | ✅ | ❌ |" in page
    assert "<!-- not-run: generated output of harness matrix -->\n```text\nVerdicts:" in page
    assert "- **a** × `s2`: why" in page


def test_every_report_records_the_versions() -> None:
    from harness.report.writers import to_json, to_junit, to_markdown

    m = Matrix(drivers=["a", "b"], scenarios=["s1", "s2"], cells=CELLS, wall_seconds=1.0)
    assert json.loads(to_json(m, transcripts=False))["versions"]["a"] == {"openai": "2.54.0"}
    assert '<property name="version:litellm" value="1.82.5" />' in to_junit(m)
    assert "- **b**: litellm 1.82.5" in to_markdown(m)
