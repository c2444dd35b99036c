"""Scenario: one provider-neutral conversation, what the server does on each attempt, and
what a correct adapter yields.

A scenario is the contract between the dialects (which compile it into wire bytes) and the
checks (which compare an adapter's transcript with ``expect``). The JSON Schema generated
from these models is published in ``harness/vocab/schema/scenario.schema.json``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    PrivateAttr,
    Tag,
    model_validator,
)

from harness.scenario.wire import Chunking, EveryN, SplitAt, Wire
from harness.vocab.kinds import NO_FINISH, ErrorKind, FinishReason, NoFinish

__all__ = [
    "NO_FINISH",
    "Attempt",
    "Chunking",
    "Disconnect",
    "DisconnectAttempt",
    "ErrorAttempt",
    "ErrorKind",
    "EveryN",
    "Expect",
    "ExpectedRequest",
    "ExpectedToolCall",
    "ExpectedUsage",
    "FinishReason",
    "HttpError",
    "HttpErrorReply",
    "Message",
    "NoFinish",
    "Part",
    "ReasoningPart",
    "Refusal",
    "ReplyAttempt",
    "ReplyWrapper",
    "Request",
    "Scenario",
    "SplitAt",
    "StreamFault",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallPart",
    "Usage",
    "Wire",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- request


def _empty_object_schema() -> dict[str, JsonValue]:
    return {"type": "object", "properties": {}}


class Tool(_Model):
    """A function the model may call."""

    name: str = Field(min_length=1, description="Function name.")
    description: str = Field("", description="What the function does.")
    parameters: dict[str, JsonValue] = Field(
        default_factory=_empty_object_schema,
        description="JSON Schema of the arguments object.",
    )


class Message(_Model):
    """One message of the conversation sent to the model."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_call_id: str | None = Field(None, description="For role=tool: the call answered.")
    tool_calls: list[ExpectedToolCall] = Field(
        default_factory=list, description="For role=assistant: calls the model made earlier."
    )


class Request(_Model):
    """What the adapter is asked to do."""

    model: str = Field("gpt-4o-mini", description="Model name the adapter passes through.")
    messages: list[Message] = Field(min_length=1)
    tools: list[Tool] = Field(default_factory=list)
    stream: bool = Field(True, description="Streaming (SSE) or one JSON response.")
    max_tokens: int | None = Field(None, ge=1)
    options: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Adapter parameters passed through as they are (e.g. thread_id for "
        "Azure AI Agents); drivers document which ones they read.",
    )


# --------------------------------------------------------------------------- reply parts


class _Streamed(_Model):
    """A text streamed in ``deltas`` pieces (a count to split evenly, or the pieces, which
    must join to the text): :meth:`streamed` names the text and what to call it."""

    if TYPE_CHECKING:  # declared by each subclass, after its text (the field order)
        deltas: int | list[str]

    @abstractmethod
    def streamed(self) -> tuple[str, str]:
        """The whole text and its name in messages."""

    @model_validator(mode="after")
    def _pieces_join(self) -> Self:
        text, label = self.streamed()
        _check_pieces(text, self.deltas, label)
        return self


def _deltas(what: str) -> Any:
    return Field(1, description=f"How the {what} is streamed: N even pieces, or the exact pieces.")


class TextPart(_Streamed):
    """Assistant text, sent as ``deltas`` pieces (a count to split evenly, or the pieces)."""

    text: str
    deltas: int | list[str] = _deltas("text")

    def streamed(self) -> tuple[str, str]:
        return self.text, "text"


class ReasoningPart(_Streamed):
    """Reasoning / thinking text, where a dialect can carry it."""

    reasoning: str
    deltas: int | list[str] = 1
    signature: str | None = Field(None, description="Anthropic thinking signature.")

    def streamed(self) -> tuple[str, str]:
        return self.reasoning, "reasoning"


class Refusal(_Streamed):
    """The model declines, in its own words: OpenAI chat's ``refusal`` (streamed as
    ``delta.refusal`` pieces after the reply's parts, ``message.refusal`` unstreamed),
    which a correct adapter keeps apart from the text."""

    text: str = Field(min_length=1)
    deltas: int | list[str] = _deltas("refusal")

    def streamed(self) -> tuple[str, str]:
        return self.text, "refusal"


