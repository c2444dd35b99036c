"""The loader: bundled scenarios load, and every mistake is reported as file:line: field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.scenario.load import load_scenario, load_scenarios, parse_scenario
from harness.scenario.model import ReplyWrapper, Scenario
from harness.vocab.errors import HarnessError, ScenarioError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
SCHEMA_COMMENT = "# yaml-language-server: $schema=../harness/vocab/schema/scenario.schema.json\n"

VALID = """\
# yaml-language-server: $schema=../harness/vocab/schema/scenario.schema.json
id: demo
request:
  messages:
    - role: user
      content: hi
attempts:
  - reply:
      parts:
        - text: hello
      finish: stop
expect:
  finish: stop
"""


def _error(text: str, source: str = "scenarios/demo.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source=source)
    return info.value


# --------------------------------------------------------------------------- bundled files


def test_there_are_bundled_scenarios() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.id == path.stem
    assert scenario.where() == f"{path}:2"  # line 1 is the schema comment


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_file_starts_with_schema_comment(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith(SCHEMA_COMMENT)


def test_load_scenarios_sorted_unique_and_named_after_files() -> None:
    scenarios = load_scenarios(SCENARIOS)
    ids = [s.id for s in scenarios]
    assert ids == [p.stem for p in FILES]
    assert len(set(ids)) == len(ids)
    assert [s.source for s in scenarios] == [str(p) for p in FILES]


def test_load_scenarios_accepts_a_list_and_sorts_it_by_file_name() -> None:
    picked = [SCENARIOS / "text-plain.yaml", SCENARIOS / "retry-503.yaml"]
    assert [s.id for s in load_scenarios(picked)] == ["retry-503", "text-plain"]


def test_every_bundled_scenario_loads() -> None:
    """How fast is measured in benchmarks/loading.py."""
    assert len(load_scenarios(SCENARIOS)) == len(FILES)


# --------------------------------------------------------------------------- locations


def test_where_gives_file_and_line() -> None:
    scenario = parse_scenario(VALID, source="x/demo.yaml")
    assert scenario.where() == "x/demo.yaml:2"
    assert scenario.source == "x/demo.yaml"
    assert parse_scenario(VALID).where() == "<string>:2"


def test_wrong_finish_names_file_line_and_field() -> None:
    text = VALID.replace("      finish: stop", "      finish: ended")
    error = _error(text)
    assert str(error) == (
        "scenarios/demo.yaml:11: attempts[0].reply.finish: expected one of 'stop', 'length',"
        " 'tool_calls', 'content_filter', 'error', 'paused' or 'none' (got 'ended')"
    )
    assert (error.file, error.line, error.field) == (
        "scenarios/demo.yaml",
        11,
        "attempts[0].reply.finish",
    )


def test_unknown_key_names_its_line_and_a_close_match() -> None:
    text = VALID.replace("      content: hi", "      content: hi\n      contnet: hi")
    assert str(_error(text)) == (
        "scenarios/demo.yaml:7: request.messages[0].contnet: unknown key 'contnet';"
        " did you mean 'content'?"
    )


def test_unknown_key_without_close_match_lists_the_allowed_keys() -> None:
    text = VALID.replace("expect:\n", "expect:\n  banana: 1\n")
    message = str(_error(text))
    assert message.startswith("scenarios/demo.yaml:13: expect.banana: unknown key 'banana' (")
    assert "text, reasoning, refusal, tool_calls, finish" in message


def test_missing_required_field() -> None:
    text = VALID.split("attempts:")[0] + "expect: {}\n"
    assert str(_error(text)) == "scenarios/demo.yaml:2: attempts: required key is missing"


def test_missing_nested_field_points_at_its_parent() -> None:
    text = VALID.replace("  - reply:\n", "  - error: {body: x}\n  - reply:\n")
    assert str(_error(text)) == (
        "scenarios/demo.yaml:8: attempts[0].error.status: required key is missing"
    )


def test_every_error_is_listed_one_per_line_in_line_order() -> None:
    text = VALID.replace("      finish: stop", "      finish: done")
    text = text.replace("  finish: stop", "  finish: over").replace("id: demo", "id: Demo")
    error = _error(text)
    lines = str(error).splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["2", "11", "13"]
    assert lines[0].startswith("scenarios/demo.yaml:2: id: expected text matching")
    assert lines[2].startswith("scenarios/demo.yaml:13: expect.finish: expected one of")
    assert error.problems == tuple(lines)


def test_union_errors_report_the_branch_the_value_was_meant_for() -> None:
    text = VALID.replace(
        "      finish: stop", "      finish: stop\n      wire: {chunking: {every: 0}}"
    )
    assert str(_error(text)) == (
        "scenarios/demo.yaml:12: attempts[0].reply.wire.chunking.every:"
        " expected a number >= 1 (got 0)"
    )


def test_a_value_no_union_branch_takes_gives_one_line_and_a_hint() -> None:
    text = VALID.replace(
        "      finish: stop", "      finish: stop\n      wire: {chunking: per-event}"
    )
    assert str(_error(text)) == (
        "scenarios/demo.yaml:12: attempts[0].reply.wire.chunking: expected one of 'per_event',"
        " 'whole', 'mid_utf8', 'crlf_split' or a mapping (got 'per-event'); did you mean"
        " 'per_event'?"
    )


def test_an_attempt_without_reply_or_error() -> None:
    text = VALID.replace("  - reply:", "  - answer:")
    assert str(_error(text)).startswith(
        "scenarios/demo.yaml:8: attempts[0]: an attempt needs one key: "
        "reply, error, disconnect or raw"
    )


def test_yaml_booleans_for_text_get_a_quoting_hint() -> None:
    text = VALID.replace("        - text: hello", "        - text: yes")
    assert str(_error(text)) == (
        "scenarios/demo.yaml:10: attempts[0].reply.parts[0].text: expected a string"
        " (got true); quote it to keep it text"
    )


def test_duplicate_keys_are_errors() -> None:
    text = VALID.replace("      finish: stop", "      finish: stop\n      finish: length")
    assert str(_error(text)) == (
        "scenarios/demo.yaml:12: attempts[0].reply: duplicate key 'finish' (first at line 11)"
    )


# --------------------------------------------------------------------------- not even YAML


def test_yaml_syntax_error_has_line_and_column() -> None:
    error = _error("id: demo\nrequest:\n  messages: [\n    {role: user\n")
    assert re.match(r"scenarios/demo\.yaml:5:1: YAML syntax error: ", str(error)), str(error)
    assert (error.line, error.column) == (5, 1)


def test_mapping_value_in_the_wrong_place() -> None:
    error = _error("id: demo\n  request: x\n")
    assert str(error).startswith("scenarios/demo.yaml:2:10: YAML syntax error: mapping values")


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert str(_error(text)) == (
        "scenarios/demo.yaml:1: the scenario is empty"
        " (expected a mapping with the keys id, request, attempts, expect)"
    )


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "a list"), ("hello\n", "a single value")])
def test_top_level_must_be_a_mapping(text: str, got: str) -> None:
    assert str(_error(text)).endswith(f"(got {got})")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.replace("hello", "h\xe9llo").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == (
        f"{path}:10:18: not UTF-8 text: byte 0xe9 cannot be decoded (save the file as UTF-8)"
    )


def test_utf8_bom_is_accepted() -> None:
    assert parse_scenario(b"\xef\xbb\xbf" + VALID.encode()).id == "demo"


def test_control_characters_are_located() -> None:
    assert str(_error(VALID.replace("hello", "hel\x01lo"))) == (
        "scenarios/demo.yaml:10:20: control character U+0001 is not allowed in YAML"
    )


def test_python_tags_are_refused() -> None:
    error = _error("id: !!python/object/apply:os.system [echo hi]\n")
    assert "could not determine a constructor" in str(error)


def test_two_documents_are_refused() -> None:
    assert "expected a single document" in str(_error(VALID + "---\n" + VALID))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenarios([tmp_path / "nope.yaml"])
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- many files


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'b.yaml'}:2: id: duplicate scenario id 'demo'"
        f" (also in {tmp_path / 'a.yaml'}:2)"
    )


def test_errors_in_several_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / "b.yaml").write_text(VALID.replace("finish: stop", "finish: nope"))
    (tmp_path / "c.yml").write_text(VALID.replace("demo", "other"))
    (tmp_path / "notes.txt").write_text("not a scenario")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    lines = str(info.value).splitlines()
    assert [Path(ln.split(":")[0]).name for ln in lines] == ["a.yaml", "b.yaml", "b.yaml"]


def test_scenario_error_is_a_harness_error_and_a_value_error() -> None:
    error = _error("")
    assert isinstance(error, HarnessError)
    assert isinstance(error, ValueError)


def test_valid_text_gives_a_scenario() -> None:
    scenario = parse_scenario(VALID)
    assert isinstance(scenario, Scenario)
    assert isinstance(scenario.attempts[0], ReplyWrapper)
    assert scenario.expect.finish == "stop"
