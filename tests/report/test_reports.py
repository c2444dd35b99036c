"""Reports, baseline comparison and the matrix's process orchestration."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.cli.app import main
from harness.matrix.baseline import compare, load_baseline, write_baseline
from harness.matrix.run import Matrix
from harness.report.writers import to_json, to_junit, to_markdown, to_table
from harness.run.cell import Cell
from harness.vocab.findings import Finding

ROOT = Path(__file__).resolve().parents[2]


def cell(driver: str, scenario: str, status: str, *codes: str) -> Cell:
    findings = [
        Finding(code=c, check="expectations", message=f"{c} happened", where="x.yaml:1")
        for c in codes
    ]
    reason = f"{codes[0]}: {codes[0]} happened" if codes else ""
    return Cell(
        driver=driver,
        scenario=scenario,
        dialect="openai-chat",
        status=status,  # type: ignore[arg-type]
        reason=reason,
        findings=findings,
    )


@pytest.fixture
def matrix() -> Matrix:
    return Matrix(
        drivers=["a", "b"],
        scenarios=["s1", "s2"],
        cells=[
            cell("a", "s1", "pass"),
            cell("a", "s2", "fail", "text-mismatch"),
            cell("b", "s1", "n/a"),
            cell("b", "s2", "fail", "usage-missing", "no-terminal-event"),
        ],
    )


def test_table_lists_every_cell_and_first_reason(matrix: Matrix) -> None:
    text = to_table(matrix)
    assert "s1" in text and "FAIL" in text and "n/a" in text
    assert "a x s2: text-mismatch: text-mismatch happened" in text
    assert "4 cells: 1 pass, 2 fail, 1 n/a, 0 error" in text


def test_junit_has_one_testcase_per_cell(matrix: Matrix) -> None:
    root = ET.fromstring(to_junit(matrix).split("?>", 1)[1])
    cases = root.findall(".//testcase")
    assert len(cases) == 4
    failures = root.findall(".//failure")
    assert {f.get("type") for f in failures} == {"text-mismatch", "no-terminal-event,usage-missing"}
    assert len(root.findall(".//skipped")) == 1


def test_json_and_markdown(matrix: Matrix) -> None:
    data = json.loads(to_json(matrix))
    assert data["counts"] == {"pass": 1, "fail": 2, "n/a": 1, "error": 0}
    assert len(data["cells"]) == 4
    md = to_markdown(matrix)
    assert "| s2 | ❌ `text-mismatch` |" in md


def test_every_report_lists_the_contracts_deviations(matrix: Matrix) -> None:
    from harness.matrix.verdict import render_verdicts, verdict

    lines = ["does not retry HTTP 500", "honours Retry-After up to 60 s"]
    for c in matrix.cells:
        if c.driver == "a":
            c.deviations = list(lines)
    assert "- **a**: does not retry HTTP 500; honours Retry-After up to 60 s" in to_markdown(matrix)
    root = ET.fromstring(to_junit(matrix).split("?>", 1)[1])
    props = root.findall(".//testsuite[@name='a']/properties/property")
    assert [p.get("value") for p in props] == lines
    assert json.loads(to_json(matrix))["cells"][0]["deviations"] == lines
    text = render_verdicts([verdict(matrix.cells, "a"), verdict(matrix.cells, "b")])
    assert "contract (deviations from the protocol): does not retry HTTP 500;" in text
    assert text.count("contract (deviations") == 1  # b declares nothing


def test_baseline_flags_regressions_and_fixes(matrix: Matrix, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, matrix.cells, {})
    baseline = load_baseline(path)
    assert compare(matrix.cells, baseline).regressions == []

    worse = [*matrix.cells]
    worse[0] = cell("a", "s1", "fail", "text-mismatch")  # was pass
    worse[1] = cell("a", "s2", "fail", "text-mismatch", "usage-wrong")  # new code
    worse[3] = cell("b", "s2", "pass")  # fixed
    result = compare(worse, baseline)
    assert [c.key for c, _ in result.regressions] == ["a::s1", "a::s2"]
    assert "new finding(s) usage-wrong" in result.regressions[1][1]
    assert [c.key for c, _ in result.fixes] == ["b::s2"]


def test_baseline_keeps_hand_written_reason(matrix: Matrix, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, matrix.cells, {})
    data = json.loads(path.read_text())
    data["cells"]["a::s2"]["reason"] = "adapter drops the last delta; fixed upstream in 2.0"
    path.write_text(json.dumps(data))
    write_baseline(path, matrix.cells, load_baseline(path))
    assert "fixed upstream" in load_baseline(path)["a::s2"]["reason"]


def test_bad_baseline_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "b.json"
    bad.write_text("[1, 2]")
    scenarios = ROOT / "scenarios" / "text-plain.yaml"
    code = main(
        [
            "matrix",
            "--quiet",
            "--scenarios",
            str(scenarios),
            "--driver",
            "openai-sdk-chat",
            "--baseline",
            str(bad),
        ]
    )
    assert code == 2
    assert "not a harness baseline" in capsys.readouterr().err


@pytest.mark.adapters
def test_matrix_cli_gate_flips_on_a_broken_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openai")
    scenario = ROOT / "scenarios" / "text-plain.yaml"
    baseline = tmp_path / "baseline.json"
    args = ["matrix", "--quiet", "--scenarios", str(scenario), "--driver", "openai-sdk-chat"]
    assert main([*args, "--baseline", str(baseline), "--update-baseline"]) == 0
    assert main([*args, "--baseline", str(baseline)]) == 0
    # break the cell: the server now sends other text than the scenario expects
    broken = tmp_path / "text-plain.yaml"
    broken.write_text(scenario.read_text().replace("text: Hello! Nice", "text: Bye! Nice", 1))
    report = tmp_path / "r.json"
    code = main(
        [*args[:3], str(broken), *args[4:], "--baseline", str(baseline), "--json", str(report)]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "regression" in out and "text-mismatch" in out
    assert json.loads(report.read_text())["counts"]["fail"] == 1


def test_one_writer_serves_the_cli_and_the_plugin(matrix: Matrix, tmp_path: Path) -> None:
    """``write`` renders each format in the order asked, into folders it creates, the same
    text as each format's writer; a path's suffix names its format (``--harness-report``)."""
    from harness.matrix.verdict import verdict
    from harness.report.html import to_html
    from harness.report.matrix_doc import render_matrix_doc
    from harness.report.targets import SUFFIXES, Target, render, write

    targets = [
        Target("md", tmp_path / "a" / "m.md"),
        Target("junit", tmp_path / "b" / "m.xml"),
        Target("json", tmp_path / "m.json"),
        Target("html", tmp_path / "m.html"),
    ]
    assert write(matrix, targets) == targets
    assert (tmp_path / "a" / "m.md").read_text(encoding="utf-8") == to_markdown(matrix)
    assert (tmp_path / "b" / "m.xml").read_text(encoding="utf-8") == to_junit(matrix)
    assert (tmp_path / "m.json").read_text(encoding="utf-8") == to_json(matrix)
    assert (tmp_path / "m.html").read_text(encoding="utf-8") == to_html(matrix)
    verdicts = [verdict(matrix.cells, d) for d in matrix.drivers]
    assert render(matrix, "doc") == render_matrix_doc(matrix, verdicts)
    assert [SUFFIXES[t.path.suffix] for t in targets[:3]] == ["md", "junit", "json"]


def test_the_html_page_inlines_its_packaged_stylesheet_and_script(matrix: Matrix) -> None:
    from importlib.resources import files

    from harness.report.html import to_html

    static = files("harness.report.static")
    css = static.joinpath("report.css").read_text(encoding="utf-8")
    js = static.joinpath("report.js").read_text(encoding="utf-8")
    page = to_html(matrix)
    assert f"<style>\n{css}</style>" in page and f"<script>\n{js}</script>" in page
    assert "--pass:" in css and "addEventListener" in js
