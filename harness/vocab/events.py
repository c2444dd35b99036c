"""Normalized events: what any adapter yields, in one vocabulary, and the Transcript.

Every driver maps its adapter's native output (SDK chunks, litellm ``ModelResponse``,
strands stream events, exceptions) onto these frozen models. Checks read only these.
A reply with several choices (OpenAI chat's ``n``) is reported by its first (index 0).
The JSON Schema is published in ``harness/vocab/schema/transcript.schema.json``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from harness.vocab.kinds import ErrorKind, FinishReason

__all__ = [
    "ErrorEvent",
    "Event",
    "FinishEvent",
    "ReasoningEvent",
    "RefusalEvent",
    "RequestRecord",
    "ResponseRecord",
    "TextEvent",
    "ToolCallEvent",
    "Transcript",
    "UsageEvent",
    "delta_event",
]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextEvent(_Event):
    """A piece of assistant text, as the adapter yielded it."""

    kind: Literal["text"] = "text"
    text: str = Field(description="The delta (streaming) or the whole text (non-streaming).")


class ReasoningEvent(_Event):
    """A piece of reasoning / thinking text."""

    kind: Literal["reasoning"] = "reasoning"
    text: str


class RefusalEvent(_Event):
    """A piece of a refusal: the model declining, passed on apart from the text (OpenAI
    chat's ``refusal``), so a caller never shows it as an ordinary answer."""

    kind: Literal["refusal"] = "refusal"
    text: str


class ToolCallEvent(_Event):
    """One complete tool call, after the adapter assembled its fragments."""

    kind: Literal["tool_call"] = "tool_call"
    id: str | None = Field(None, description="The call id the adapter reports.")
    name: str = Field(description="Function name.")
    arguments: JsonValue = Field(None, description="Arguments parsed as JSON, or null.")
    raw: str | None = Field(
        None, description="The argument text when it does not parse as JSON (else null)."
    )


class UsageEvent(_Event):
    """Token usage the adapter reports."""

    kind: Literal["usage"] = "usage"
    input: int | None = None
    output: int | None = None
    cache_read: int | None = None
    cache_write: int | None = None


class FinishEvent(_Event):
    """The adapter says the reply ended normally."""

    kind: Literal["finish"] = "finish"
    reason: FinishReason | None = Field(description="Mapped reason; null if it gave none.")
    raw: str | None = Field(None, description="The adapter's own reason string.")


class ErrorEvent(_Event):
    """The adapter ended with an exception (or an error item)."""

    kind: Literal["error"] = "error"
    error: ErrorKind = Field(description="What kind of failure, in harness's vocabulary.")
    type: str = Field(description="Qualified name of the exception class the adapter raised.")
    message: str = Field("", description="The exception's message, shortened.")
    status: int | None = Field(None, description="HTTP status the adapter reports, if any.")
    leaked: bool = Field(
        False, description="True when a raw transport exception escaped the adapter."
    )
    declared_type: str | None = Field(
        None,
        description="The type in the adapter's declared error taxonomy this exception is an "
        "instance of (null: undeclared, or the adapter declares no taxonomy).",
    )


Event = Annotated[
    TextEvent
    | ReasoningEvent
    | RefusalEvent
    | ToolCallEvent
    | UsageEvent
    | FinishEvent
    | ErrorEvent,
    Field(discriminator="kind"),
]


class RequestRecord(_Event):
    """One request the adapter sent, as the replay transport saw it."""

    method: str
    url: str
    path: str
    headers: dict[str, str] = Field(description="Lower-cased names; secrets masked.")
    body: JsonValue = Field(None, description="Parsed JSON body, or the text, or null.")
    at: float = Field(description="Virtual seconds since the run started.")
    exchange: int | None = Field(
        None, description="Index of the scripted exchange served, null on a miss."
    )


class ResponseRecord(_Event):
    """How the replay answered one request, on the virtual clock: what a timeline draws
    between a request and the next (the scripted delay, the stream, how it ended)."""

    request: int = Field(description="Index of the request in ``requests``.")
    status: int | None = Field(description="HTTP status sent; null if none was (timeout).")
    retry_after: float | None = Field(
        None,
        description="Seconds the response asked the client to wait (Retry-After, an HTTP "
        "date as the seconds it pointed ahead, or retry-after-ms), or null.",
    )
    head_at: float | None = Field(
        None, description="Virtual seconds when status and headers were sent (after the delay)."
    )
    end: Literal["complete", "cut", "stall", "timeout", "closed", "open"] = Field(
        description="How the body ended: read to the end, cut by the server, stalled until "
        "the client's read timeout, a read timeout before the head or between chunks, closed "
        "early by the client, or still open when the run ended."
    )
    end_at: float | None = Field(None, description="Virtual seconds when the body ended.")
    chunks: int = Field(0, description="Scripted chunks the client received.")
    pauses: list[tuple[float, float]] = Field(
        default_factory=list,
        description="(virtual seconds, delay) of each chunk the server held back.",
    )


class Transcript(BaseModel):
    """Everything one run of one scenario through one driver produced."""

    model_config = ConfigDict(extra="forbid")

    scenario: str
    driver: str
    dialect: str
    versions: dict[str, str] = Field(default_factory=dict, description="Package versions.")
    events: list[Event] = Field(default_factory=list)
    requests: list[RequestRecord] = Field(default_factory=list)
    responses: list[ResponseRecord] = Field(
        default_factory=list, description="How each served request was answered, in order."
    )
    event_times: list[float] = Field(
        default_factory=list,
        description="Virtual seconds when each event was yielded (parallel to ``events``).",
    )
    virtual_seconds: float = Field(0.0, description="Virtual time the run took.")
    wall_seconds: float = Field(0.0, description="Real time the run took.")

    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextEvent))

    def reasoning(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, ReasoningEvent))

    def refusal(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, RefusalEvent))

    def tool_calls(self) -> list[ToolCallEvent]:
        return [e for e in self.events if isinstance(e, ToolCallEvent)]

    def usages(self) -> list[UsageEvent]:
        return [e for e in self.events if isinstance(e, UsageEvent)]

    def terminals(self) -> list[FinishEvent | ErrorEvent]:
        return [e for e in self.events if isinstance(e, FinishEvent | ErrorEvent)]

    def waits(self) -> list[float]:
        """Virtual seconds between consecutive requests."""
        times = [r.at for r in self.requests]
        return [round(b - a, 6) for a, b in pairwise(times)]


_TEXT_ONLY: set[str] = {"text"}
"""The fields set of every delta event :func:`delta_event` makes: one set for all of them
(pydantic keeps one per instance; a set costs 216 bytes, an event's text often 50)."""


def delta_event(
    cls: type[TextEvent] | type[ReasoningEvent] | type[RefusalEvent], text: object
) -> Event:
    """``cls(text=text)`` for the events a stream yields by the hundred thousand: a ``str``
    needs no validation, so the instance is made as ``model_construct`` makes one, with
    the shared fields set (equal to a validated one, a third of the memory less); anything
    else is validated as usual."""
    if type(text) is not str:
        return cls(text=text)
    event = _new(cls)
    _set(event, "__dict__", {"kind": _KINDS[cls], "text": text})
    _set(event, "__pydantic_fields_set__", _TEXT_ONLY)
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event


_new = object.__new__
_set = object.__setattr__
_KINDS: dict[type[BaseModel], str] = {
    TextEvent: "text",
    ReasoningEvent: "reasoning",
    RefusalEvent: "refusal",
}
