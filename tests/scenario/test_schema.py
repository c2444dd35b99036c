"""The checked-in JSON Schemas match the models, are valid, and accept what we ship."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import harness.vocab.schema
from harness.report.schema import scenario_schema, schema_text, transcript_schema, write_schemas
from harness.vocab.events import (
    ErrorEvent,
    FinishEvent,
    RequestRecord,
    TextEvent,
    ToolCallEvent,
    Transcript,
    UsageEvent,
)
from harness.vocab.schema import SchemaName, schema_path

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
NAMES: list[SchemaName] = ["scenario", "transcript"]


def _checked_in(name: SchemaName) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return data


def _validator(name: SchemaName) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_checked_in(name))


@pytest.mark.parametrize("name", NAMES)
def test_checked_in_schema_is_current(name: SchemaName) -> None:
    on_disk = schema_path(name).read_text(encoding="utf-8")
    assert on_disk == schema_text(name), (
        f"{schema_path(name)} is stale: the models changed; run `make schema` and commit it"
    )


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_draft_2020_12_schema(name: SchemaName) -> None:
    schema = _checked_in(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:harness:schema:{name}"
    assert schema["title"] == f"harness {name}"


def test_generated_schemas_are_plain_json() -> None:
    for schema in (scenario_schema(), transcript_schema()):
        assert json.loads(json.dumps(schema)) == schema


def test_schema_text_format() -> None:
    text = schema_text("scenario")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "$defs": {')  # sorted keys, indent 2


def test_write_schemas_writes_what_schema_text_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness.vocab.schema, "_HERE", tmp_path)
    paths = write_schemas()
    assert [p.name for p in paths] == ["scenario.schema.json", "transcript.schema.json"]
    for name, path in zip(NAMES, paths, strict=True):
        assert path.read_text(encoding="utf-8") == schema_text(name)


def test_schema_path_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown schema 'cassette'"):
        schema_path("cassette")  # type: ignore[arg-type]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_scenario_validates_against_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in _validator("scenario").iter_errors(data)]
    assert not errors, f"{path}: {errors}"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("finish", "done"), "'done' is not one of"),
        (("colour", "red"), "Additional properties are not allowed"),
    ],
)
def test_scenario_schema_rejects_what_the_loader_rejects(
    change: tuple[str, str], fragment: str
) -> None:
    data = yaml.safe_load((SCENARIOS / "text-plain.yaml").read_text(encoding="utf-8"))
    key, value = change
    data["attempts"][0]["reply"][key] = value
    messages = _all_messages(_validator("scenario").iter_errors(data))
    assert any(fragment in m for m in messages), messages


def _all_messages(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    """Messages of the errors and of the sub-errors under oneOf/anyOf branches."""
    out: list[str] = []
    for error in errors:
        out.append(error.message)
        out += _all_messages(error.context or ())
    return out


def test_sample_transcript_validates_against_the_schema() -> None:
    transcript = Transcript(
        scenario="tool-call-fragmented",
        driver="openai-sdk-chat",
        dialect="openai_chat",
        versions={"openai": "2.54.0"},
        events=[
            TextEvent(text="Let me check."),
            ToolCallEvent(id="call_1", name="get_weather", arguments={"city": "Paris"}),
            UsageEvent(input=62, output=19),
            FinishEvent(reason="tool_calls", raw="tool_calls"),
        ],
        requests=[
            RequestRecord(
                method="POST",
                url="https://api.openai.com/v1/chat/completions",
                path="/v1/chat/completions",
                headers={"content-type": "application/json", "authorization": "***"},
                body={"model": "gpt-4o-mini", "stream": True},
                at=0.0,
                exchange=0,
            )
        ],
        virtual_seconds=0.0,
        wall_seconds=0.012,
    )
    failed = transcript.model_copy(
        update={"events": [ErrorEvent(error="rate_limit", type="openai.RateLimitError")]}
    )
    validator = _validator("transcript")
    for sample in (transcript, failed):
        errors = [e.message for e in validator.iter_errors(sample.model_dump(mode="json"))]
        assert not errors, errors


def test_transcript_schema_rejects_an_unknown_event_kind() -> None:
    data = {"scenario": "s", "driver": "d", "dialect": "x", "events": [{"kind": "banana"}]}
    assert not _validator("transcript").is_valid(data)
