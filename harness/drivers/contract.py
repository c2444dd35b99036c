"""Adapter contracts: what an adapter declares about itself, so checks judge it fairly.

Adapters make legitimate choices the provider's protocol leaves open: which statuses they
retry, a cap on Retry-After, their own exception types, a lone ``[DONE]`` read as an empty
reply, no reasoning output. A :class:`Contract` says so once per adapter; the checks consult
it, and every finding says whether it breaks the provider's ``protocol`` or the adapter's
own declared ``contract`` (:attr:`harness.vocab.findings.Finding.breaks`).

The defaults are the protocol and the policy harness has always accepted, so an adapter
that declares nothing is judged as before. A relaxation is never silent:
:meth:`Contract.deviations` lists every way a contract differs from the defaults, and the
verdict and every report print that list next to the results. No contract can turn data
loss into a pass: :data:`DATA_LOSS` codes cannot be accepted (the model refuses them).

::

    from harness.drivers.contract import Contract, ErrorTaxonomy, RetryRules

    CONTRACT = Contract(
        retry=RetryRules(statuses={408, 429, 502, 503, 504}, retry_after_cap=60),
        errors=ErrorTaxonomy(
            types={"myclient.errors.ServerError": "server"},
            throttling=("myclient.errors.Throttled",),
        ),
        source="myclient docs, 'Retries' section",
    )
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.scenario.model import (
    ErrorAttempt,
    ErrorKind,
    ReplyWrapper,
    Scenario,
    ToolCallPart,
)
from harness.vocab.codes import Code

if TYPE_CHECKING:
    from harness.vocab.events import ErrorEvent

__all__ = [
    "DATA_LOSS",
    "PROTOCOL_FINAL",
    "PROTOCOL_RETRYABLE",
    "Contract",
    "ErrorTaxonomy",
    "Features",
    "RetryRules",
    "StreamEnd",
    "contract_of",
    "kind_of_status",
    "leading_errors",
    "type_names",
]

PROTOCOL_RETRYABLE = frozenset({408, 429, 500, 502, 503, 504, 529})
"""Statuses the providers document as transient (OpenAI and Anthropic error-code pages)."""
PROTOCOL_FINAL = frozenset({400, 403, 404, 405, 413, 422})
"""Statuses a retry cannot fix: the same request gets the same answer. 409 is neither
final nor transient: the OpenAI and Anthropic SDKs retry it (a lock that may clear)."""

DATA_LOSS = frozenset(
    {
        Code.TRUNCATED_STREAM_ACCEPTED,
        Code.EMPTY_STREAM_ACCEPTED,
        Code.INCOMPLETE_REPORTED_AS_SUCCESS,
        Code.FAILED_RUN_REPORTED_AS_SUCCESS,
        Code.STREAM_ERROR_SWALLOWED,
        Code.ERROR_SWALLOWED,
        Code.MALFORMED_EVENT_ACCEPTED,
        Code.TOOL_CALL_DROPPED,
        Code.TOOL_ARGS_FRAGMENT_LOST,
        Code.OUTPUT_REPEATED_AFTER_RETRY,
        Code.TEXT_MISMATCH,
        Code.TOOL_CALL_MISMATCH,
        Code.REFUSAL_DROPPED,
        Code.REFUSAL_AS_TEXT,
    }
)
"""Codes no contract may accept: each means the caller got less, more or other than the
server sent, or was told a failed call succeeded."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def type_names(value: Any) -> tuple[str, ...]:
    """Exception types (classes or ``module.Qualname`` strings) as qualified names."""
    items = [value] if isinstance(value, str | type) else list(value or ())
    return tuple(_qualname(item) for item in items)


def _qualname(item: Any) -> str:
    if isinstance(item, type):
        return f"{item.__module__}.{item.__qualname__}"
    if isinstance(item, str) and item:
        return item
    raise ValueError(f"an exception type or its qualified name, got {item!r}")


class RetryRules(_Frozen):
    """When the adapter retries, and how long it waits."""

    statuses: frozenset[int] = Field(
        PROTOCOL_RETRYABLE, description="HTTP statuses the adapter retries."
    )
    final_statuses: frozenset[int] = Field(
        PROTOCOL_FINAL, description="HTTP statuses the adapter never retries."
    )
    max_attempts: int = Field(
        12, ge=1, description="Most requests for one call (first one included)."
    )
    retry_after_cap: float | None = Field(
        None,
        gt=0,
        description="Retry-After is honoured up to this many seconds; a longer one is waited "
        "only up to the cap (or the adapter gives up). None: honoured in full.",
    )
    min_backoff: float = Field(
        0.1, ge=0, description="Least wait before retrying a status without Retry-After."
    )
    drop_before_first_event: int = Field(
        0, ge=0, description="Re-sends after a connection dropped before the first event."
    )
    empty_reply: int = Field(
        0, ge=0, description="Re-sends after an empty reply (no bytes, or a lone terminator)."
    )
    broken_stream: int = Field(
        0,
        ge=0,
        description="Re-sends after a stream that broke after output began (cut, malformed "
        "event, in-stream error).",
    )

    @model_validator(mode="after")
    def _disjoint(self) -> RetryRules:
        both = sorted(self.statuses & self.final_statuses)
        if both:
            raise ValueError(f"statuses {both} are declared both retried and final")
        return self


