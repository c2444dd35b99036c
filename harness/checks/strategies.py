"""Hypothesis strategies for scenarios: replies, chunkings, faults, and whole scenarios.

Hand-written scenarios find the bugs someone thought of; generated ones find the rest. Every
value drawn here is valid by construction (pydantic and ``scenario.schema.json`` accept it)
and carries the ``expect`` block a correct adapter satisfies, so a failing example is an
adapter finding, never a strategy artefact. Like Hypothesis's own strategies, each function
takes keyword-only arguments, checks them when called, and its repr echoes the call.

This module (with :mod:`harness.fuzz`) is the only place that imports hypothesis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar

import hypothesis.strategies as st
from hypothesis import reject
from hypothesis.errors import InvalidArgument
from pydantic import JsonValue

from harness.chunking import split_text
from harness.scenario import (
    Attempt,
    Chunking,
    ErrorAttempt,
    ErrorKind,
    EveryN,
    Expect,
    ExpectedToolCall,
    ExpectedUsage,
    HttpError,
    Message,
    Part,
    ReasoningPart,
    ReplyAttempt,
    ReplyWrapper,
    Request,
    Scenario,
    SplitAt,
    StreamFault,
    TextPart,
    Tool,
    ToolCall,
    ToolCallPart,
    Usage,
    Wire,
)

__all__ = [
    "FAULT_ERRORS",
    "SCENARIO_ID",
    "Faults",
    "chunkings",
    "faults",
    "from_json_schema",
    "http_errors",
    "parameter_schemas",
    "replies",
    "scenarios",
    "stream_faults",
    "texts",
    "tools",
]

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]

SCENARIO_ID = "fuzz-example"
"""The id of generated scenarios (dialects hash ids into call ids, so it stays fixed)."""
MAX_SAFE_INTEGER = 2**53 - 1
"""RFC 8259 §6: integers beyond this are not exchanged exactly between JSON parsers."""

SPECIAL_TEXT = (
    "é", "e\u0301", "a\u0308\u0323", "👋", "👩\u200d💻", "🇫🇷", "🎉👋", "שלום", "مرحبا",
    "\u202e", "\u200f", "日本語", "\u2028", "\u2029", "\u0085", "\r\n", "\n", "\r", "\t",
    "\ufeff", "\x00", '"', "\\", "data: ", "[DONE]", "\n\n", "event: x\n", ": ", "}",
)  # fmt: skip
"""Pieces that break naive decoders: multi-byte and combined characters, bidi marks, the
separators ``str.splitlines`` (and httpx's ``aiter_lines``) split on, SSE syntax."""

FAULT_ERRORS: dict[str, ErrorKind] = {
    "cut_after": "protocol",
    "truncate_after": "protocol",
    "malformed_at": "protocol",
    "empty": "protocol",
    "terminator_only": "protocol",
    "error_payload": "server",
    "stall_after": "timeout",
}
"""The error a correct adapter raises for each stream fault (as the bundled scenarios say)."""

_SERVER_ERROR: dict[str, JsonValue] = {
    "error": {
        "message": "The server had an error while processing your request.",
        "type": "server_error",
        "code": "server_error",
    }
}
_STATUS_KIND: dict[int, ErrorKind] = {429: "rate_limit"}
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
    props = {name: draw(_property_strategy(max_depth)) for name in names}
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


@cache
def _property_strategy(max_depth: int) -> st.SearchStrategy[dict[str, JsonValue]]:
    leaves: list[st.SearchStrategy[dict[str, JsonValue]]] = [
        st.just({"type": "string"}),
        st.just({"type": "integer"}),
        st.just({"type": "number"}),
        st.just({"type": "boolean"}),
        st.lists(_text_strategy(6), min_size=1, max_size=4, unique=True).map(
            lambda e: {"type": "string", "enum": list(e)}
        ),
        st.just({"type": "array", "items": {"type": "string"}}),
    ]
    if max_depth > 1:
        leaves.append(_parameter_schemas(max_properties=2, max_depth=max_depth - 1))
    return st.one_of(leaves)


_parameter_schemas = _named("parameter_schemas", _draw_parameter_schemas)


def tools(*, max_tools: int = 2) -> st.SearchStrategy[list[Tool]]:
    """Up to ``max_tools`` tools with distinct names and generated parameter schemas."""
    _check_int("max_tools", max_tools, 0)
    return st.lists(
        st.builds(
            Tool,
            name=st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True),
            description=st.sampled_from(["", "Look something up."]),
            parameters=parameter_schemas(),
        ),
        max_size=max_tools,
        unique_by=lambda tool: tool.name,
    )


