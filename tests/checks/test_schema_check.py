"""The ``schema`` check validates the events one at a time (memory flat in stream length):
it finds what validating the whole dump at once finds, at the same paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.checks.schema import TRANSCRIPT_SCHEMA, _validator
from harness.checks.subject import Run
from harness.scenario.load import load_scenario
from harness.vocab.codes import Code
from harness.vocab.events import FinishEvent, TextEvent, Transcript

SCENARIO = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "text-plain.yaml")


def _run(transcript: Transcript) -> Run:
    return Run(scenario=SCENARIO, driver="test", dialect="openai-chat", transcript=transcript)


def _broken() -> Transcript:
    """Two bad events and a bad top-level field, made without validation."""
    events: list[Any] = [
        TextEvent(text="Hel"),
        TextEvent.model_construct(text=5),
        TextEvent(text="lo"),
        FinishEvent.model_construct(reason="stop", raw=["not", "a", "string"]),
    ]
    transcript = Transcript(scenario="s", driver="d", dialect="openai-chat")
    object.__setattr__(transcript, "__dict__", {**transcript.__dict__, "events": events})
    object.__setattr__(transcript, "__dict__", {**transcript.__dict__, "wall_seconds": "1s"})
    return transcript


SERIALIZER_WARNS = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
"""pydantic warns when it dumps a value of the wrong type: here on purpose."""


@SERIALIZER_WARNS
def test_each_error_is_found_at_its_path() -> None:
    findings = TRANSCRIPT_SCHEMA(_run(_broken())).findings
    assert {f.code for f in findings} == {Code.TRANSCRIPT_SCHEMA}
    paths = sorted(f.where.rsplit(" · ", 1)[1] for f in findings)
    assert paths == ["/events/1", "/events/3", "/wall_seconds"]  # oneOf: the event


@SERIALIZER_WARNS
def test_the_same_errors_as_validating_the_whole_dump() -> None:
    transcript = _broken()
    whole = _validator().iter_errors(transcript.model_dump(mode="json"))
    expected = sorted("/" + "/".join(str(p) for p in e.absolute_path) for e in whole)
    findings = TRANSCRIPT_SCHEMA(_run(transcript)).findings
    found = sorted(f.where.rsplit(" · ", 1)[1] for f in findings)
    assert found == expected


def test_the_events_array_has_no_constraint_besides_its_items() -> None:
    """What validating item by item relies on: nothing in the schema constrains the array
    as a whole (a length, uniqueness, contains); if one is added, the check must change."""
    events = _validator().schema["properties"]["events"]
    assert set(events) <= {"items", "type", "title", "description", "default"}


def test_a_valid_transcript_has_no_finding() -> None:
    transcript = Transcript(
        scenario="s",
        driver="d",
        dialect="openai-chat",
        events=[TextEvent(text="Hi"), FinishEvent(reason="stop")],
        event_times=[0.0, 0.0],
    )
    assert TRANSCRIPT_SCHEMA(_run(transcript)).findings == []
