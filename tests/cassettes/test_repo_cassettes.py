"""The cassettes in the repository's ``cassettes/`` folder: free of credentials, one or more
per dialect, and each one replays to its real client exactly what the recording gave it.

They were recorded with ``harness record`` against a local server on 127.0.0.1 and the
real clients (see ``examples/local_provider``); a replay here needs neither.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.local_provider import call
from examples.local_provider.recorded import RECORDED
from harness.cassettes.format import load_cassette
from harness.cassettes.import_ import scenarios_from
from harness.cassettes.record import recording
from harness.cli.app import main
from harness.dialects import dialect_names
from harness.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"
OFFLINE = "http://127.0.0.1:9"  # nothing listens there: only the cassette can answer


def test_the_folder_holds_every_listed_cassette_and_one_per_dialect_at_least() -> None:
    present = {p.name for p in CASSETTES.glob("*.yaml")}
    assert present == set(RECORDED)
    assert len(present) >= 5
    assert {dialect for dialect, _ in RECORDED.values()} == set(dialect_names())


def test_harness_scan_finds_no_credential_in_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(CASSETTES)]) == 0
    assert capsys.readouterr().out == ""


def test_the_recorded_key_is_redacted() -> None:
    for name in RECORDED:
        text = (CASSETTES / name).read_text(encoding="utf-8")
        assert "sk-local-recording" not in text, name
        assert "REDACTED" in text, name


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_each_cassette_replays_the_recorded_reply_to_its_client(name: str) -> None:
    dialect, scenario_id = RECORDED[name]
    expect = load_scenario(ROOT / "scenarios" / f"{scenario_id}.yaml").expect
    with recording(CASSETTES / name, "none") as recorder:
        got = call(dialect, OFFLINE, tools=bool(expect.tool_calls))
    assert recorder.replay is not None and not recorder.replay.remaining
    assert got.text == (expect.text or "")
    wanted = [(c.name, c.arguments) for c in expect.tool_calls or ()]
    assert got.tool_calls == wanted


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_each_cassette_imports_into_a_scenario_expecting_the_recorded_reply(name: str) -> None:
    dialect, scenario_id = RECORDED[name]
    original = load_scenario(ROOT / "scenarios" / f"{scenario_id}.yaml").expect
    [imported] = scenarios_from(load_cassette(CASSETTES / name))
    assert imported.dialect == dialect and imported.scenario is not None
    expect = imported.scenario.expect
    assert (expect.text or "") == (original.text or "")
    assert [(c.name, c.arguments) for c in expect.tool_calls or ()] == [
        (c.name, c.arguments) for c in original.tool_calls or ()
    ]
    assert expect.finish == original.finish and expect.usage == original.usage


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_recording_it_again_says_the_same_thing(name: str, tmp_path: Path) -> None:
    """The committed cassette is what ``harness record ... -- -m examples.local_provider``
    produces today: a fresh recording differs only in noise (ports, dates, ids, timings)."""
    from examples.local_provider import serving
    from harness.cassettes.diff import diff_cassettes
    from harness.dialects import get_dialect

    dialect, scenario_id = RECORDED[name]
    scenario = load_scenario(ROOT / "scenarios" / f"{scenario_id}.yaml")
    fresh = tmp_path / name
    with (
        serving(get_dialect(dialect).synthesize(scenario)) as base,
        recording(fresh, "all"),
    ):
        call(dialect, base, tools=bool(scenario.request.tools))
    assert diff_cassettes(load_cassette(CASSETTES / name), load_cassette(fresh)) == []
