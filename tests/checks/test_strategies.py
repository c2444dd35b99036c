"""Generated scenarios are valid (pydantic, JSON Schema, YAML round trip, synthesizable) and
the strategies behave like Hypothesis's own: arguments checked up front, reprs echo the call."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.dialects import DialectError, get_dialect
from harness.fuzz.runner import scenario_yaml
from harness.fuzz.strategies import (
    Faults,
    chunkings,
    faults,
    from_json_schema,
    http_errors,
    parameter_schemas,
    replies,
    scenarios,
    stream_faults,
    texts,
    tools,
)
from harness.scenario.load import parse_scenario
from harness.scenario.model import (
    EveryN,
    HttpErrorReply,
    Scenario,
    SplitAt,
    StreamFault,
    Tool,
    ToolCallPart,
)
from harness.vocab.schema import schema_path

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path("scenario").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


VALIDATOR = _validator()


@FAST
@given(scenarios(dialect="openai-chat"))
def test_generated_scenarios_validate_and_synthesize(scenario: Scenario) -> None:
    data = scenario.model_dump(mode="json")
    errors = sorted(VALIDATOR.iter_errors(data), key=str)
    assert not errors, errors[0].message
    assert Scenario.model_validate(data) == scenario
    script = get_dialect("openai-chat").synthesize(scenario)  # SplitAt offsets fit the body
    assert len(script.exchanges) == len(scenario.attempts)


@FAST
@given(scenarios())
def test_dialect_free_scenarios_use_size_free_chunkings(scenario: Scenario) -> None:
    assert list(VALIDATOR.iter_errors(scenario.model_dump(mode="json"))) == []
    for reply in scenario.replies():
        assert not isinstance(reply.wire.chunking, SplitAt)


@FAST
@given(scenarios(dialect="openai-chat"))
def test_yaml_round_trip(scenario: Scenario) -> None:
    text = scenario_yaml(scenario)
    assert text.startswith(
        "# yaml-language-server: $schema=../harness/vocab/schema/scenario.schema.json"
    )
    parsed = parse_scenario(text, source="generated.yaml")
    assert parsed.model_dump() == scenario.model_dump()  # (== also compares the file name)


@FAST
@given(st.data())
def test_arguments_validate_against_their_schema(data: st.DataObject) -> None:
    schema = data.draw(parameter_schemas())
    jsonschema.Draft202012Validator.check_schema(schema)
    value = data.draw(from_json_schema(schema))
    jsonschema.validate(value, schema)
    assert json.loads(json.dumps(value)) == value


@FAST
@given(scenarios(dialect="openai-chat", faults=False, retries=False))
def test_expect_matches_the_reply(scenario: Scenario) -> None:
    (reply,) = scenario.replies()
    expect = scenario.expect
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    assert expect.tool_calls is not None
    assert [c.name for c in expect.tool_calls] == [c.name for c in calls]
    assert expect.finish == ("tool_calls" if calls else reply.finish)
    assert expect.requests == 1 and expect.error is None
    names = {t.name for t in scenario.request.tools}
    assert {c.name for c in calls} <= names


def test_faults_name_the_error_a_correct_adapter_raises() -> None:
    assert Faults(stream=StreamFault(cut_after=0)).error_kind() == "protocol"
    assert Faults(stream=StreamFault(stall_after=2)).error_kind() == "timeout"
    assert Faults(stream=StreamFault(error_payload={"error": {}})).error_kind() == "server"
    assert Faults().error_kind() is None
    errors = Faults(errors=(HttpErrorReply(status=429), HttpErrorReply(status=429, retry_after=1)))
    assert errors.give_up_kind() == "rate_limit"
    assert Faults(errors=(HttpErrorReply(status=503),)).give_up_kind() == "server"


def test_special_text_is_reachable() -> None:
    from hypothesis import find

    for needle in ("\u2028", "\u0085", "\u202e", "e\u0301", "👩\u200d💻"):
        assert needle in find(texts(), lambda t, n=needle: n in t)  # type: ignore[misc]


def test_every_retry_after_form_is_reachable() -> None:
    from hypothesis import find

    def has_form(form: str) -> Callable[[HttpErrorReply], bool]:
        return lambda e: e.retry_after_form == form and bool(e.retry_after)

    for form in ("seconds", "ms", "http_date"):
        assert find(http_errors(), has_form(form)).status in (429, 503)
    assert find(http_errors(), lambda e: e.retry_after is None).retry_after is None


def test_every_chunking_kind_is_reachable() -> None:
    from hypothesis import find

    split = find(chunkings(size=50), lambda c: isinstance(c, SplitAt))
    assert split == SplitAt(at=[0])
    assert find(chunkings(), lambda c: isinstance(c, EveryN)) == EveryN(every=1)
    for name in ("per_event", "mid_utf8", "whole"):
        assert find(chunkings(), lambda c, n=name: c == n) == name  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: replies(max_parts=-1), "max_parts=-1 must be >= 0"),
        (
            lambda: replies(text="yes"),  # type: ignore[arg-type]
            "text='yes' must be a bool",
        ),
        (lambda: chunkings(size=-3), "size=-3 must be >= 0"),
        (lambda: chunkings(max_every=0), "max_every=0 must be >= 1"),
        (lambda: faults(statuses=[]), "statuses must not be empty"),
        (lambda: faults(statuses=[200]), "status=200 must be between 400 and 599"),
        (
            lambda: stream_faults(max_index=1.5),  # type: ignore[arg-type]
            "max_index=1.5 must be an int",
        ),
        (lambda: tools(max_tools=-1), "max_tools=-1"),
        (lambda: from_json_schema({"type": "string", "pattern": "x"}), "'pattern'"),
        (lambda: from_json_schema({"type": "object", "required": ["a"]}), "'a' is required"),
        (lambda: from_json_schema({"type": "thing"}), "unknown type 'thing'"),
        (lambda: replies(tools=[Tool(name="t", parameters={"oneOf": []})]), "tool t"),
    ],
)
def test_bad_arguments_fail_when_called(make: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace("[", r"\[")):
        make()


def test_unknown_dialect_fails_when_called() -> None:
    with pytest.raises(DialectError, match="unknown dialect 'nope'"):
        scenarios(dialect="nope")


def test_reprs_echo_the_call() -> None:
    assert repr(scenarios(dialect="openai-chat")) == "scenarios(dialect='openai-chat')"
    assert repr(scenarios(stream=True, faults=False)) == "scenarios(stream=True, faults=False)"
    assert repr(replies()) == "replies()"
    assert repr(faults(max_errors=2)) == "faults(max_errors=2)"
    assert repr(texts(max_size=5)) == "texts(max_size=5)"
    assert repr(parameter_schemas(max_depth=1)) == "parameter_schemas(max_depth=1)"


def test_hypothesis_is_not_imported_by_harness_or_the_plugin() -> None:
    code = (
        "import sys, harness, harness.plugin.pytest_plugin, harness.cli.app, harness.run.runner, "
        "harness.checks, harness.run.rechunk, harness.report.html\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
