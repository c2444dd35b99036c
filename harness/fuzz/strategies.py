"""Hypothesis strategies for scenarios: replies, chunkings, faults, and whole scenarios.

Hand-written scenarios find the bugs someone thought of; generated ones find the rest. Every
value drawn here is valid by construction (pydantic and ``scenario.schema.json`` accept it)
and carries the ``expect`` block a correct adapter satisfies, so a failing example is an
adapter finding, never a strategy artefact. Like Hypothesis's own strategies, each function
takes keyword-only arguments, checks them when called, and its repr echoes the call.

Only this module (with its private helpers ``_values`` and ``_faults``) and
:mod:`harness.fuzz.runner` import hypothesis; ``import harness`` and the pytest plugin never do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any

import hypothesis.strategies as st
from hypothesis import reject
from hypothesis.errors import InvalidArgument

from harness.dialects.chunking import split_text
from harness.dialects.framing import CHAT_SHAPES, DIALECT_SHAPES
from harness.dialects.recent import Recent
from harness.dialects.script import Script
from harness.fuzz.faults import (
    FAULT_ERRORS,
    Faults,
    _draw_faults,
    faults,
    http_errors,
    stream_faults,
)
from harness.fuzz.values import (
    _BOOLEANS,
    MAX_SAFE_INTEGER,
    SPECIAL_TEXT,
    Draw,
    _catalogue_tools,
    _check_bool,
    _check_int,
    _check_schema,
    _ints,
    _named,
    _schema_values,
    _text_strategy,
    from_json_schema,
    parameter_schemas,
    texts,
    tools,
)
from harness.run.rechunk import with_chunking
from harness.scenario import (
    Attempt,
    Chunking,
    Disconnect,
    DisconnectAttempt,
    ErrorAttempt,
    EveryN,
    Message,
    Part,
    ReasoningPart,
    Refusal,
    ReplyAttempt,
    ReplyWrapper,
    Request,
    Scenario,
    SplitAt,
    TextPart,
    Tool,
    ToolCall,
    ToolCallPart,
    Usage,
    Wire,
)
from harness.scenario.outcome import expect_for
from harness.scenario.wire import FRAMING_OPTIONS

__all__ = [
    "FAULT_ERRORS",
    "MAX_SAFE_INTEGER",
    "SCENARIO_ID",
    "SPECIAL_TEXT",
    "Faults",
    "chunkings",
    "expect_for",
    "faults",
    "from_json_schema",
    "http_errors",
    "parameter_schemas",
    "per_event_twin",
    "replies",
    "scenarios",
    "stream_faults",
    "texts",
    "tools",
    "wire_cases",
    "wires",
]

SCENARIO_ID = "fuzz-example"
"""The id of generated scenarios (dialects hash ids into call ids, so it stays fixed)."""


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
    reply, _ = _draw_reply(
        draw,
        lambda: tools,
        calls=bool(tools),
        text=text,
        reasoning=reasoning,
        max_parts=max_parts,
        max_pieces=max_pieces,
    )
    return reply


def _draw_reply(
    draw: Draw[Any],
    offer: Callable[[], tuple[Tool, ...]],
    *,
    calls: bool,
    text: bool = True,
    reasoning: bool = True,
    max_parts: int = 4,
    max_pieces: int = 6,
) -> tuple[ReplyAttempt, tuple[Tool, ...]]:
    """A reply and the tools it was drawn with: ``offer()`` is called (and the tools drawn)
    only once a tool-call part is drawn, so a reply without calls draws no tools."""
    kinds: list[str] = (["text"] if text else []) + (["reasoning"] if reasoning else [])
    kinds += ["tool_call"] if calls else []
    parts: list[Part] = []
    offered: tuple[Tool, ...] = ()
    if kinds:
        for kind in draw(_kinds_strategy(tuple(kinds), max_parts)):
            pieces = draw(_ints(1, max_pieces))
            if kind == "text":
                parts.append(TextPart(text=draw(_text_strategy(24)), deltas=pieces))
            elif kind == "reasoning":
                parts.append(ReasoningPart(reasoning=draw(_text_strategy(24)), deltas=pieces))
            else:
                offered = offered or offer()
                tool = offered[draw(_ints(0, len(offered) - 1))] if len(offered) > 1 else offered[0]
                arguments = draw(_schema_values(json.dumps(tool.parameters, sort_keys=True)))
                assert isinstance(arguments, dict)
                call_id = draw(_CALL_IDS)
                call = ToolCall(id=call_id, name=tool.name, arguments=arguments, fragments=pieces)
                parts.append(ToolCallPart(tool_call=call))
    ids = [p.tool_call.id for p in parts if isinstance(p, ToolCallPart) and p.tool_call.id]
    if len(ids) != len(set(ids)):  # ids must be unique: drop the explicit ones
        parts = [_without_id(p) for p in parts]
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    finish = "tool_calls" if has_calls else draw(_FINISHES)
    return ReplyAttempt(parts=parts, finish=finish, usage=_draw_usage(draw)), offered


def _draw_usage(draw: Draw[Any]) -> Usage | None:
    """None or input and output tokens, with cached input tokens or not; each choice is
    one draw (``st.none() | st.builds(...)`` makes eight), and shrinks to None."""
    if not draw(_BOOLEANS):
        return None
    tokens, output = draw(_TOKENS), draw(_TOKENS)
    cache_read = draw(_ints(0, 1000)) if draw(_BOOLEANS) else None
    return Usage(input=tokens, output=output, cache_read=cache_read)


_CALL_IDS = st.none() | st.text(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=8
).map("call_".__add__)
"""``call_[A-Za-z0-9]{8}`` in one draw of the eight characters (not one per character)."""
_FINISHES = st.sampled_from(["stop", "length", "content_filter"])
_TOKENS = st.integers(0, 100_000)


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
        st.just("crlf_split"),
    ]
    return st.one_of(options)


_EVERY = st.integers(1, 64)
_MAX_CHUNKS = 64
"""An every-N chunking cuts the body in at most this many chunks (N grows with the body):
every byte of a 2 kB body is 2000 reads of the adapter, where the same body cut per event
is about 6. Short bodies are still cut byte by byte; cuts at any offset of
a long one are ``split_at``'s, and inside every multi-byte character ``mid_utf8``'s."""
_CHUNKING_KINDS = st.sampled_from(
    ["per_event", "split_at", "every_n", "mid_utf8", "whole", "crlf_split"]
)
"""What :func:`scenarios` draws with a dialect, in :func:`chunkings`' order (per event first,
where shrinking goes); the offsets of ``split_at`` are drawn once the body's size is known."""


