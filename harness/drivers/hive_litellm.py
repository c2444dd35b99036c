"""aden-hive's ``LiteLLMProvider`` (``framework.llm.litellm``): ``stream()`` for streaming
scenarios, ``acomplete()`` for the others. This is the litellm-based provider with its
own 429, transient-error and empty-stream retries layered over litellm.

Environment: ``aden-hive==1.0.12`` pins ``litellm==1.83.4`` and patches litellm functions
for the whole process, so the driver declares ``environment`` and runs in a virtualenv and
process of its own (:mod:`harness.matrix.envs`).

Seam: ``LiteLLMProvider(model="openai/<model>", api_key=..., api_base=..., client=
openai.AsyncOpenAI(..., http_client=httpx.AsyncClient(transport=ctx.transport("httpx"))))``.
hive keeps unknown keyword arguments in ``extra_kwargs`` and spreads them into every
``litellm.acompletion`` call, and litellm sends with the client it is given, so nothing is
patched. litellm is prepared by :mod:`harness.drivers.litellm_hygiene`.

Retries, as shipped: hive retries a 429 up to 10 times (Retry-After honoured, capped at
120 s, short waits jittered up), a transient error (connection, 5xx) up to 3 times, and an
empty stream up to 3 times 1 s apart; it passes no ``max_retries``, so the OpenAI client
under litellm also retries twice inside each of hive's attempts. Its waits are
``asyncio.sleep``, which the runner's virtual loop turns into virtual time; the jitter
comes from the ``random`` module, seeded per scenario here so that two runs agree.
``ctx.options["max_retries"]`` is handed to litellm (the SDK layer) when set.

hive reports failures of ``stream()`` as a ``StreamErrorEvent`` carrying the exception's
text, not the exception: the error kind is read from its HTTP status, its ``error_type``
and the litellm class its text names (``litellm.InternalServerError: ...``). It reports
token counts as ``0`` when the server sent none, so ``0``/``0`` is read as "no usage".

hive writes request dumps under ``$HIVE_HOME`` (default ``~/.hive``): ``HOME`` and
``HIVE_HOME`` point at a private temporary directory while a run imports and drives it.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import random
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.classify import classify
from harness.drivers.common import (
    finish_event,
    message_tool_calls,
    openai_messages,
    tool_call_event,
)
from harness.drivers.contract import Contract, Features, RetryRules
from harness.scenario.model import Request
from harness.vocab.events import ErrorEvent, Event, ReasoningEvent, TextEvent, UsageEvent

__all__ = ["HiveEvents", "HiveLiteLLMDriver", "hive_request", "private_home", "response_events"]

STREAM_ERROR_TYPE = "framework.llm.stream_events.StreamErrorEvent"
"""``ErrorEvent.type`` for an error hive yielded as an event rather than raised."""

_LITELLM_CLASS = re.compile(r"^\s*litellm\.(\w+)\s*:")


class HiveLiteLLMDriver(DriverBase):
    """``framework.llm.litellm.LiteLLMProvider(...).stream(...)`` / ``.acomplete(...)``."""

    name: ClassVar[str] = "hive-litellm"
    dialect: ClassVar[str] = "openai-chat"
    requires: ClassVar[tuple[str, ...]] = ("framework", "litellm", "openai")
    extra: ClassVar[str] = "hive"
    environment: ClassVar[tuple[str, ...]] = ("aden-hive==1.0.12",)
    """Installed in a virtualenv of its own (see :mod:`harness.matrix.envs`)."""
    distributions: ClassVar[tuple[str, ...]] = ("aden-hive", "litellm", "openai", "httpx")
    # aden-hive 1.0.12, framework/llm/litellm.py (in the driver's environment):
    # - 573-574: EMPTY_STREAM_MAX_RETRIES = 3, 1 s apart; 3434-3472: an empty stream is
    #   re-sent up to 3 times, then the empty result is returned to the caller;
    # - 590: STREAM_TRANSIENT_MAX_RETRIES = 3; 1259-1299 `_is_stream_transient_error`:
    #   litellm APIConnectionError (a cut), InternalServerError (an in-stream server_error),
    #   BadGateway, ServiceUnavailable are transient; 3575: re-sent up to 3 times, also after
    #   output began;
    # - 351-353: a 429 is retried up to RATE_LIMIT_MAX_RETRIES = 10 times, Retry-After
    #   honoured up to RATE_LIMIT_MAX_DELAY = 120 s (1169-1199 `_parse_retry_after`).
    # Its attempts are not declared above the protocol's 12: hive documents 10 retries; the
    # OpenAI client's own 2 retries nested inside each are not a documented choice.
    # One choice per call: acomplete() builds one LLMResponse from choices[0] (1939) and
    # stream() reads chunk.choices[0] of every chunk (3128); hive never asks for n.
    contract: ClassVar[Contract] = Contract(
        retry=RetryRules(
            retry_after_cap=120,
            empty_reply=3,
            broken_stream=3,
            drop_before_first_event=3,
        ),
        features=Features(multiple_choices=False),
        source="aden-hive 1.0.12 framework/llm/litellm.py:351-353,573-590,1259-1299,1939,"
        "3128,3434,3575",
    )

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        with private_home():
            _litellm_env.load_litellm()
            import httpx
            import openai
            from framework.llm.litellm import LiteLLMProvider  # type: ignore[import-not-found]
            from framework.llm.provider import Tool  # type: ignore[import-not-found]

            _litellm_env.flush_clients()
            random.seed(ctx.scenario.id)
            request = ctx.scenario.request
            api_base = ctx.base_url + "/v1"
            messages, system = hive_request(request)
            tools = [Tool(t.name, t.description, dict(t.parameters)) for t in request.tools]
            try:
                async with httpx.AsyncClient(transport=ctx.transport("httpx")) as http:
                    extra: dict[str, Any] = {
                        "client": openai.AsyncOpenAI(
                            base_url=api_base, api_key=ctx.api_key, http_client=http
                        )
                    }
                    if "max_retries" in ctx.options:
                        extra["max_retries"] = ctx.options["max_retries"]
                    provider = LiteLLMProvider(
                        model=f"openai/{request.model}",
                        api_key=ctx.api_key,
                        api_base=api_base,
                        **extra,
                    )
                    call: dict[str, Any] = {
                        "messages": messages,
                        "system": system,
                        "tools": tools or None,
                        "max_tokens": request.max_tokens,
                    }
                    if not request.stream:
                        for event in response_events(await provider.acomplete(**call)):
                            yield event
                        return
                    mapper = HiveEvents()
                    async for item in provider.stream(**call):
                        for event in mapper.feed(item):
                            yield event
            finally:
                await _litellm_env.settle()


def hive_request(request: Request) -> tuple[list[dict[str, Any]], str]:
    """``(messages, system)``: hive takes the system prompt apart from the conversation."""
    messages = openai_messages(request)
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    return [m for m in messages if m["role"] != "system"], system


class HiveEvents:
    """Maps hive ``StreamEvent`` dataclasses (told apart by ``type``) to events.

    Text and reasoning deltas as they come; a ``tool_call`` is already assembled and
    parsed by hive; ``finish`` carries the usage (emitted just before it); ``error`` is a
    failure hive reports instead of raising. ``text_end``, ``reasoning_start`` and
    ``tool_result`` repeat or add nothing. hive yields ``finish`` last, so nothing is held.
    """

    def feed(self, item: Any) -> list[Event]:
        kind = getattr(item, "type", None)
        if kind == "text_delta":
            text = getattr(item, "content", "")
            return [TextEvent(text=text)] if text else []
        if kind == "reasoning_delta":
            text = getattr(item, "content", "")
            return [ReasoningEvent(text=text)] if text else []
        if kind == "tool_call":
            return [
                tool_call_event(
                    getattr(item, "tool_use_id", None),
                    getattr(item, "tool_name", None),
                    getattr(item, "tool_input", None),
                )
            ]
        if kind == "finish":
            events: list[Event] = []
            usage = _usage(item)
            if usage is not None:
                events.append(usage)
            events.append(finish_event(str(getattr(item, "stop_reason", "") or "")))
            return events
        if kind == "error":
            return [stream_error_event(item)]
        return []


def stream_error_event(item: Any) -> ErrorEvent:
    """The terminal event for a hive ``StreamErrorEvent``.

    The kind comes from what the event still knows of the exception: its upstream status,
    hive's ``error_type`` (``rate_limit``) and the litellm class named in its text, read by
    the same rules as a raised exception (:func:`harness.drivers.classify.classify`).
    """
    text = str(getattr(item, "error", "") or "")
    status = getattr(item, "upstream_status", None)
    status = status if isinstance(status, int) and not isinstance(status, bool) else None
    exc = _stand_in(text)
    if status is not None:
        exc.status_code = status  # type: ignore[attr-defined]
    event = classify(exc)
    if event.error == "unknown" and getattr(item, "error_type", None) == "rate_limit":
        event = event.model_copy(update={"error": "rate_limit"})
    return event.model_copy(update={"type": STREAM_ERROR_TYPE, "leaked": False})


_TRANSPORT_MESSAGES = (
    (
        re.compile("peer closed connection without sending complete message body"),
        "RemoteProtocolError",
    ),
    (re.compile("The read operation timed out"), "ReadTimeout"),
    (
        re.compile(
            r"Unterminated string|Expecting (value|property name|',' delimiter|':' delimiter)"
            r"|Extra data|Invalid control character"
        ),
        "JSONDecodeError",
    ),
)
"""The messages of the errors a broken wire gives (the HTTP library's, ``json``'s): hive
keeps only the text, and these name the failure when no class does."""


def _stand_in(text: str) -> Exception:
    """Exceptions named like the classes the text names, each wrapping the next
    (``litellm.MidStreamFallbackError: litellm.APIConnectionError: ...``) down to the wire
    failure its message names, so the kind is read by the same rules as a raised chain: a
    wrapper's kind only as a fallback. When the message names no wire failure (an in-stream
    error's text), the outermost class and the status decide, as hive reports them."""
    names: list[str] = []
    rest = text
    while (named := _LITELLM_CLASS.match(rest)) is not None:
        names.append(named.group(1))
        rest = rest[named.end() :]
    inner = next((cls for pattern, cls in _TRANSPORT_MESSAGES if pattern.search(rest)), None)
    if inner is None:
        names = names[:1]  # what broke is the server's message: the outer class and status
    else:
        names.append(inner)
    classes: list[type[Exception]] = [
        type(name, (Exception,), {}) for name in names or ["HiveReportedError"]
    ]
    chain = [cls(text) for cls in classes]
    for outer, wrapped in itertools.pairwise(chain):
        outer.__cause__ = wrapped
    return chain[0]


