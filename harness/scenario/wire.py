"""The shape of a streamed reply's bytes on the wire: chunking, line endings, SSE framing
options and OpenAI chat stream shapes. Part of the scenario model (re-exported by
:mod:`harness.scenario.model`); a module of its own because the options are many."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FRAMING_OPTIONS", "Chunking", "EveryN", "SplitAt", "Wire"]

FRAMING_OPTIONS = (
    "multiline_data",
    "extra_fields",
    "unknown_events",
    "comment_in_event",
    "bom",
    "unterminated_tail",
)
"""The SSE framing options of :class:`Wire` (booleans), in one place for the model, the
strategies and the fuzzer's seed corpus."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EveryN(_Model):
    """Split the body every N bytes, regardless of event or UTF-8 boundaries."""

    every: int = Field(ge=1)


class SplitAt(_Model):
    """Split the body at these byte offsets (what fuzzing prints when it shrinks)."""

    at: list[int]


Chunking = Literal["per_event", "whole", "mid_utf8", "crlf_split"] | EveryN | SplitAt
"""How the response body is cut into the chunks the client receives (``crlf_split``: per
event, and also between the CR and the LF of every CRLF line end)."""


class Wire(_Model):
    """How the bytes of a streamed reply look on the wire."""

    chunking: Chunking = Field("per_event", description="Chunk boundaries of the body.")
    line_ending: Literal["lf", "crlf", "cr"] = "lf"
    data_space: bool = Field(True, description="Write 'data: x' (True) or 'data:x' (False).")
    keepalive_every: int = Field(
        0, ge=0, description="Insert a ': keep-alive' comment after every N events (0: none)."
    )
    event_delay: float = Field(0.0, ge=0, description="Virtual seconds before each event.")
    first_byte_delay: float = Field(0.0, ge=0, description="Virtual seconds before headers.")
    usage_chunk: bool = Field(
        True,
        description="OpenAI chat: send usage in a separate final chunk with choices: [].",
    )
    # SSE framing (WHATWG event-stream rules): each keeps the events' meaning unchanged,
    # so a correct decoder yields exactly what it yields without them.
    multiline_data: bool = Field(
        False,
        description="Spread each JSON payload over several data: lines (one per member); "
        "the spec joins them with LF, which JSON reads as whitespace.",
    )
    extra_fields: bool = Field(
        False,
        description="Give every event an id: and a retry: field and a field with no colon "
        "(a name with an empty value); decoders ignore unknown fields.",
    )
    unknown_events: bool = Field(
        False,
        description="Send an event of an unknown type before every event but the first "
        "(named-event dialects only: in a data-only stream every event is a chunk).",
    )
    comment_in_event: bool = Field(
        False,
        description="A comment line between the lines of every event (after its first).",
    )
    bom: bool = Field(
        False,
        description="Start the body with a UTF-8 BOM, which decoders strip; the first event "
        "then carries content (OpenAI chat: the role rides on the first delta).",
    )
    unterminated_tail: bool = Field(
        False,
        description="End the body with a copy of the second event and no blank line after "
        "it: the spec discards an event that is not dispatched at EOF.",
    )
    # OpenAI chat stream shapes that real OpenAI-compatible servers send.
    tool_index_zero: bool = Field(
        False,
        description="OpenAI chat: every tool call carries index 0; calls differ by id only "
        "(several OpenAI-compatible servers stream parallel calls this way).",
    )
    args_with_finish: bool = Field(
        False,
        description="OpenAI chat: the last argument fragment of the last tool call arrives "
        "in the chunk that carries finish_reason.",
    )
    usage_repeated: bool = Field(
        False,
        description="Usage is sent twice: an early partial value, then the final one; the "
        "last value wins (never add them up).",
    )
    empty_deltas: bool = Field(
        False,
        description='OpenAI chat: a content "" delta and a content null delta after every '
        "text delta.",
    )
    role_only_first: bool = Field(
        False,
        description="OpenAI chat: the first chunk carries only the role, no content key.",
    )
    # Shapes of one named-event wire (other wires have no such events).
    pings: bool = Field(
        False,
        description="Anthropic Messages: a ping event after every event but the last "
        "(the API sends pings between content blocks and deltas to keep a stream alive).",
    )
    args_without_deltas: bool = Field(
        False,
        description="OpenAI Responses: no response.function_call_arguments.delta events; a "
        "function call's arguments arrive only in response.function_call_arguments.done and "
        "response.output_item.done.",
    )
    legacy_function_call: bool = Field(
        False,
        description="OpenAI chat: the reply's one tool call is sent the pre-tools way, as "
        "function_call (name, then argument fragments; no id) with finish_reason "
        "function_call, as Azure and many OpenAI-compatible servers still answer.",
    )
    choices: int = Field(
        1,
        ge=1,
        le=4,
        description="OpenAI chat: the reply carries this many choices (as for a request with "
        "n), each chunk one choice, interleaved; choice 0 is the reply's parts, choice k the "
        "same parts with its text marked and its call ids suffixed. Events report choice 0.",
    )

    def framing(self) -> list[str]:
        """The names of the SSE framing options that are on (for n/a reasons and codes)."""
        return [n for n in FRAMING_OPTIONS if getattr(self, n)]