@lru_cache(maxsize=1024)
def _split_offsets(size: int, max_splits: int) -> st.SearchStrategy[Chunking]:
    offsets = st.lists(st.integers(0, size), min_size=1, max_size=max_splits, unique=True)
    return offsets.map(lambda at: SplitAt(at=sorted(at)))


_DATA_ONLY = frozenset({"openai-chat", "gateway"})


@cache
def _option_lists(dialect: str | None) -> st.SearchStrategy[list[str]]:
    names = [n for n in FRAMING_OPTIONS if not (n == "unknown_events" and dialect in _DATA_ONLY)]
    if dialect in (None, "openai-chat"):
        names += CHAT_SHAPES
    names += [name for name, owner in DIALECT_SHAPES.items() if owner == dialect]
    return st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)


def _draw_options(draw: Draw[Any], dialect: str | None) -> dict[str, Any]:
    """Wire options to switch on: none in a third of the draws (they shrink to none), else
    one to three framing options or chat stream shapes the dialect can express, and on
    OpenAI chat two interleaved choices in a quarter of those."""
    if draw(_ints(0, 2)) == 0:
        return {}
    options: dict[str, Any] = dict.fromkeys(draw(_option_lists(dialect)), True)
    if dialect in (None, "openai-chat") and draw(_ints(0, 3)) == 0:
        options["choices"] = 2
    return options