class ErrorTaxonomy(_Frozen):
    """The adapter's exception types and the kind of failure each means.

    Once any type is declared, an exception of an undeclared type reaching the caller is a
    finding of its own (``error-type-undeclared``), naming the type. ``throttling`` lists
    the types a rate limit must surface as: a 429 reaching the caller as anything else is
    ``throttling-type-mismatch``.
    """

    types: Mapping[str, ErrorKind | None] = Field(
        default_factory=dict,
        description="Exception type (class or qualified name) -> kind; subclasses match. "
        "None declares the type and leaves its kind to harness (read from its status or "
        "code): for a base class that carries the HTTP status.",
    )
    throttling: tuple[str, ...] = Field(
        (), description="Types a rate limit (HTTP 429) must surface as."
    )

    @field_validator("types", mode="before")
    @classmethod
    def _type_keys(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {_qualname(k): v for k, v in value.items()}
        return value

    @field_validator("throttling", mode="before")
    @classmethod
    def _throttling_names(cls, value: Any) -> tuple[str, ...]:
        return type_names(value)

    @property
    def declared(self) -> bool:
        return bool(self.types or self.throttling)

    def match(self, exc: BaseException) -> tuple[str, ErrorKind | None] | None:
        """The declared name ``exc`` is an instance of and its kind (the most derived)."""
        for cls in type(exc).__mro__:
            name = f"{cls.__module__}.{cls.__qualname__}"
            if name in self.throttling:
                return name, "rate_limit"
            if name in self.types:
                return name, self.types[name]
        return None


class StreamEnd(_Frozen):
    """End-of-stream rules the adapter claims."""

    lone_terminator: Literal["error", "empty-stop"] = Field(
        "error",
        description="A 200 stream with only the terminator: a protocol error, or an empty "
        "reply that finished with stop.",
    )


class Features(_Frozen):
    """What the adapter passes on to its caller. Scenarios that need a missing feature are
    n/a; output a missing feature would carry is not compared."""

    reasoning: bool = True
    usage: bool = True
    non_streaming: bool = True
    tool_calls: bool = True
    parallel_tool_calls: bool = True
    multiple_choices: bool = Field(
        True,
        description="Several choices of one reply (OpenAI chat's n) are kept apart; False: "
        "the adapter asks for and reads one choice only.",
    )
    tool_call_ids: bool = Field(
        True,
        description="Tool calls reach the caller with their ids; False: the adapter hands "
        "back a call's arguments as an object (structured output), which has no id to "
        "match a tool result to, so ids are not compared.",
    )
    tool_calls_finish: bool = Field(
        True,
        description="A reply that ends in tool calls is reported with the tool_calls finish "
        "even on a wire whose own end says only that the reply completed (its dialect's "
        "finish_names_tool_calls is False: OpenAI Responses' status completed, Gemini's "
        "STOP, Ollama's stop); False: the adapter reports that completion as stop there, "
        "and stop is taken for tool_calls on such a wire only.",
    )


class Contract(_Frozen):
    """Everything an adapter declares; the defaults are the provider's protocol."""

    retry: RetryRules = Field(default_factory=RetryRules)
    errors: ErrorTaxonomy = Field(default_factory=ErrorTaxonomy)
    stream_end: StreamEnd = Field(default_factory=StreamEnd)
    features: Features = Field(default_factory=Features)
    accepts: frozenset[str] = Field(
        frozenset(),
        description="Finding codes the adapter documents as its choice (not data loss).",
    )
    source: str = Field("", description="Where the declared facts are documented.")

    @field_validator("accepts")
    @classmethod
    def _no_data_loss(cls, value: frozenset[str]) -> frozenset[str]:
        lost = sorted(value & DATA_LOSS)
        if lost:
            raise ValueError(
                f"a contract cannot accept {lost}: each is data loss (the caller gets less, "
                "more or other than the server sent, or a failure reported as success)"
            )
        return value

    def deviations(self) -> list[str]:
        """Every way this contract relaxes or changes the protocol defaults, one line each
        (worked out once per contract: every cell of its driver reports them)."""
        entry = _deviations.get(id(self))
        if entry is None or entry[0] is not self:
            if len(_deviations) >= 64:  # contracts made on the fly (a driver's default)
                _deviations.clear()
            entry = _deviations[id(self)] = (self, tuple(self._work_out_deviations()))
        return list(entry[1])

    def _work_out_deviations(self) -> list[str]:
        out: list[str] = []
        r, d = self.retry, RetryRules()
        if r.statuses != d.statuses:
            not_retried = sorted(d.statuses - r.statuses)
            extra = sorted(r.statuses - d.statuses)
            if not_retried:
                out.append(f"does not retry HTTP {_join(not_retried)}")
            if extra:
                out.append(f"also retries HTTP {_join(extra)}")
        not_final = d.final_statuses - r.final_statuses - r.statuses  # retried: said above
        if not_final:
            out.append(f"does not treat HTTP {_join(sorted(not_final))} as final")
        if r.max_attempts != d.max_attempts:
            out.append(f"at most {r.max_attempts} attempt(s) per call")
        if r.retry_after_cap is not None:
            out.append(f"honours Retry-After up to {r.retry_after_cap:g} s")
        if r.min_backoff != d.min_backoff:
            out.append(f"backs off at least {r.min_backoff:g} s")
        for name, label in (
            ("drop_before_first_event", "a connection dropped before the first event"),
            ("empty_reply", "an empty reply"),
            ("broken_stream", "a stream broken after output began"),
        ):
            if getattr(r, name):
                out.append(f"re-sends up to {getattr(r, name)} time(s) after {label}")
        if self.errors.types:
            out.append(f"error taxonomy: {len(self.errors.types)} declared type(s)")
        if self.errors.throttling:
            out.append(f"throttling surfaces as {' or '.join(self.errors.throttling)}")
        if self.stream_end.lone_terminator == "empty-stop":
            out.append("a lone stream terminator is an empty reply finished with stop")
        missing = [k for k, v in self.features.model_dump().items() if not v]
        if missing:
            out.append(f"no {', no '.join(m.replace('_', ' ') for m in missing)}")
        if self.accepts:
            out.append(f"accepts {', '.join(sorted(self.accepts))}")
        return out

    def not_supported(self, scenario: Scenario) -> str | None:
        """Why a scenario needs a feature the contract says the adapter lacks, or None."""
        f = self.features
        replies = scenario.replies()
        calls = [sum(isinstance(p, ToolCallPart) for p in r.parts) for r in replies]
        if not f.non_streaming and not scenario.request.stream:
            return "the adapter's contract: no non-streaming calls"
        if not f.tool_calls and (any(calls) or scenario.request.tools):
            return "the adapter's contract: no tool calls"
        if not f.parallel_tool_calls and any(n > 1 for n in calls):
            return "the adapter's contract: no parallel tool calls"
        if not f.multiple_choices and any(r.wire.choices > 1 for r in replies):
            return "the adapter's contract: one choice per reply (no n > 1)"
        return None

    def repeats(self, scenario: Scenario) -> int:
        """How often the replay serves the last scripted attempt again: the re-sends the
        contract declares for the way the scenario's last reply fails."""
        last = scenario.attempts[-1]
        if not isinstance(last, ReplyWrapper):
            return 0  # an error, a drop or raw bytes are served as scripted
        fault = last.reply.fault
        r = self.retry
        if fault is None:  # a reply with nothing in it is an empty reply too
            return r.empty_reply if not last.reply.parts else 0
        if fault.empty or fault.terminator_only:
            if fault.terminator_only and self.stream_end.lone_terminator == "empty-stop":
                return 0
            return r.empty_reply
        if fault.cut_after == 0:
            return r.drop_before_first_event
        if fault.cut_after is not None or fault.malformed_at is not None:
            return r.broken_stream
        if fault.error_payload is not None:
            return r.broken_stream
        return 0

    def classify(
        self, exc: BaseException, event: ErrorEvent, *, keep_kind: bool = False
    ) -> ErrorEvent:
        """``event`` (harness's or the driver's reading of ``exc``) with the declared type,
        and the declared kind unless ``keep_kind`` (a driver's own ``classify`` read this
        very exception) or the type declares none."""
        if not self.errors.declared:
            return event
        matched = self.errors.match(exc)
        if matched is None:
            return event.model_copy(update={"declared_type": None})
        name, kind = matched
        update: dict[str, object] = {"declared_type": name}
        if kind is not None and not keep_kind:
            update["error"] = kind
        return event.model_copy(update=update)


_deviations: dict[int, tuple[Contract, tuple[str, ...]]] = {}
"""Each contract's deviations, by identity (the contract kept with them, so its id is not
reused while the entry lives): contracts are frozen, and few (one per driver); the default
one made for a driver that declares none is made anew each time, hence the bound."""


def contract_of(driver: object) -> Contract:
    """The contract a driver declares (``driver.contract``), or the protocol's defaults."""
    declared = getattr(driver, "contract", None)
    return declared if isinstance(declared, Contract) else Contract()


def kind_of_status(status: int) -> ErrorKind:
    """The kind of failure an HTTP status means."""
    from harness.drivers.classify import status_error_kind

    return status_error_kind(status) or "unknown"


def leading_errors(scenario: Scenario) -> list[int]:
    """Statuses of the HTTP errors before the first reply."""
    out: list[int] = []
    for attempt in scenario.attempts:
        if not isinstance(attempt, ErrorAttempt):
            break
        out.append(attempt.error.status)
    return out


def _join(items: list[int]) -> str:
    return ", ".join(str(i) for i in items)
