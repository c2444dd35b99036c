"""Properties of the loader under garbage input, and consistency rules for the bundled set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.scenario.load import load_scenarios, parse_scenario
from harness.scenario.model import ErrorAttempt, ReplyWrapper, Scenario, ToolCallPart
from harness.vocab.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = load_scenarios(SCENARIOS)
VALID = (SCENARIOS / "text-plain.yaml").read_text(encoding="utf-8")
LOCATED = re.compile(r"^fuzz\.yaml:\d+(:\d+)?: \S")

# Pieces of YAML and of our vocabulary, so the fuzzer reaches past the YAML parser.
TOKENS = [
    "id: x", "request:", "attempts:", "expect:", "reply:", "error:", "parts:", "text:",
    "finish:", "status: 429", "- ", "  ", "\n", "\r\n", "\t", ": ", "[", "]", "{", "}", ",",
    "'", '"', "&a ", "*a", "<<: *a", "!!str ", "!!python/name:os ", "? ", "---\n", "...\n",
    "%YAML 1.1\n", "#", "|", ">-", "0", "-1", "1e400", ".nan", "~", "null", "yes",
    "2024-13-45", "2024-01-01", "é", "日本", "\u2028", "\x85", "\x00", "\ufeff", "\\u12",
]  # fmt: skip
yaml_like = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_located_error(text: str | bytes) -> None:
    try:
        parse_scenario(text, source="fuzz.yaml")
    except ScenarioError as exc:
        for line in str(exc).splitlines():
            assert LOCATED.match(line), line


@FUZZ
@given(st.one_of(st.text(), yaml_like))
def test_garbage_text_gives_a_scenario_or_a_located_scenario_error(text: str) -> None:
    _parse_or_located_error(text)


@FUZZ
@given(st.binary())
def test_garbage_bytes_give_a_scenario_or_a_located_scenario_error(data: bytes) -> None:
    _parse_or_located_error(data)


@FUZZ
@given(
    st.integers(min_value=0, max_value=len(VALID.splitlines()) - 1),
    st.one_of(yaml_like, st.text(max_size=20)),
)
def test_a_damaged_valid_file_gives_a_scenario_or_a_located_error(
    line_no: int, replacement: str
) -> None:
    lines = VALID.splitlines(keepends=True)
    indent = lines[line_no][: len(lines[line_no]) - len(lines[line_no].lstrip())]
    lines[line_no] = indent + replacement + "\n"
    _parse_or_located_error("".join(lines))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.floats(-1, 1e3) | st.text(max_size=12)
    | st.sampled_from(["stop", "reply", "error", "text", "every", "per_event", "http_date"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["text", "reply", "error", "every", "at", "x"]), inner,
                      max_size=3),
    max_leaves=6,
)  # fmt: skip


def _paths(data: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


@FUZZ
@given(st.sampled_from(BUNDLED), st.data(), json_values)
def test_a_wrong_value_anywhere_gives_a_scenario_or_a_located_error(
    scenario: Scenario, data: st.DataObject, value: object
) -> None:
    tree = scenario.model_dump(mode="json", exclude_defaults=True)
    path = data.draw(st.sampled_from(_paths(tree)[1:]))
    parent = tree
    for seg in path[:-1]:
        parent = parent[seg]
    parent[path[-1]] = value
    _parse_or_located_error(yaml.safe_dump(tree))


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.id)
def test_round_trip_through_yaml_is_lossless(scenario: Scenario) -> None:
    data = scenario.model_dump(mode="json")
    # allow_unicode=True is not lossless: PyYAML folds a raw U+0085 (a YAML 1.1 line break)
    again = parse_scenario(yaml.safe_dump(data))
    assert again.model_dump(mode="json") == data  # (== would compare where each came from)


# --------------------------------------------------------------------------- the bundled set


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.id)
def test_description_is_one_sentence_about_a_correct_adapter(scenario: Scenario) -> None:
    text = scenario.description
    assert text.startswith("A correct ") and text.endswith("."), text
    assert not re.search(r"\.\s+[A-Z]", text.replace("e.g. ", "")), "one sentence"


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.id)
def test_id_does_not_name_a_dialect(scenario: Scenario) -> None:
    """Neutral scenarios are named for what they test; dialect-only ones may name the wire."""
    if scenario.dialects is not None:
        return
    for dialect in ("openai", "anthropic", "azure", "gemini", "responses", "gateway"):
        assert dialect not in scenario.id


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.id)
def test_expectations_match_the_scripted_reply(scenario: Scenario) -> None:
    expect, replies = scenario.expect, scenario.replies()
    if expect.error is not None or scenario.dialects is not None:
        return  # dialect-only flows (polled runs, refresh) count requests their own way
    if expect.finish is None and expect.give_up is not None:
        return  # giving up is the expected outcome (e.g. a Retry-After beyond any cap)
    assert expect.finish is not None and expect.requests is not None
    assert expect.requests == len(scenario.attempts), "every scripted attempt is used"
    final = scenario.attempts[-1]
    assert isinstance(final, ReplyWrapper) and final.reply.fault is None
    reply = final.reply
    assert replies[-1] is reply
    assert reply.usage is not None and expect.usage is not None
    assert (expect.usage.input, expect.usage.output) == (reply.usage.input, reply.usage.output)
    assert expect.finish == reply.finish
    text = "".join(getattr(p, "text", "") for p in reply.parts)
    assert expect.text == text or (expect.text is None and text == "")
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    if calls:
        assert expect.tool_calls is not None
        assert [(c.name, _parsed(c.argument_text())) for c in calls] == [
            (c.name, c.arguments) for c in expect.tool_calls
        ]


def _parsed(text: str) -> object:
    """Arguments as a caller sees them: an empty string is a call without arguments."""
    return json.loads(text) if text.strip() else {}


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.id)
def test_tool_calls_use_declared_tools(scenario: Scenario) -> None:
    declared = {t.name for t in scenario.request.tools}
    for reply in scenario.replies():
        for part in reply.parts:
            if isinstance(part, ToolCallPart):
                assert part.tool_call.name in declared


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.id)
def test_min_wait_is_what_the_retry_after_headers_add_up_to(scenario: Scenario) -> None:
    waits = [
        a.error.retry_after
        for a in scenario.attempts
        if isinstance(a, ErrorAttempt) and a.error.retry_after is not None
    ]
    if scenario.expect.min_wait is not None:
        assert scenario.expect.min_wait == pytest.approx(sum(waits))
