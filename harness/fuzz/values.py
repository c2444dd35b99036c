"""Values for generated scenarios: any unicode text, and JSON values drawn from a JSON Schema.

The building blocks of :mod:`harness.fuzz.strategies` (which re-exports the public ones):
argument checks in Hypothesis's style, text that breaks naive decoders, and the small JSON
Schema subset tool parameters use. Strategies used inside draws are built once and cached:
creating and validating strategies per draw is what makes generation slow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any, TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import JsonValue

from harness.scenario.model import Tool

__all__ = [
    "MAX_SAFE_INTEGER",
    "SPECIAL_TEXT",
    "from_json_schema",
    "parameter_schemas",
    "texts",
    "tools",
]

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]

MAX_SAFE_INTEGER = 2**53 - 1
"""RFC 8259 §6: integers beyond this are not exchanged exactly between JSON parsers."""

SPECIAL_TEXT = (
    "é", "e\u0301", "a\u0308\u0323", "👋", "👩\u200d💻", "🇫🇷", "🎉👋", "שלום", "مرحبا",
    "\u202e", "\u200f", "日本語", "\u2028", "\u2029", "\u0085", "\r\n", "\n", "\r", "\t",
    "\ufeff", "\x00", '"', "\\", "data: ", "[DONE]", "\n\n", "event: x\n", ": ", "}",
)  # fmt: skip
"""Pieces that break naive decoders: multi-byte and combined characters, bidi marks, the
separators ``str.splitlines`` (and httpx's ``aiter_lines``) split on, SSE syntax."""

_CHARACTERS = st.characters(exclude_categories=["Cs"])
"""Any code point but lone surrogates (which UTF-8 cannot encode)."""


# --------------------------------------------------------------------------- validation


def _check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int (got {type(value).__name__})")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InvalidArgument(f"{name}={value!r} must be {bound}")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be a bool (got {type(value).__name__})")


def _named(name: str, fn: Callable[..., T]) -> Callable[..., st.SearchStrategy[T]]:
    """``st.composite(fn)`` whose repr shows the public ``name`` and the call's arguments."""
    fn.__name__ = fn.__qualname__ = name
    return st.composite(fn)


# --------------------------------------------------------------------------- text


def texts(*, max_size: int = 24) -> st.SearchStrategy[str]:
    """Any unicode text (no surrogates), often built from :data:`SPECIAL_TEXT` pieces."""
    _check_int("max_size", max_size, 0)
    return _texts(max_size=max_size)


def _draw_texts(draw: Draw[Any], *, max_size: int = 24) -> str:
    text: str = draw(_text_strategy(max_size))
    return text


@cache
def _text_strategy(max_size: int) -> st.SearchStrategy[str]:
    """Built once per size: creating and validating strategies inside draws is what makes
    generation slow, so every strategy used in a draw below is cached like this one."""
    anything = st.text(_CHARACTERS, max_size=max_size)
    pieces = st.sampled_from(SPECIAL_TEXT)
    special = st.lists(pieces, max_size=max(1, max_size // 4)).map("".join)
    mixed = st.lists(st.one_of(pieces, anything), max_size=3).map("".join)
    return st.one_of(st.text("abc xyz", max_size=max_size), special, anything, mixed)


@cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


_texts = _named("texts", _draw_texts)


# --------------------------------------------------------------------------- JSON Schema

_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "items", "enum", "minimum", "maximum",
        "minLength", "maxLength", "minItems", "maxItems", "additionalProperties",
        "description", "title", "default", "$schema",
    }
)  # fmt: skip
_TYPES = frozenset({"object", "string", "integer", "number", "boolean", "array", "null"})


def from_json_schema(schema: Mapping[str, Any]) -> st.SearchStrategy[JsonValue]:
    """Values that validate against a JSON Schema of tool parameters.

    Supports ``type`` (object, string, integer, number, boolean, array, null, or a list of
    them), ``properties``/``required``, ``items``, ``enum``, ``minimum``/``maximum``,
    ``minLength``/``maxLength`` and ``minItems``/``maxItems``; any other keyword is an
    InvalidArgument naming its path, since silently ignoring it would generate arguments
    the schema forbids. Optional properties are sometimes left out; no extra properties are
    ever added. Integers stay within ±(2**53 - 1), numbers are finite.
    """
    _check_schema(schema, "#")
    return _schema_values(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=512)
