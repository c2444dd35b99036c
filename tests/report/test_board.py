"""The board: docs/matrix.md's findings grouped by library and version, each with its
impact, its cells and the command that writes its reproducer."""

from __future__ import annotations

from harness.matrix.run import Matrix
from harness.matrix.verdict import verdict
from harness.report.board import board_lines, library_of
from harness.report.matrix_doc import render_matrix_doc
from harness.run.cell import Cell
from harness.vocab.events import Transcript
from harness.vocab.findings import Finding

HARNESS = {"llm-adapter-harness": "0.1.0", "harness": "0.1.0"}


def _cell(driver: str, scenario: str, versions: dict[str, str], *codes: str) -> Cell:
    return Cell(
        driver=driver,
        scenario=scenario,
        dialect="openai-chat",
        status="fail" if codes else "pass",
        transcript=Transcript(
            scenario=scenario, driver=driver, dialect="openai-chat", versions=versions
        ),
        findings=[Finding(code=c, check="expectations", message="m") for c in codes],
    )


OPENAI = {**HARNESS, "openai": "2.54.0", "httpx": "0.28.1"}
LITELLM = {**HARNESS, "litellm": "1.82.5", "openai": "2.54.0"}
CELLS = [
    _cell("sdk-chat", "s-trunc", OPENAI, "truncated-stream-accepted", "no-terminal-event"),
    _cell("sdk-resp", "s-trunc", OPENAI, "truncated-stream-accepted"),
    _cell("sdk-chat", "s-bom", OPENAI, "sse-bom-mishandled"),
    _cell("lite", "s-huge", LITELLM, "retry-wait-unbounded"),
    _cell("lite", "s-ok", LITELLM),
    _cell("mine", "s-bom", {}, "sse-bom-mishandled"),
]


def test_the_library_is_the_drivers_first_distribution_after_harness() -> None:
    assert library_of(CELLS[0]) == ("openai", "2.54.0")
    assert library_of(CELLS[3]) == ("litellm", "1.82.5")
    assert library_of(CELLS[5]) == ("mine", "")  # records no versions: the driver's name


def test_findings_are_grouped_by_library_with_impact_cells_and_command() -> None:
    lines = board_lines(CELLS, can_repro=lambda driver: driver != "sdk-chat")
    text = "\n".join(lines)
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == ["### litellm 1.82.5", "### mine", "### openai 2.54.0"]
    openai = text.split("### openai 2.54.0")[1]
    rows = [line for line in openai.splitlines() if line.startswith("| [`")]
    # data-loss before silent-failure, then by code
    assert [row.split("`")[1] for row in rows] == [
        "sse-bom-mishandled",
        "no-terminal-event",
        "truncated-stream-accepted",
    ]
    truncated = rows[2]
    assert "| silent-failure |" in truncated
    assert "`sdk-chat`: `s-trunc`; `sdk-resp`: `s-trunc`" in truncated
    # the first cell whose driver has a recipe gives the command
    assert "`harness repro --driver sdk-resp --scenario s-trunc`" in truncated
    # no driver with a recipe: the run command instead
    assert "`harness run s-bom --driver sdk-chat`" in rows[0]
    assert "| hang |" in text.split("### litellm 1.82.5")[1].split("###")[0]


def test_the_page_has_the_board_and_no_findings_says_so() -> None:
    m = Matrix(drivers=["sdk-chat"], scenarios=["s-trunc"], cells=CELLS[:1], wall_seconds=1.0)
    page = render_matrix_doc(m, [verdict(CELLS[:1], "sdk-chat")])
    assert "## Findings by library" in page and "### openai 2.54.0" in page
    assert page.index("## Findings by library") < page.index("## Cells")
    assert board_lines(CELLS[4:5])[-1] == "No findings."