# --------------------------------------------------------------------------- replies


def replies(
    *,
    tools: Sequence[Tool] = (),
    text: bool = True,
    reasoning: bool = True,
    max_parts: int = 4,
    max_pieces: int = 6,
) -> st.SearchStrategy[ReplyAttempt]:
    """A successful reply: text and reasoning parts (any unicode, streamed in up to
    ``max_pieces`` deltas), tool calls of ``tools`` whose arguments are drawn from each
    tool's parameter schema (in up to ``max_pieces`` fragments), optional usage, and the
    finish reason that goes with them (``tool_calls`` when there are calls)."""
    for tool in tools:
        if not isinstance(tool, Tool):
            raise InvalidArgument(f"tools must be Tool values (got {tool!r})")
        _check_schema(tool.parameters, f"tool {tool.name}: parameters")
    _check_bool("text", text)
    _check_bool("reasoning", reasoning)
    _check_int("max_parts", max_parts, 0)
    _check_int("max_pieces", max_pieces, 1)
    return _replies(
        tools=tuple(tools),
        text=text,
        reasoning=reasoning,
        max_parts=max_parts,
        max_pieces=max_pieces,
    )


def _draw_replies(
    draw: Draw[Any],
    *,
    tools: tuple[Tool, ...] = (),
    text: bool = True,
    reasoning: bool = True,
    max_parts: int = 4,
    max_pieces: int = 6,
) -> ReplyAttempt:
    kinds: list[str] = (["text"] if text else []) + (["reasoning"] if reasoning else [])
    kinds += ["tool_call"] if tools else []
    parts: list[Part] = []
    if kinds:
        for kind in draw(_kinds_strategy(tuple(kinds), max_parts)):
            pieces = draw(_ints(1, max_pieces))
            if kind == "text":
                parts.append(TextPart(text=draw(_text_strategy(24)), deltas=pieces))
            elif kind == "reasoning":
                parts.append(ReasoningPart(reasoning=draw(_text_strategy(24)), deltas=pieces))
            else:
                tool = tools[draw(_ints(0, len(tools) - 1))]
                arguments = draw(_schema_values(json.dumps(tool.parameters, sort_keys=True)))
                assert isinstance(arguments, dict)
                call_id = draw(_CALL_IDS)
                call = ToolCall(id=call_id, name=tool.name, arguments=arguments, fragments=pieces)
                parts.append(ToolCallPart(tool_call=call))
    ids = [p.tool_call.id for p in parts if isinstance(p, ToolCallPart) and p.tool_call.id]
    if len(ids) != len(set(ids)):  # ids must be unique: drop the explicit ones
        parts = [_without_id(p) for p in parts]
    calls = any(isinstance(p, ToolCallPart) for p in parts)
    finish = "tool_calls" if calls else draw(_FINISHES)
    return ReplyAttempt(parts=parts, finish=finish, usage=draw(_USAGES))


_CALL_IDS = st.none() | st.from_regex(r"call_[A-Za-z0-9]{8}", fullmatch=True)
_FINISHES = st.sampled_from(["stop", "length", "content_filter"])
_USAGES = st.none() | st.builds(
    Usage,
    input=st.integers(0, 100_000),
    output=st.integers(0, 100_000),
    cache_read=st.none() | st.integers(0, 1000),
)


@cache
def _kinds_strategy(kinds: tuple[str, ...], max_parts: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(kinds), max_size=max_parts)


def _without_id(part: Part) -> Part:
    if isinstance(part, ToolCallPart):
        return ToolCallPart(tool_call=part.tool_call.model_copy(update={"id": None}))
    return part


_replies = _named("replies", _draw_replies)


# --------------------------------------------------------------------------- wire


