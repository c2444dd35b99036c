"""The transcript validates against the published JSON Schema (what reports promise)."""

from __future__ import annotations

import json
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
    data = run.transcript.model_dump(mode="json")
    return [
        Finding(
            code=Code.TRANSCRIPT_SCHEMA,
            check="schema",
            message=f"transcript does not match transcript.schema.json: {err.message}",
            expected=err.schema.get("type") if isinstance(err.schema, dict) else None,
            actual=str(err.instance)[:200],
            where=f"{run.scenario.where()} · /{'/'.join(str(p) for p in err.absolute_path)}",
        )
        for err in _validator().iter_errors(data)
    ]
