"""The HTML report (self-contained, escaped, opens a cell on click) and the JSON report's
published schema; the HTML is also rendered in headless Chromium when it is installed."""

from __future__ import annotations

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from harness.cli.app import main
from harness.matrix.run import Matrix
from harness.report.html import to_html
from harness.report.schema import report_schema
from harness.report.writers import to_json
from harness.run.cell import Cell, cell_from_run
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.findings import Finding
from tests.cdp import Browser
from tests.checks.planted import Bugs, PlantedDriver

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "harness" / "vocab" / "schema" / "report.schema.json"
CHROMIUM = Path("/usr/bin/chromium")
SCENARIOS = [
    "text-plain",
    "tool-call-fragmented",
    "retry-429-seconds",
    "nonstream-text",
    "fault-stream-cut",
]


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    """Two planted drivers (one correct, one with bugs) over a few bundled scenarios, plus a
    hostile finding that must come out escaped."""
    cells: list[Cell] = []
    for name, bugs in (
        ("planted", Bugs()),
        ("planted-buggy", Bugs(drop_last_fragment=True, ignore_retry_after=True)),
    ):
        for sid in SCENARIOS:
            run = run_scenario(
                load_scenario(ROOT / "scenarios" / f"{sid}.yaml"), PlantedDriver(bugs)
            )
            cells.append(cell_from_run(run).model_copy(update={"driver": name}))
    hostile = Finding(
        code="text-mismatch",
        check="expectations",
        message="<img src=x onerror=alert(1)> & </script>",
        expected="<b>",
        where="x.yaml:1",
    )
    cells.append(
        Cell(
            driver="planted",
            scenario="hostile",
            dialect="openai-chat",
            status="fail",
            reason="text-mismatch: <img src=x>",
            findings=[hostile],
        )
    )
    cells.append(
        Cell(driver="planted-buggy", scenario="hostile", dialect="", status="error", reason="boom")
    )
    return Matrix(
        drivers=["planted", "planted-buggy"],
        scenarios=[*SCENARIOS, "hostile"],
        cells=cells,
        wall_seconds=1.25,
    )


# --------------------------------------------------------------------------- JSON schema


def test_checked_in_report_schema_is_current() -> None:
    expected = json.dumps(report_schema(), indent=2, sort_keys=True) + "\n"
    assert SCHEMA.read_text(encoding="utf-8") == expected, (
        f"{SCHEMA} is stale: run `harness schema report > {SCHEMA.relative_to(ROOT)}`"
    )
    jsonschema.Draft202012Validator.check_schema(json.loads(expected))


@pytest.mark.parametrize("transcripts", [True, False])
def test_json_report_validates_against_its_schema(matrix: Matrix, transcripts: bool) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    report = json.loads(to_json(matrix, transcripts=transcripts))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(report))
    assert not errors, errors[0]
    assert any(c.get("transcript") for c in report["cells"]) is transcripts


def test_schema_rejects_a_malformed_report(matrix: Matrix) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    report = json.loads(to_json(matrix))
    report["cells"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError, match="'maybe'"):
        jsonschema.validate(report, schema)


def test_schema_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "report"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"] == "urn:harness:schema:report"


# --------------------------------------------------------------------------- HTML