def response_events(response: Any) -> list[Event]:
    """Events of hive's ``LLMResponse`` from ``acomplete()``.

    Content, stop reason and token counts are its own fields; tool calls live only on
    ``raw_response`` (litellm's ``ModelResponse``), where hive's own callers read them.
    """
    events: list[Event] = []
    content = getattr(response, "content", "") or ""
    if content:
        events.append(TextEvent(text=content))
    raw = getattr(response, "raw_response", None)
    choices = getattr(raw, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    events.extend(message_tool_calls(message))
    usage = _usage(response)
    if usage is not None:
        events.append(usage)
    reason = getattr(response, "stop_reason", "") or ""
    if reason:
        events.append(finish_event(str(reason)))
    return events


def _usage(obj: Any) -> UsageEvent | None:
    """Usage from hive's token fields; ``0``/``0`` is hive's "the server sent none"."""
    counts = [
        getattr(obj, name, 0) or 0
        for name in ("input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens")
    ]
    if not isinstance(counts[0], int) or not isinstance(counts[1], int):
        return None
    if counts[0] == 0 and counts[1] == 0:
        return None
    return UsageEvent(
        input=counts[0],
        output=counts[1],
        cache_read=counts[2] or None,
        cache_write=counts[3] or None,
    )


_home: Path | None = None


@contextlib.contextmanager
def private_home() -> Iterator[Path]:
    """``HOME`` and ``HIVE_HOME`` in a temporary directory for the block, then restored.

    One directory per process (hive fixes ``HIVE_HOME`` when first imported), removed when
    the process exits.
    """
    global _home
    if _home is None:
        _home = Path(tempfile.mkdtemp(prefix="harness-hive-home-"))
        atexit.register(shutil.rmtree, _home, True)
    saved = {name: os.environ.get(name) for name in ("HOME", "HIVE_HOME")}
    os.environ["HOME"] = str(_home)
    os.environ["HIVE_HOME"] = str(_home / ".hive")
    try:
        yield _home
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
