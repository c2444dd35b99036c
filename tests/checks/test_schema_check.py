"""The ``schema`` check validates the events one at a time (memory flat in stream length):
it finds what validating the whole dump at once finds, at the same paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.checks.schema import TRANSCRIPT_SCHEMA, _fast, _validator
from harness.checks.subject import Run
from harness.scenario.load import load_scenario
from harness.vocab.codes import Code
from harness.vocab.events import FinishEvent, RequestRecord, TextEvent, Transcript

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


EVENTS: list[Any] = [
    {"kind": "text", "text": "Hi"},
    {"kind": "text", "text": 5},
    {"kind": "text"},
    {"kind": "text", "text": "Hi", "extra": 1},
    {"kind": "text", "reason": "stop"},
    {"kind": "finish", "reason": "stop"},
    {"kind": "finish", "reason": "stop", "raw": ["not", "a", "string"]},
    {"kind": "finish", "reason": "sideways"},
    {"kind": "error", "error": "server", "type": "x.Y"},
    {"kind": "error", "error": "server"},
    {"kind": "tool_call", "id": "c1", "name": "f", "arguments": {"a": [1, {"b": None}]}},
    {"kind": "usage", "input_tokens": 1, "output_tokens": 2},
    {"kind": "usage", "input_tokens": "1"},
    {"kind": "nonsense"},
    {"kind": 3},
    {"text": "no kind"},
    {"error": "server", "type": "x.Y"},
    {},
    [],
    "text",
    None,
]


@pytest.mark.parametrize("event", EVENTS, ids=[repr(e)[:40] for e in EVENTS])
def test_the_fast_event_check_agrees_with_the_published_schema(event: Any) -> None:
    """The check tests each event against one branch of the ``oneOf`` (chosen by ``kind``)
    and the schema with its ``$ref`` inlined: valid exactly when the published schema says."""
    published = _validator()
    item = published.evolve(schema=published.schema["properties"]["events"]["items"])
    assert _fast().event_valid(event) == item.is_valid(event)


def test_the_fast_whole_check_agrees_with_the_published_schema() -> None:
    valid = Transcript(
        scenario="s",
        driver="d",
        dialect="openai-chat",
        requests=[
            RequestRecord(method="POST", url="u", path="/p", headers={"a": "b"}, at=0.0, body={})
        ],
    ).model_dump(mode="json")
    broken = [
        {**valid, "wall_seconds": "1s"},
        {**valid, "requests": [{**valid["requests"][0], "headers": {"a": 1}}]},
        {**valid, "requests": [{**valid["requests"][0], "surprise": True}]},
        {**valid, "requests": [{k: v for k, v in valid["requests"][0].items() if k != "at"}]},
        {**valid, "responses": [{"request": "first"}]},
        {k: v for k, v in valid.items() if k != "driver"},
    ]
    published = _validator()
    for instance in [valid, *broken]:
        assert _fast().whole.is_valid(instance) == published.is_valid(instance), instance
    assert published.is_valid(valid)
    assert not any(published.is_valid(b) for b in broken)


def test_every_event_kind_has_its_own_branch() -> None:
    """What choosing the branch by ``kind`` relies on (else every event takes the whole
    ``oneOf``, slower and still right)."""
    kinds = {"text", "reasoning", "refusal", "tool_call", "usage", "finish", "error"}
    assert set(_fast().by_kind) == kinds
