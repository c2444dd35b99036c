"""The transcript validates against the published JSON Schema (what reports promise).

The events are dumped and validated one at a time against the schema's ``events.items``,
the rest of the transcript around an empty list: the same errors at the same paths, and
memory flat in stream length (a whole dump of a 200,000-event transcript would hold as much
again as the events themselves, at the run's peak)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from harness.checks import named
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["TRANSCRIPT_SCHEMA"]


@cache
def _validator() -> Any:
    import jsonschema

    text = resources.files("harness.vocab.schema").joinpath("transcript.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


@named("schema")
def TRANSCRIPT_SCHEMA(run: Run) -> list[Finding]:
    assert run.transcript is not None
    return [
        Finding(
            code=Code.TRANSCRIPT_SCHEMA,
            check="schema",
            message=f"transcript does not match transcript.schema.json: {err.message}",
            expected=err.schema.get("type") if isinstance(err.schema, dict) else None,
            actual=str(err.instance)[:200],
            where=f"{run.scenario.where()} · /{'/'.join(str(p) for p in path)}",
        )
        for path, err in _errors(run.transcript)
    ]


def _errors(transcript: Any) -> Iterator[tuple[list[Any], Any]]:
    """(path, error) of each schema error: the transcript without its events, then each
    event against the schema of an item (the array itself has no constraint of its own)."""
    validator = _validator()
    rest = transcript.model_dump(mode="json", exclude={"events"})
    rest["events"] = []
    for err in validator.iter_errors(rest):
        yield list(err.absolute_path), err
    item = validator.schema["properties"]["events"]["items"]
    for index, event in enumerate(transcript.events):
        for err in validator.descend(event.model_dump(mode="json"), item, path=index):
            yield ["events", *err.absolute_path], err