def chunkings(
    *, size: int | None = None, max_every: int = 64, max_splits: int = 4
) -> st.SearchStrategy[Chunking]:
    """Where the body is cut: per event, every N bytes (1..``max_every``), inside multi-byte
    characters, one whole chunk, or (when the body's ``size`` in bytes is known) at up to
    ``max_splits`` arbitrary offsets, printed back as ``SplitAt`` when fuzzing shrinks."""
    if size is not None:
        _check_int("size", size, 0)
    _check_int("max_every", max_every, 1)
    _check_int("max_splits", max_splits, 0)
    return _chunking_strategy(size, max_every, max_splits)


@lru_cache(maxsize=1024)
def _chunking_strategy(
    size: int | None, max_every: int, max_splits: int
) -> st.SearchStrategy[Chunking]:
    options: list[st.SearchStrategy[Chunking]] = [st.just("per_event")]
    if size is not None:
        offsets = st.lists(st.integers(0, size), min_size=1, max_size=max_splits, unique=True)
        options.append(offsets.map(lambda at: SplitAt(at=sorted(at))))
    options += [
        st.integers(1, max_every).map(lambda n: EveryN(every=n)),
        st.just("mid_utf8"),
        st.just("whole"),
    ]
    return st.one_of(options)


def wires(*, chunking: st.SearchStrategy[Chunking] | None = None) -> st.SearchStrategy[Wire]:
    """Line endings, ``data:`` spacing, keep-alive comments, where usage travels."""
    return st.builds(
        Wire,
        chunking=chunking if chunking is not None else chunkings(),
        line_ending=st.sampled_from(["lf", "crlf", "cr"]),
        data_space=st.booleans().map(lambda b: not b),
        keepalive_every=st.sampled_from([0, 0, 1, 2, 5]),
        usage_chunk=st.booleans().map(lambda b: not b),
    )


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Faults:
    """What goes wrong in one generated scenario: HTTP errors before the reply (all of one
    status, so a correct adapter's give-up error has one kind), a fault in the reply's
    stream, and keep-alive comments between its events."""

    errors: tuple[HttpError, ...] = ()
    stream: StreamFault | None = None
    keepalive_every: int = 0

    def error_kind(self) -> ErrorKind | None:
        """The error a correct adapter ends with because of the stream fault."""
        if self.stream is None:
            return None
        for name, kind in FAULT_ERRORS.items():
            value = getattr(self.stream, name)
            if value is not None and value is not False:  # cut_after=0 is a fault too
                return kind
        return None

    def give_up_kind(self) -> ErrorKind | None:
        """The error an adapter may raise when its retry budget runs out first."""
        if not self.errors:
            return None
        return _STATUS_KIND.get(self.errors[0].status, "server")


def http_errors(
    *, statuses: Sequence[int] = (429, 503), max_retry_after: int = 30
) -> st.SearchStrategy[HttpError]:
    """A retryable HTTP error with no Retry-After, or one in each form: whole seconds,
    ``retry-after-ms``, or an HTTP date. Waits stay within ``max_retry_after`` seconds, under
    the caps adapters declare (the OpenAI SDK ignores more than 60 s)."""
    _check_statuses(statuses)
    _check_int("max_retry_after", max_retry_after, 0)
    return st.sampled_from(list(statuses)).flatmap(lambda s: _errors(s, max_retry_after))


def _check_statuses(statuses: Sequence[int]) -> None:
    if not statuses:
        raise InvalidArgument("statuses must not be empty")
    for status in statuses:
        _check_int("status", status, 400, 599)


@cache
def _errors(status: int, max_retry_after: int) -> st.SearchStrategy[HttpError]:
    return st.one_of(
        st.just(HttpError(status=status)),
        st.integers(0, max_retry_after).map(
            lambda s: HttpError(status=status, retry_after=s, retry_after_form="seconds")
        ),
        st.integers(0, max_retry_after * 1000).map(
            lambda ms: HttpError(status=status, retry_after=ms / 1000, retry_after_form="ms")
        ),
        st.integers(1, max(1, max_retry_after)).map(
            lambda s: HttpError(status=status, retry_after=s, retry_after_form="http_date")
        ),
    )


def stream_faults(*, max_index: int = 8) -> st.SearchStrategy[StreamFault]:
    """One fault of a 200 stream. Event indexes stay within ``max_index``: pass the reply's
    number of pieces so a cut or truncation always falls before the finish in any dialect."""
    _check_int("max_index", max_index, 0)
    return _stream_fault_strategy(max_index)