def _tags(page: str) -> list[tuple[str, list[str]]]:
    """Every start tag and its attribute names, as a browser's tokenizer sees them."""
    found: list[tuple[str, list[str]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Tags().feed(page)
    return found


def test_html_has_the_matrix_and_every_cell(matrix: Matrix) -> None:
    page = to_html(matrix)
    assert page.startswith("<!doctype html>")
    assert page.count('<tr class="') == len(matrix.scenarios)
    for c in matrix.cells:
        assert page.count(f'data-key="{c.key}"') == 2  # its table cell and its details
    assert "tool-args-fragment-lost" in page and "retry-after-ignored" in page
    assert "<b>Fix:</b>" in page  # the catalogue's advice beside each finding
    assert '<b class="FAIL">FAIL</b>' in page and '<b class="PASS">PASS</b>' not in page
    assert "13 cells" not in page and f"{len(matrix.cells)} cells" in page


def test_html_is_self_contained(matrix: Matrix) -> None:
    page = to_html(matrix)
    tags = _tags(page)
    assert not {"link", "img", "iframe", "object", "embed"} & {tag for tag, _ in tags}
    assert not [(tag, a) for tag, attrs in tags for a in attrs if a in ("src", "href")]
    assert "@import" not in page and "url(" not in page
    assert page.count("<script>") == 1 and page.count("<style>") == 1


def test_html_escapes_what_it_shows(matrix: Matrix) -> None:
    page = to_html(matrix)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;/script&gt;" in page
    assert page.count("</script>") == 1


def test_html_has_a_timeline_for_every_cell_that_ran(matrix: Matrix) -> None:
    page = to_html(matrix)
    ran = [c for c in matrix.cells if c.transcript is not None]
    assert ran and page.count('<svg class="timeline"') == len(ran)
    assert page.count('<ol class="marks">') == len(ran)  # the same marks as text, no script
    assert "client waits 2" in page and "(Retry-After asked 2 s)" in page
    assert "sooner than asked" in page  # the planted bug that ignores Retry-After
    assert "stream cut by the server after" in page


def test_html_is_deterministic(matrix: Matrix) -> None:
    assert to_html(matrix) == to_html(matrix)


@pytest.mark.adapters
def test_matrix_cli_writes_html_and_json(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    html, report = tmp_path / "out" / "report.html", tmp_path / "report.json"
    scenario = ROOT / "scenarios" / "text-plain.yaml"
    args = ["matrix", "--quiet", "--scenarios", str(scenario), "--driver", "openai-sdk-chat"]
    assert main([*args, "--html", str(html), "--json", str(report)]) == 0
    assert 'data-key="openai-sdk-chat::text-plain"' in html.read_text(encoding="utf-8")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(report.read_text(encoding="utf-8")), schema)


# --------------------------------------------------------------------------- Chromium


def _chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install)")
def test_chromium_renders_the_matrix_and_opens_cells(matrix: Matrix, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(to_html(matrix), encoding="utf-8")
    url = page.as_uri()

    # the page renders: a screenshot with the matrix in it (look at it: tmp_path/matrix.png)
    png = tmp_path / "matrix.png"
    _chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,900", url)
    assert png.stat().st_size > 20_000  # a blank page is ~5 KB

    # a link to one cell opens its details on load
    key = "planted-buggy::tool-call-fragmented"
    dom = _chromium(tmp_path, "--dump-dom", f"{url}#cell={key}")
    assert '<table class="matrix" id="matrix">' in dom
    assert f'<body data-open="{key}">' in dom
    assert re.search(rf'<section class="detail open" data-key="{re.escape(key)}"', dom)
    assert dom.count('class="detail open"') == 1

    # a click opens a cell: the same page with a one-line hook that clicks the first failure
    clicked = tmp_path / "clicked.html"
    hook = "<script>document.querySelector('td.fail button').click()</script>"
    clicked.write_text(page.read_text(encoding="utf-8").replace("</body>", hook + "</body>"))
    dom = _chromium(tmp_path, "--dump-dom", clicked.as_uri())
    opened = re.search(r'<section class="detail open" data-key="([^"]+)"', dom)
    assert opened is not None
    assert opened.group(1) == next(c.key for c in matrix.cells if c.status == "fail")
    assert re.search(r'<td class="fail selected" data-key="[^"]+">', dom)


_LAYOUT_PROBE = """(function () {
  var out = {width: innerWidth, problems: [], opened: 0};
  function check(what) {
    var wide = document.documentElement.scrollWidth;
    if (wide > innerWidth) out.problems.push(what + ": the page scrolls sideways: " + wide);
  }
  check("the matrix");
  document.querySelectorAll("td[data-key] button").forEach(function (button) {
    var key = button.parentElement.dataset.key;
    button.scrollIntoView({block: "center", inline: "center"});
    var b = button.getBoundingClientRect();
    if (b.width < 1 || b.left < 0 || b.right > innerWidth) out.problems.push(key + ": cell hidden");
    button.click();
    var panel = document.querySelector(".detail.open");
    if (!panel || panel.dataset.key !== key) { out.problems.push(key + ": no details"); return; }
    var p = panel.getBoundingClientRect();
    if (p.left < 0 || p.right > innerWidth + 0.5 || p.width < 300)
      out.problems.push(key + ": details at " + p.left + ".." + p.right);
    if (panel.scrollWidth > panel.clientWidth)
      out.problems.push(key + ": details scroll sideways");
    var close = panel.querySelector("button.close").getBoundingClientRect();
    if (close.right > innerWidth || close.top < 0) out.problems.push(key + ": close unreachable");
    var svg = panel.querySelector("svg.timeline");
    if (svg && svg.getBoundingClientRect().right > p.right)
      out.problems.push(key + ": timeline wider than the details");
    check(key);
    out.opened += 1;
    panel.querySelector("button.close").click();
  });
  return out;
})()"""


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install)")
@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (390, True)])
def test_chromium_layout_holds_at_desktop_and_phone_widths(
    matrix: Matrix, tmp_path: Path, width: int, mobile: bool
) -> None:
    """No sideways scrolling of the page, and every cell's details (with its timeline) open
    fully on screen with a reachable close button, at 1280 and 390 CSS pixels (a phone:
    device emulation, since headless windows are at least 500 wide). A screenshot of each
    is left in tmp_path, or in $HARNESS_SCREENSHOTS (how docs/report-*.png are made)."""
    page = tmp_path / "report.html"
    page.write_text(to_html(matrix), encoding="utf-8")
    with Browser(CHROMIUM, tmp_path / "profile") as browser:
        browser.open(page.as_uri(), width=width, height=900, mobile=mobile)
        layout = browser.evaluate(_LAYOUT_PROBE)
        assert layout["width"] == width
        assert layout["opened"] == len(matrix.cells)
        assert layout["problems"] == []

        key = "planted-buggy::retry-429-seconds"
        browser.open(f"{page.as_uri()}#cell={key}", width=width, height=900, mobile=mobile)
        shown = "document.querySelector('.detail.open figure.timeline')"
        assert browser.evaluate(f"{shown} !== null")
        browser.evaluate(f"{shown}.previousElementSibling.scrollIntoView()")  # the heading
        folder = Path(os.environ.get("HARNESS_SCREENSHOTS") or tmp_path)
        png = folder / f"report-{width}.png"
        browser.screenshot(png)
    assert png.stat().st_size > 20_000  # a blank page is ~5 KB