class ToolCall(_Model):
    """A tool call the model makes; ``arguments`` may be a JSON object or raw text."""

    id: str | None = Field(None, description="Call id; the dialect invents one if absent.")
    name: str = Field(min_length=1)
    arguments: dict[str, JsonValue] | str = Field(
        default_factory=dict,
        description="An object (serialized compactly) or the exact argument text sent.",
    )
    fragments: int | list[str] = Field(
        1, description="How the argument text is streamed: N pieces, or the exact pieces."
    )

    def argument_text(self) -> str:
        """The exact argument text on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        import json

        return json.dumps(self.arguments, separators=(",", ":"), ensure_ascii=False)

    @model_validator(mode="after")
    def _pieces_join(self) -> ToolCall:
        _check_pieces(self.argument_text(), self.fragments, "arguments")
        return self


class ToolCallPart(_Model):
    """A reply part holding one tool call."""

    tool_call: ToolCall


def _part_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("text", "reasoning", "tool_call"):
            if key in value:
                return key
        return None
    tags: dict[type, str] = {
        TextPart: "text",
        ReasoningPart: "reasoning",
        ToolCallPart: "tool_call",
    }
    return tags.get(type(value))


Part = Annotated[
    Annotated[TextPart, Tag("text")]
    | Annotated[ReasoningPart, Tag("reasoning")]
    | Annotated[ToolCallPart, Tag("tool_call")],
    Discriminator(
        _part_tag,
        custom_error_type="part_kind",
        custom_error_message="a reply part needs one of the keys: text, reasoning, tool_call",
    ),
]


def _check_pieces(text: str, pieces: int | list[str], what: str) -> None:
    if isinstance(pieces, int):
        if pieces < 1:
            raise ValueError(f"{what}: the number of pieces must be >= 1 (got {pieces})")
        return
    if "".join(pieces) != text:
        raise ValueError(f"{what}: the pieces must join to the full text (got {pieces!r})")


class Usage(_Model):
    """Token counts the server reports."""

    input: int = Field(ge=0)
    output: int = Field(ge=0)
    cache_read: int | None = Field(None, ge=0)
    cache_write: int | None = Field(None, ge=0)


# --------------------------------------------------------------------------- wire shape
# EveryN, SplitAt, Chunking and Wire live in harness.scenario.wire (imported above).


class StreamFault(_Model):
    """Something wrong with a 200 stream. At most one field is set."""

    cut_after: int | None = Field(
        None, ge=0, description="Drop the connection after N events (a transport error)."
    )
    truncate_after: int | None = Field(
        None, ge=0, description="End the body cleanly after N events: no finish, no terminator."
    )
    malformed_at: int | None = Field(
        None, ge=0, description="Replace event N's data with text that is not JSON."
    )
    error_payload: dict[str, JsonValue] | None = Field(
        None, description="End the stream with this in-stream error payload, no terminator."
    )
    empty: bool = Field(False, description="HTTP 200 with zero body bytes.")
    terminator_only: bool = Field(False, description="HTTP 200 with only the terminator.")
    stall_after: int | None = Field(
        None, ge=0, description="Stop sending after N events until the client's read timeout."
    )

    @model_validator(mode="after")
    def _one_fault(self) -> StreamFault:
        set_fields = [k for k, v in self if v not in (None, False)]
        if len(set_fields) > 1:
            raise ValueError(f"a stream fault sets one field, got {set_fields}")
        return self


# --------------------------------------------------------------------------- attempts


class ReplyAttempt(_Model):
    """The server answers with a reply (HTTP 200)."""

    parts: list[Part] = Field(default_factory=list)
    finish: FinishReason | NoFinish = Field(
        "stop",
        description="Why generation ended; none: the reply carries no finish reason (OpenAI "
        "chat's finish_reason: null), which only a wire with a nullable reason can say.",
    )
    refusal: Refusal | None = Field(
        None, description="The model declines (OpenAI chat only): sent after the parts."
    )
    usage: Usage | None = None
    outcome: Literal["completed", "failed", "incomplete", "cancelled", "expired"] = Field(
        "completed",
        description="How a run/response ends, for dialects that say so (Responses, Azure "
        "AI Agents runs). A tool-call reply of a run ends in requires_action.",
    )
    incomplete_reason: Literal["max_output_tokens", "content_filter"] = Field(
        "max_output_tokens", description="For outcome=incomplete: incomplete_details.reason."
    )
    polls: int = Field(
        0,
        ge=0,
        description="Runs that are polled: how many polls answer queued/in_progress before "
        "the final status.",
    )
    error: dict[str, JsonValue] | None = Field(
        None, description="For outcome=failed: the provider's error (code, message)."
    )
    wire: Wire = Field(default_factory=Wire)
    fault: StreamFault | None = None


class HttpErrorReply(_Model):
    """An HTTP error reply: the status, headers and body the server answers with."""

    status: int = Field(ge=400, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: JsonValue = Field(None, description="JSON body; the dialect's usual error if null.")
    retry_after: float | None = Field(
        None,
        description="Add a Retry-After of this many seconds, in retry_after_form; a "
        "negative value is sent as is (seconds) or as a date in the past (http_date).",
    )
    retry_after_form: Literal["seconds", "ms", "http_date"] = "seconds"


HttpError = HttpErrorReply
"""Deprecated alias of :class:`HttpErrorReply`: the old name read like an exception's."""


class ErrorAttempt(_Model):
    """The server answers with an HTTP error."""

    error: HttpErrorReply


class Disconnect(_Model):
    """The connection drops before the first byte of the response (no status, no headers)."""


class DisconnectAttempt(_Model):
    """The server drops the connection before answering: nothing was delivered, so a
    correct adapter may send the request again."""

    disconnect: Disconnect