@cache
def _stream_fault_strategy(max_index: int) -> st.SearchStrategy[StreamFault]:
    index = st.integers(0, max_index)
    return st.one_of(
        index.map(lambda n: StreamFault(cut_after=n)),
        index.map(lambda n: StreamFault(truncate_after=n)),
        index.map(lambda n: StreamFault(malformed_at=n)),
        st.just(StreamFault(empty=True)),
        st.just(StreamFault(terminator_only=True)),
        st.just(StreamFault(error_payload=_SERVER_ERROR)),
        index.map(lambda n: StreamFault(stall_after=n)),
    )


def faults(
    *,
    statuses: Sequence[int] = (429, 503),
    max_errors: int = 3,
    stream: bool = True,
    max_index: int = 8,
    max_retry_after: int = 30,
) -> st.SearchStrategy[Faults]:
    """A fault sequence: up to ``max_errors`` HTTP errors of one status (each Retry-After form
    mixed), then perhaps a cut, truncated, malformed, empty, stalled or error-ending stream
    (``stream=False`` for non-streamed requests), perhaps keep-alive comments. Most draws
    have no fault at all, so the happy path stays well covered."""
    _check_statuses(statuses)
    _check_int("max_errors", max_errors, 0)
    _check_bool("stream", stream)
    _check_int("max_index", max_index, 0)
    _check_int("max_retry_after", max_retry_after, 0)
    return _faults(
        statuses=tuple(statuses),
        max_errors=max_errors,
        stream=stream,
        max_index=max_index,
        max_retry_after=max_retry_after,
    )


def _draw_faults(
    draw: Draw[Any],
    *,
    statuses: tuple[int, ...] = (429, 503),
    max_errors: int = 3,
    stream: bool = True,
    max_index: int = 8,
    max_retry_after: int = 30,
) -> Faults:
    count = draw(_ints(0, 2 * max_errors))
    count = max(0, count - max_errors)  # most draws have no error; shrinks to none
    status = draw(_sampled(statuses))
    errors = tuple(draw(_error_lists(status, max_retry_after, count)))
    fault = None
    if stream and draw(_ints(0, 3)) == 3:
        fault = draw(_stream_fault_strategy(max_index))
    keepalive = draw(_KEEPALIVES) if stream else 0
    return Faults(errors=errors, stream=fault, keepalive_every=keepalive)


_KEEPALIVES = st.sampled_from([0, 0, 0, 1, 3])