def _schema_values(key: str) -> st.SearchStrategy[JsonValue]:
    return _values(json.loads(key))


def _check_schema(schema: object, at: str) -> None:
    if not isinstance(schema, Mapping):
        raise InvalidArgument(f"{at}: a schema must be an object (got {schema!r})")
    unknown = sorted(set(schema) - _KEYWORDS)
    if unknown:
        raise InvalidArgument(
            f"{at}: unsupported JSON Schema keyword(s) {unknown}; supported: {sorted(_KEYWORDS)}"
        )
    kinds = schema.get("type", [])
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind not in _TYPES:
            raise InvalidArgument(f"{at}/type: unknown type {kind!r}; expected one of {_TYPES}")
    enum = schema.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise InvalidArgument(f"{at}/enum: must be a non-empty list (got {enum!r})")
    properties = schema.get("properties", {})
    for name, sub in properties.items():
        _check_schema(sub, f"{at}/properties/{name}")
    for name in schema.get("required", []):
        if name not in properties:
            raise InvalidArgument(f"{at}/required: {name!r} is required but has no property")
    if "items" in schema:
        _check_schema(schema["items"], f"{at}/items")


def _values(schema: Mapping[str, Any]) -> st.SearchStrategy[JsonValue]:
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    kinds = schema.get("type")
    if kinds is None:
        return st.one_of(st.none(), st.booleans(), st.integers(-100, 100), _text_strategy(8))
    if isinstance(kinds, list):
        return st.one_of([_values({**schema, "type": kind}) for kind in kinds])
    low, high = schema.get("minimum"), schema.get("maximum")
    if kinds == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: _values(v) for k, v in props.items() if k in required},
            optional={k: _values(v) for k, v in props.items() if k not in required},
        )
    if kinds == "string":
        size = schema.get("maxLength", max(schema.get("minLength", 0), 16))
        return st.text(
            _CHARACTERS,
            min_size=schema.get("minLength", 0),
            max_size=size,
        )
    if kinds == "integer":
        lo = -MAX_SAFE_INTEGER if low is None else int(low)
        hi = MAX_SAFE_INTEGER if high is None else int(high)
        return st.integers(lo, hi)
    if kinds == "number":
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kinds == "boolean":
        return st.booleans()
    if kinds == "null":
        return st.none()
    items = schema.get("items", {"type": "string"})
    return st.lists(
        _values(items),
        min_size=schema.get("minItems", 0),
        max_size=schema.get("maxItems", max(schema.get("minItems", 0), 3)),
    )


def parameter_schemas(
    *, max_properties: int = 4, max_depth: int = 2
) -> st.SearchStrategy[dict[str, JsonValue]]:
    """JSON Schemas of a tool's parameters: an object of typed, enum, array and nested
    properties, some of them required (what :func:`from_json_schema` understands)."""
    _check_int("max_properties", max_properties, 0)
    _check_int("max_depth", max_depth, 0)
    return _parameter_schemas(max_properties=max_properties, max_depth=max_depth)


def _draw_parameter_schemas(
    draw: Draw[Any], *, max_properties: int = 4, max_depth: int = 2
) -> dict[str, JsonValue]:
    names = draw(_names_strategy(max_properties))
    props = {name: _draw_property(draw, max_depth) for name in names}
    required = [n for n in names if draw(_BOOLEANS)]
    schema: dict[str, JsonValue] = {"type": "object", "properties": dict(props)}
    if required:
        schema["required"] = list(required)
    return schema


_BOOLEANS = st.booleans()


@cache
def _names_strategy(max_properties: int) -> st.SearchStrategy[list[str]]:
    name = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
    return st.lists(name, max_size=max_properties, unique=True)


_LEAF_TYPES = ("string", "integer", "number", "boolean")
_PROPERTY_KINDS = (*_LEAF_TYPES, "enum", "array", "object")
_ENUMS = st.lists(_text_strategy(6), min_size=1, max_size=4, unique=True)


