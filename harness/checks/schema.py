"""The transcript validates against the published JSON Schema (what reports promise).

The events are dumped and validated one at a time against the schema's ``events.items``,
the rest of the transcript around an empty list: the same errors at the same paths, and
memory flat in stream length (a whole dump of a 200,000-event transcript would hold as much
again as the events themselves, at the run's peak).

Almost every transcript is valid, so each part is first only tested (``is_valid``) against
a faster equivalent of its schema (:class:`_Fast`), and the published schema's own errors
are collected only for a part that fails: the findings are those of the published schema
either way. Validating every cell this way took a fifth of a matrix worker before.
"""

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

__all__ = ["TRANSCRIPT_SCHEMA", "load_validators"]

_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "discriminator"})
"""Keywords that never change whether an instance is valid (``discriminator`` is OpenAPI's,
which JSON Schema validators ignore)."""
_SCOPED = frozenset({"$id", "$anchor", "$dynamicAnchor"})
"""Keywords that make a ``$defs`` entry mean something else elsewhere: never inlined."""


@cache
def _validator() -> Any:
    import jsonschema

    text = resources.files("harness.vocab.schema").joinpath("transcript.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


class _Fast:
    """Validity checks equivalent to the published schema's, without its slow parts.

    jsonschema pays for every ``$ref`` it follows and, for an event, for every branch of
    the events' ``oneOf`` (seven kinds, each to be ruled out). Two rewrites keep validity
    exactly as it is: each local ``$ref`` to a ``$defs`` entry is replaced by that entry
    (merged into the referring schema when their keywords do not meet, besides
    annotations; else both under ``allOf``; a recursive one stays a ``$ref``); and an event
    whose ``kind`` names one branch is tested against that branch alone: every branch
    requires its own constant ``kind`` (checked here), so with ``kind`` present the other
    branches cannot match and ``oneOf`` holds exactly when that one does.
    """

    def __init__(self, published: Any) -> None:
        schema = published.schema
        self._defs: dict[str, Any] = schema.get("$defs", {})
        inlined = {k: self._inline(v, ()) for k, v in schema.items() if k != "$defs"}
        inlined["$defs"] = self._defs  # for the $refs left (recursive entries)
        self.whole = published.evolve(schema=inlined)
        item = inlined["properties"]["events"]["items"]
        self.item = published.evolve(schema=item)
        self.by_kind = {
            kind: published.evolve(schema=branch) for kind, branch in _branches(item).items()
        }

    def _inline(self, node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self._inline(x, seen) for x in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        name = ref[len("#/$defs/") :] if isinstance(ref, str) and ref.startswith("#/$defs/") else ""
        if name not in self._defs or name in seen or _SCOPED & set(self._defs[name]):
            return {k: self._inline(v, seen) for k, v in node.items()}
        out = {k: self._inline(v, seen) for k, v in node.items() if k != "$ref"}
        target = self._inline(self._defs[name], (*seen, name))
        if not isinstance(target, dict):  # a boolean schema
            return {**out, "allOf": [target]}
        if (set(target) & set(out)) - _ANNOTATIONS:
            return {**out, "allOf": [target]}
        return {**out, **{k: v for k, v in target.items() if k not in out}}

    def event_valid(self, event: Any) -> bool:
        kind = event.get("kind") if isinstance(event, dict) else None
        branch = self.by_kind.get(kind) if isinstance(kind, str) else None
        return bool((branch or self.item).is_valid(event))


def _branches(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``oneOf`` branches of an event by the constant ``kind`` each requires, or none
    when a branch does not pin a distinct one (then every event takes the whole ``oneOf``)."""
    if set(item) - _ANNOTATIONS != {"oneOf"}:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for branch in item["oneOf"]:
        kind = branch.get("properties", {}).get("kind", {}) if isinstance(branch, dict) else {}
        const = kind.get("const") if isinstance(kind, dict) else None
        if not isinstance(const, str) or const in found:
            return {}
        found[const] = branch
    return found


@cache
def _fast() -> _Fast:
    return _Fast(_validator())


def load_validators() -> None:
    """Build the validators now (importing jsonschema and reading the schema take a third
    of a second): a matrix's warm worker does it once for all the drivers it forks."""
    _fast()


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
    event against the schema of an item (the array itself has no constraint of its own).
    Only a part the fast check rejects is validated again for its errors."""
    validator, fast = _validator(), _fast()
    rest = transcript.model_dump(mode="json", exclude={"events"})
    rest["events"] = []
    if not fast.whole.is_valid(rest):
        for err in validator.iter_errors(rest):
            yield list(err.absolute_path), err
    item = validator.schema["properties"]["events"]["items"]
    for index, event in enumerate(transcript.events):
        dumped = event.model_dump(mode="json")
        if fast.event_valid(dumped):
            continue
        for err in validator.descend(dumped, item, path=index):
            yield ["events", *err.absolute_path], err