@cache
def _sampled(options: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.sampled_from(options)


@cache
def _error_lists(
    status: int, max_retry_after: int, count: int
) -> st.SearchStrategy[list[HttpError]]:
    return st.lists(_errors(status, max_retry_after), min_size=count, max_size=count)


_faults = _named("faults", _draw_faults)


# --------------------------------------------------------------------------- scenarios


def scenarios(
    *,
    dialect: str | None = None,
    stream: bool | None = None,
    tools: bool = True,
    reasoning: bool = True,
    faults: bool = True,
    retries: bool = True,
) -> st.SearchStrategy[Scenario]:
    """Whole scenarios with the ``expect`` block a correct adapter satisfies.

    With a ``dialect``, only scenarios it can express are drawn, and chunkings include
    ``SplitAt`` offsets within the reply's synthesized body; without one, chunkings are the
    size-free forms. ``stream`` fixes streaming on or off (default: both); ``faults`` and
    ``retries`` allow stream faults and HTTP errors before the reply.
    """
    if dialect is not None:
        from harness.dialects import get_dialect

        get_dialect(dialect)  # an unknown name fails now, listing the known ones
    if stream is not None:
        _check_bool("stream", stream)
    for name, value in (
        ("tools", tools),
        ("reasoning", reasoning),
        ("faults", faults),
        ("retries", retries),
    ):
        _check_bool(name, value)
    return _scenarios(
        dialect=dialect,
        stream=stream,
        tools=tools,
        reasoning=reasoning,
        faults=faults,
        retries=retries,
    )


def _draw_scenarios(
    draw: Draw[Any],
    *,
    dialect: str | None = None,
    stream: bool | None = None,
    tools: bool = True,
    reasoning: bool = True,
    faults: bool = True,
    retries: bool = True,
) -> Scenario:
    streamed = not draw(_BOOLEANS) if stream is None else stream
    offered = draw(_TOOLS) if tools else []
    reply = _draw_replies(draw, tools=tuple(offered), reasoning=reasoning)
    pieces = _pieces(reply)
    plan = (
        _draw_faults(
            draw, max_errors=3 if retries else 0, stream=streamed and faults, max_index=pieces
        )
        if faults or retries
        else Faults()
    )
    wire = draw(_WIRES)
    wire = wire.model_copy(update={"keepalive_every": plan.keepalive_every})
    reply = reply.model_copy(update={"wire": wire, "fault": plan.stream})
    request = Request(
        messages=[Message(role="user", content=draw(_text_strategy(12)) or "Hello")],
        tools=offered,
        stream=streamed,
    )
    attempts: list[Attempt] = [ErrorAttempt(error=e) for e in plan.errors]
    attempts.append(ReplyWrapper(reply=reply))
    scenario = Scenario(
        id=SCENARIO_ID,
        description="Generated by harness.checks.strategies.scenarios().",
        request=request,
        attempts=attempts,
        expect=_expect(reply, plan),
    )
    size = None
    if dialect is not None:
        size = _body_size(scenario, dialect)
    chunking = draw(_chunking_strategy(size, 64, 4))
    final = _with_reply_chunking(scenario, chunking)
    if dialect is not None and _body_size(final, dialect) is None:
        reject()  # the dialect cannot express it
    return final


_TOOLS = tools(max_tools=2)
_WIRES = wires(chunking=st.just("per_event"))
_scenarios = _named("scenarios", _draw_scenarios)


def _pieces(reply: ReplyAttempt) -> int:
    """How many deltas and fragments the reply streams (a lower bound on content events)."""
    count = 0
    for part in reply.parts:
        if isinstance(part, TextPart):
            count += len(split_text(part.text, part.deltas))
        elif isinstance(part, ReasoningPart):
            count += len(split_text(part.reasoning, part.deltas))
        else:
            call = part.tool_call
            count += len(split_text(call.argument_text(), call.fragments))
    return count


def _expect(reply: ReplyAttempt, plan: Faults) -> Expect:
    give_up = plan.give_up_kind()
    error = plan.error_kind()
    if error is not None:
        return Expect(error=error, give_up=give_up)
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    reasoning = [p.reasoning for p in reply.parts if isinstance(p, ReasoningPart)]
    waits = [e.retry_after or 0.0 for e in plan.errors]
    return Expect(
        text="".join(p.text for p in reply.parts if isinstance(p, TextPart)),
        reasoning="".join(reasoning) if reasoning else None,
        tool_calls=[
            ExpectedToolCall(
                name=c.name,
                arguments=c.arguments if isinstance(c.arguments, dict) else {},
                id=c.id,
            )
            for c in calls
        ],
        finish=reply.finish,
        usage=(
            ExpectedUsage(input=reply.usage.input, output=reply.usage.output)
            if reply.usage is not None
            else None
        ),
        requests=len(plan.errors) + 1,
        min_wait=round(sum(waits), 6) if sum(waits) > 0 else None,
        give_up=give_up,
    )


def _with_reply_chunking(scenario: Scenario, chunking: Chunking) -> Scenario:
    attempts: list[Attempt] = []
    for attempt in scenario.attempts:
        if isinstance(attempt, ReplyWrapper):
            wire = attempt.reply.wire.model_copy(update={"chunking": chunking})
            reply = attempt.reply.model_copy(update={"wire": wire})
            attempt = ReplyWrapper(reply=reply)
        attempts.append(attempt)
    return scenario.model_copy(update={"attempts": attempts})


def _body_size(scenario: Scenario, dialect_name: str) -> int | None:
    """The smallest chunked 200 body the dialect sends (SplitAt offsets must fit in it),
    or None when the dialect cannot express the scenario."""
    from harness.dialects import get_dialect

    dialect = get_dialect(dialect_name)
    if dialect.supports(scenario) is not None:
        return None
    try:
        script = dialect.synthesize(scenario)
    except ValueError:
        return None
    sizes = [len(ex.body) for ex in script.exchanges if ex.status < 400]
    return min(sizes, default=0)