class RawReply(_Model):
    """A response served byte for byte, whatever the dialect: what an imported recording
    answered when no dialect reader could make sense of it (a text/plain body, JSON of an
    unknown shape). Only the dialect it was recorded in can serve it meaningfully."""

    status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = Field("", description="The body, as recorded (UTF-8 text).")


class RawAttempt(_Model):
    """The server answers with exactly these bytes."""

    raw: RawReply


def _attempt_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("error", "reply", "disconnect", "raw"):
            if key in value:
                return key
        return None
    if isinstance(value, ErrorAttempt):
        return "error"
    if isinstance(value, RawAttempt):
        return "raw"
    return "disconnect" if isinstance(value, DisconnectAttempt) else "reply"


class ReplyWrapper(_Model):
    """An attempt the server answers with a reply."""

    reply: ReplyAttempt


Attempt = Annotated[
    Annotated[ErrorAttempt, Tag("error")]
    | Annotated[ReplyWrapper, Tag("reply")]
    | Annotated[DisconnectAttempt, Tag("disconnect")]
    | Annotated[RawAttempt, Tag("raw")],
    Discriminator(
        _attempt_tag,
        custom_error_type="attempt_kind",
        custom_error_message="an attempt needs one key: reply, error, disconnect or raw",
    ),
]


# --------------------------------------------------------------------------- expectations


class ExpectedToolCall(_Model):
    """A tool call the adapter must yield (id is checked only when given)."""

    name: str
    arguments: dict[str, JsonValue] = Field(default_factory=dict)
    id: str | None = None


class ExpectedUsage(_Model):
    input: int = Field(ge=0)
    output: int = Field(ge=0)


class ExpectedRequest(_Model):
    """What one request the adapter sends must carry (unset fields are not checked)."""

    method: str | None = None
    path: str | None = Field(None, description="Exact path, or a suffix of it.")
    query: dict[str, str] = Field(default_factory=dict, description="Required parameters.")
    headers: list[str] = Field(
        default_factory=list, description="Header names that must be present."
    )
    bearer: bool | None = Field(None, description="An Authorization: Bearer header is sent.")
    body: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="A subset of the JSON body: every key given must be there with this "
        "value (objects compared recursively, lists exactly).",
    )


class Expect(_Model):
    """What a correct adapter yields on this wire. Unset fields are not checked."""

    text: str | None = None
    reasoning: str | None = None
    refusal: str | None = Field(
        None, description="The refusal the adapter passes on as a refusal, apart from the text."
    )
    tool_calls: list[ExpectedToolCall] | None = None
    finish: FinishReason | NoFinish | None = Field(
        None,
        description="The finish reason the adapter reports; none: it reports none (a finish "
        "with no reason), since the reply gave none.",
    )
    usage: ExpectedUsage | None = None
    error: ErrorKind | None = Field(None, description="The adapter must end with this error.")
    requests: int | None = Field(None, ge=0, description="How many requests reach the server.")
    min_wait: float | None = Field(
        None, ge=0, description="Minimum virtual seconds between the first and last request."
    )
    max_wait: float | None = Field(
        None,
        ge=0,
        description="Maximum virtual seconds an adapter may wait between two requests of "
        "one call (a Retry-After beyond any sane cap: give up instead, and say so).",
    )
    sent: list[ExpectedRequest] | None = Field(
        None,
        description="What each request the adapter sends must carry, in order (the protocol "
        "flow); requests past the end of this list are not checked.",
    )
    give_up: ErrorKind | None = Field(
        None,
        description="Also correct: the adapter runs out of its own retry budget and raises "
        "this kind of error. The other expectations are then not checked; the retry "
        "invariants (Retry-After, backoff, no storm) still are.",
    )

    @model_validator(mode="after")
    def _error_xor_finish(self) -> Expect:
        if self.error is not None and self.finish is not None:
            raise ValueError("expect either an error or a finish, not both")
        return self


# --------------------------------------------------------------------------- scenario


class Scenario(_Model):
    """One conversation plus what the server does, and what a correct adapter yields."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Stable kebab-case id.")
    description: str = ""
    dialects: list[str] | None = Field(
        None, description="Only these dialects; default: every dialect that can express it."
    )
    request: Request
    attempts: list[Attempt] = Field(min_length=1)
    expect: Expect

    _source: str | None = PrivateAttr(None)
    _line: int | None = PrivateAttr(None)

    def located(self, source: str, line: int) -> Scenario:
        """Remember the file and line this scenario was loaded from, for messages."""
        self._source, self._line = source, line
        return self

    @property
    def source(self) -> str | None:
        return self._source

    def replies(self) -> list[ReplyAttempt]:
        return [a.reply for a in self.attempts if isinstance(a, ReplyWrapper)]

    def where(self) -> str:
        """``file:line`` for messages, or the id when the scenario was built in code."""
        if self._source is None:
            return f"scenario {self.id}"
        return f"{self._source}:{self._line or 1}"


Message.model_rebuild()