def _draw_refusal(draw: Draw[Any], reply: ReplyAttempt, dialect: str | None) -> ReplyAttempt:
    """On OpenAI chat, in one reply of six without tool calls: the model also declines (a
    refusal after the text), finishing with stop."""
    if dialect not in (None, "openai-chat") or draw(_ints(0, 5)) != 0:
        return reply
    if any(isinstance(p, ToolCallPart) for p in reply.parts):
        return reply
    text = draw(_text_strategy(24)) or "I can't help with that."
    refusal = Refusal(text=text, deltas=draw(_ints(1, 6)))
    return reply.model_copy(update={"refusal": refusal, "finish": "stop"})


def wires(*, chunking: st.SearchStrategy[Chunking] | None = None) -> st.SearchStrategy[Wire]:
    """Line endings, ``data:`` spacing, keep-alive comments, where usage travels (the framing
    options and chat shapes are drawn by :func:`scenarios`, which knows the dialect)."""
    return st.builds(
        Wire,
        chunking=chunking if chunking is not None else chunkings(),
        line_ending=st.sampled_from(["lf", "crlf", "cr"]),
        data_space=st.booleans().map(lambda b: not b),
        keepalive_every=st.sampled_from([0, 0, 1, 2, 5]),
        usage_chunk=st.booleans().map(lambda b: not b),
    )


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
    ``retries`` allow stream faults and HTTP errors before the reply. With ``tools``, a reply
    that calls a tool is offered one or two tools of every parameter kind (the call's
    arguments drawn from its schema); a reply without calls is offered none.
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
    # tools are drawn (and offered in the request) only when the reply calls one
    reply, offered = _draw_reply(
        draw, lambda: tuple(draw(_TOOLS)), calls=tools, reasoning=reasoning
    )
    reply = _ending(draw, reply, dialect)
    reply = _draw_refusal(draw, reply, dialect)
    pieces = _pieces(reply)
    plan = (
        _draw_faults(
            draw,
            max_errors=3 if retries else 0,
            stream=streamed and faults,
            max_index=pieces,
            disconnects=retries,
        )
        if faults or retries
        else Faults()
    )
    # what wires() draws, drawn here without its keepalive_every (the plan's wins), and
    # only for a stream: a whole JSON body has no lines, data fields or usage chunk
    framing: dict[str, Any] = {}
    if streamed:
        framing["line_ending"] = draw(_LINE_ENDINGS)
        framing["data_space"], framing["usage_chunk"] = not draw(_BOOLEANS), not draw(_BOOLEANS)
        framing.update(_draw_options(draw, dialect))
    wire = Wire(keepalive_every=plan.keepalive_every, **framing)
    reply = reply.model_copy(update={"wire": wire, "fault": plan.stream})
    request = Request(
        messages=[Message(role="user", content=draw(_text_strategy(12)) or "Hello")],
        tools=list(offered),
        stream=streamed,
    )
    attempts: list[Attempt] = [ErrorAttempt(error=e) for e in plan.errors]
    if plan.disconnect:
        attempts.append(DisconnectAttempt(disconnect=Disconnect()))
    attempts.append(ReplyWrapper(reply=reply))
    scenario = Scenario(
        id=SCENARIO_ID,
        description="Generated by harness.fuzz.strategies.scenarios().",
        request=request,
        attempts=attempts,
        expect=expect_for(reply, plan),
    )
    if dialect is None:
        return with_chunking(scenario, draw(_chunking_strategy(None, 64, 4)))
    # the kind first, then one compilation, cut per event: its body's size bounds the
    # SplitAt offsets and EveryN, and any other chunking of it is a re-cut of its events
    kind = draw(_CHUNKING_KINDS)
    if kind == "crlf_split":  # it cuts CRLF line ends: the lines end so, not rejected
        scenario = _crlf(scenario)
    per_event = _script(scenario, dialect)
    if per_event is None:
        reject()  # the dialect cannot express it
    size = min((len(ex.body) for ex in per_event.exchanges if ex.status < 400), default=0)
    chunking: Chunking
    if kind == "split_at":
        chunking = draw(_split_offsets(size, 4))
    elif kind == "every_n":
        chunking = EveryN(every=max(draw(_EVERY), -(-size // _MAX_CHUNKS)))
    else:
        chunking = kind  # type: ignore[assignment]  # per_event, mid_utf8, whole, crlf_split
    if chunking == "per_event":
        return scenario
    final = with_chunking(scenario, chunking)
    return _recut(final, scenario, per_event, dialect)


_TWINS: Recent[Scenario] = Recent(16)
"""The per-event twin (the one compiled) of the last few drawn scenarios cut otherwise than
per event, for :func:`per_event_twin`."""


def _recut(final: Scenario, per_event: Scenario, script: Script, dialect: str) -> Scenario:
    """``final`` (``per_event`` cut otherwise), its script re-cut from ``script`` (that of
    ``per_event``) and kept for the run, or rejected if the dialect cannot cut it so."""
    from harness.dialects import get_dialect
    from harness.dialects.compiled import recut

    speaker = get_dialect(dialect)
    if speaker.supports(final) is not None:
        reject()  # the dialect cannot express it (e.g. crlf_split without lines)
    recut(speaker, final, script)  # kept: the run reuses it
    _TWINS.put(None, final, per_event)
    return final


def per_event_twin(scenario: Scenario) -> Scenario:
    """``scenario`` cut per event: for a drawn scenario, the very object compiled while it
    was drawn (so the per-event run of the re-chunk comparison is not compiled again)."""
    twin = _TWINS.get(None, scenario)
    return twin if twin is not None else with_chunking(scenario, "per_event")


def _crlf(scenario: Scenario) -> Scenario:
    """``scenario`` with its replies' lines ended by CRLF."""
    attempts: list[Attempt] = []
    for attempt in scenario.attempts:
        if isinstance(attempt, ReplyWrapper):
            wire = attempt.reply.wire.model_copy(update={"line_ending": "crlf"})
            attempt = ReplyWrapper(reply=attempt.reply.model_copy(update={"wire": wire}))
        attempts.append(attempt)
    return scenario.model_copy(update={"attempts": attempts})


def _ending(draw: Draw[Any], reply: ReplyAttempt, dialect: str | None) -> ReplyAttempt:
    """The endings only one wire has, drawn for it: Anthropic's paused turn (pause_turn),
    a Responses response that ends failed (response.failed with its error object). They
    shrink away (to the usual ending), as the draws shrink towards 0."""
    if dialect == "anthropic-messages" and reply.finish != "tool_calls" and draw(_ints(0, 3)) == 3:
        return reply.model_copy(update={"finish": "paused"})
    if dialect == "openai-responses" and draw(_ints(0, 5)) == 5:
        return reply.model_copy(update={"outcome": "failed"})
    return reply


_TOOLS = _catalogue_tools(1, 2)
"""The tools of a reply that calls one: one or two of the catalogue's."""
_LINE_ENDINGS = st.sampled_from(["lf", "crlf", "cr"])
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
    if reply.refusal is not None:
        count += len(split_text(reply.refusal.text, reply.refusal.deltas))
    return count


def wire_cases(*, dialect: str | None = None) -> list[Scenario]:
    """The seed corpus of ``harness fuzz``: one scenario per wire case of issue 16 (every
    status, Retry-After form, x-should-retry, a dropped connection, a retry run one past the
    default budget, every SSE framing option and chat shape), those ``dialect`` can express."""
    from harness.fuzz.corpus import wire_cases as cases

    if dialect is None:
        return cases()
    from harness.dialects import get_dialect

    speaker = get_dialect(dialect)
    return [s for s in cases() if speaker.supports(s) is None]


def _script(scenario: Scenario, dialect_name: str) -> Script | None:
    """The script of ``scenario`` on the dialect (compiled once: the run reuses it), or
    None when the dialect cannot express the scenario."""
    from harness.dialects import get_dialect
    from harness.dialects.compiled import compiled

    dialect = get_dialect(dialect_name)
    if dialect.supports(scenario) is not None:
        return None
    try:
        return compiled(dialect, scenario)
    except ValueError:
        return None
