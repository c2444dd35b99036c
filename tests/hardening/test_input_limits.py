"""Small files that must not take harness down: alias bombs, keys with line breaks,
cassette headers of the wrong shape (each found by ``test_fuzz_inputs``).

A YAML alias bomb ("billion laughs": each anchor a list of ten aliases of the one before) is
a few hundred bytes whose tree has 10^n leaves; expanded, the time grows tenfold per level
(6 levels: ~1 s; 9 levels: ~20 min), so one hostile or broken file in a scenarios or
cassettes directory would hang ``harness matrix``. Both loaders count what the composed node
graph expands to (``harness/scenario/yaml_budget.py``) and refuse past a budget, with the line.

Each bomb runs in a subprocess with a timeout: a hang inside pydantic-core's validation
cannot be interrupted from Python.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from harness.scenario.load import parse_scenario
from harness.vocab.errors import ScenarioError

TIMEOUT = 5.0
LEVELS = 9
"""10^9 leaves: minutes today even on a fast machine, milliseconds once budgeted."""


def bomb(levels: int, indent: str = "") -> str:
    lines = [f"{indent}x0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for i in range(1, levels):
        lines.append(f"{indent}x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still loading after {TIMEOUT:g} s: an alias bomb hangs the loader")


SCENARIO_BOMB = (
    bomb(LEVELS)
    + f"""id: bomb
request:
  messages: [{{role: user, content: hi}}]
  options: {{deep: *a{LEVELS - 1}}}
attempts: [{{reply: {{parts: [{{text: hi}}]}}}}]
expect: {{}}
"""
)

CASSETTE_BOMB = (
    bomb(LEVELS)
    + f"""interactions:
- request: {{method: POST, uri: 'https://api.openai.com/v1/chat/completions', body: null}}
  response:
    status: {{code: 200, message: OK}}
    headers: {{}}
    body: {{string: hi}}
    parsed_body: {{deep: *a{LEVELS - 1}}}
version: 1
"""
)


def test_scenario_alias_bomb_is_refused_quickly() -> None:
    result = run_isolated(
        f"""
        from harness.vocab.errors import ScenarioError
        from harness.scenario.load import parse_scenario
        try:
            parse_scenario({SCENARIO_BOMB!r}, source="bomb.yaml")
        except ScenarioError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bomb.yaml:"), result.stdout


def test_cassette_alias_bomb_is_refused_quickly() -> None:
    result = run_isolated(
        f"""
        from harness.cassettes import CassetteError, parse_cassette
        try:
            parse_cassette({CASSETTE_BOMB!r}, "bomb.yaml")
        except CassetteError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bomb.yaml:"), result.stdout


def test_a_small_alias_tree_still_loads_fast() -> None:
    """Aliases have honest uses (a shared message list): three levels are fine today."""
    with pytest.raises(ScenarioError, match=r"^bomb\.yaml:1: x0: unknown key"):
        small = bomb(3) + SCENARIO_BOMB[len(bomb(LEVELS)) :].replace(f"*a{LEVELS - 1}", "*a2")
        parse_scenario(small, source="bomb.yaml")


def test_a_key_with_a_line_break_keeps_one_problem_per_line() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario('"a\\nb": 1\n', source="keys.yaml")
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems), lines


_CASSETTE = """interactions:
- request: {{method: POST, uri: 'https://x.invalid/v1', body: null, headers: {headers}}}
  response: {{status: {{code: 200, message: OK}}, headers: {{}}, body: {{string: hi}}}}
version: 1
"""


@pytest.mark.parametrize("headers", ["abc", "[a, b, c]"], ids=["string", "list"])
def test_cassette_headers_of_the_wrong_shape_are_located_errors(headers: str) -> None:
    from harness.cassettes import CassetteError, parse_cassette

    with pytest.raises(CassetteError, match=r"^c\.yaml:2 "):
        parse_cassette(_CASSETTE.format(headers=headers), "c.yaml")