@cache
def _property_kinds(max_depth: int) -> st.SearchStrategy[str]:
    return st.sampled_from(_PROPERTY_KINDS if max_depth > 1 else _PROPERTY_KINDS[:-1])


def _draw_property(draw: Draw[Any], max_depth: int) -> dict[str, JsonValue]:
    """One property's schema: a plain type, a string enum, an array of strings, or (below
    ``max_depth``) an object of up to two properties. The kind is one draw (a ``one_of``
    of ``just`` values costs three), in this order, so it shrinks to a string."""
    kind = draw(_property_kinds(max_depth))
    if kind in _LEAF_TYPES:
        return {"type": kind}
    if kind == "enum":
        return {"type": "string", "enum": list(draw(_ENUMS))}
    if kind == "array":
        return {"type": "array", "items": {"type": "string"}}
    return _draw_parameter_schemas(draw, max_properties=2, max_depth=max_depth - 1)


_parameter_schemas = _named("parameter_schemas", _draw_parameter_schemas)


_TOOL_NAMES = st.tuples(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=11),
).map("".join)
"""``[a-z][a-z0-9_]{0,11}`` in two draws (``st.from_regex`` draws every character on its
own: three times the draws of a whole scenario's text)."""


def tools(*, max_tools: int = 2) -> st.SearchStrategy[list[Tool]]:
    """Up to ``max_tools`` tools with distinct names and generated parameter schemas."""
    _check_int("max_tools", max_tools, 0)
    return _tool_lists(0, max_tools)


@cache
def _tool_lists(min_tools: int, max_tools: int) -> st.SearchStrategy[list[Tool]]:
    return st.lists(
        st.builds(
            Tool,
            name=_TOOL_NAMES,
            description=st.sampled_from(["", "Look something up."]),
            parameters=parameter_schemas(),
        ),
        min_size=min_tools,
        max_size=max_tools,
        unique_by=lambda tool: tool.name,
    )


def _schema(required: list[str], **properties: JsonValue) -> dict[str, JsonValue]:
    schema: dict[str, JsonValue] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    return schema


_STRING: JsonValue = {"type": "string"}
_INTEGER: JsonValue = {"type": "integer"}
_CATALOGUE_SCHEMAS: tuple[tuple[str, dict[str, JsonValue]], ...] = (
    ("a", _schema([])),
    ("search", _schema(["query"], query=_STRING)),
    ("get_weather", _schema(["city"], city=_STRING, days=_INTEGER)),
    ("calc_2", _schema([], x={"type": "number"}, exact={"type": "boolean"})),
    ("pick", _schema(["unit"], unit={"type": "string", "enum": ["c", "f", "é👋", ""]})),
    ("tag_items", _schema(["tags"], tags={"type": "array", "items": _STRING})),
    (
        "query_db",
        _schema(
            ["filter"],
            filter=_schema(["field"], field=_STRING, value=_INTEGER),
            limit=_INTEGER,
        ),
    ),
    (
        "every_kind",
        _schema(
            ["s", "n"],
            s=_STRING,
            i=_INTEGER,
            n={"type": "number"},
            b={"type": "boolean"},
            e={"type": "string", "enum": ["x", "\u2028"]},
            a={"type": "array", "items": _STRING},
            o=_schema([], k=_STRING),
        ),
    ),
)
_TOOL_CATALOGUE = tuple(
    Tool(name=name, description="Look something up." if i % 2 else "", parameters=schema)
    for i, (name, schema) in enumerate(_CATALOGUE_SCHEMAS)
)
"""Tools of every parameter kind :func:`parameter_schemas` draws (no arguments first, where
shrinking goes; strings, integers, numbers, booleans, enums, arrays, nested objects):
what generated scenarios offer, one draw per tool instead of a drawn name, description and
schema (about 17 draws). The arguments of a call are still drawn from the schema."""


@cache
def _catalogue_tools(min_tools: int, max_tools: int) -> st.SearchStrategy[list[Tool]]:
    return st.lists(
        st.sampled_from(_TOOL_CATALOGUE),
        min_size=min_tools,
        max_size=max_tools,
        unique_by=lambda tool: tool.name,
    )
