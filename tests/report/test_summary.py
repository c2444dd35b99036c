"""The terminal summary of a matrix fits 100 columns and names each failure's root finding."""

from __future__ import annotations

from harness.matrix.run import Matrix
from harness.report.summary import WIDTH, root_code, summarize
from harness.run.cell import Cell
from harness.vocab.findings import Finding


def cell(driver: str, scenario: str, status: str, *codes: str) -> Cell:
    findings = [
        Finding(code=c, check="expectations", message=f"{c} happened", where="x.yaml:1")
        for c in codes
    ]
    return Cell(
        driver=driver,
        scenario=scenario,
        dialect="openai-chat",
        status=status,  # type: ignore[arg-type]
        reason=f"{codes[0]}: happened" if codes else "",
        findings=findings,
    )


def big_matrix() -> Matrix:
    drivers = [f"driver-with-a-rather-long-name-{i}" for i in range(13)]
    scenarios = [f"scenario-number-{i:02}-with-a-long-descriptive-id" for i in range(60)]
    cells = []
    for d in drivers:
        for i, s in enumerate(scenarios):
            if i % 7 == 0:
                cells.append(cell(d, s, "fail", "transport-error-leaked", "no-terminal-event"))
            elif i % 11 == 0:
                cells.append(cell(d, s, "fail", "retry-after-ignored"))
            elif i == 59:
                cells.append(cell(d, s, "error"))
            else:
                cells.append(cell(d, s, "pass" if i % 2 else "n/a"))
    return Matrix(drivers=drivers, scenarios=scenarios, cells=cells)


def test_every_line_fits_100_columns() -> None:
    text = summarize(big_matrix())
    assert max(len(line) for line in text.splitlines()) <= WIDTH


def test_one_line_per_root_finding_not_per_cell() -> None:
    m = big_matrix()
    lines = summarize(m).splitlines()
    # per driver: its counts, then one line per root code (3: two codes and "error")
    assert len(lines) == 1 + 13 * (1 + 3)
    block = lines[1:5]
    assert block[0].startswith("driver-with-a-rather-long-name-0")
    assert block[0].split()[1:] == ["22", "14", "23", "1", "FAIL"]
    assert block[1].startswith("  transport-error-leaked (9): scenario-number-00-")
    assert block[1].endswith("more")
    assert any(line.startswith("  retry-after-ignored (5): ") for line in block)
    assert "  error (1): scenario-number-59-with-a-long-descriptive-id" in block


def test_failures_known_to_the_baseline_fold_into_one_line() -> None:
    m = big_matrix()
    known = {
        c.key
        for c in m.cells
        if c.status in ("fail", "error")
        and c.scenario != "scenario-number-59-with-a-long-descriptive-id"
    }
    lines = summarize(m, known=known).splitlines()
    assert len(lines) == 1 + 13 * 3
    assert lines[2] == "  error (1): scenario-number-59-with-a-long-descriptive-id"
    assert lines[3] == (
        "  known (14, as in the baseline): transport-error-leaked x9, retry-after-ignored x5"
    )


def test_root_code_is_the_first_error_finding() -> None:
    c = cell("d", "s", "fail", "transport-error-leaked", "no-terminal-event")
    assert root_code(c) == "transport-error-leaked"
    assert root_code(cell("d", "s", "error")) == "error"
