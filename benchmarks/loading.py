"""Loading inputs: every bundled scenario file, and one stream cassette.

These were timed assertions in the test suite (``test_loading_is_fast``, ``test_one_stream_
cassette_loads_in_well_under_5_ms``); a test that asserts on wall time fails on a loaded
machine, so the goals live here, measured as medians.
"""

from __future__ import annotations

from benchmarks import ROOT, Row, median, spread, timed, verdict

__all__ = ["run"]

SCENARIO_GOAL = 0.02
"""Seconds per scenario file (YAML parse and validation)."""
CASSETTE_GOAL = 0.0025
"""Seconds to parse one stream cassette."""


def run(quick: bool) -> list[Row]:
    from harness.cassettes.format import dump_cassette, parse_cassette
    from harness.cassettes.replay import script_cassette
    from harness.dialects import get_dialect
    from harness.scenario.load import load_scenario, load_scenarios

    repeats = 3 if quick else 15
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    per_files = [
        timed(lambda: load_scenarios([ROOT / "scenarios"])) / len(files) for _ in range(repeats)
    ]
    per_file = median(per_files)
    scenario = load_scenario(ROOT / "scenarios" / "text-plain.yaml")
    script = get_dialect("openai-chat").synthesize(scenario)
    text = dump_cassette(script_cassette(script, "https://api.openai.com/v1", scenario))
    cassettes = [timed(lambda: parse_cassette(text)) for _ in range(repeats * 10)]
    cassette = median(cassettes)
    return [
        Row(
            benchmark="load the bundled scenarios",
            subject="harness.scenario.load.load_scenarios",
            measured=spread([t * 1000 for t in per_files], "{:.2f}", " ms per file"),
            note=f"{len(files)} files; min / median / max of {repeats} loads",
            goal=f"< {SCENARIO_GOAL * 1000:.0f} ms per file",
            result=verdict(per_file < SCENARIO_GOAL),
        ),
        Row(
            benchmark="load one stream cassette",
            subject="harness.cassettes.format.parse_cassette",
            measured=spread([t * 1000 for t in cassettes], "{:.2f}", " ms"),
            note=f"text-plain as a vcrpy-compatible cassette; min / median / max of {repeats * 10}",
            goal=f"< {CASSETTE_GOAL * 1000:.1f} ms",
            result=verdict(cassette < CASSETTE_GOAL),
        ),
    ]
