"""What a finding costs the application that calls the adapter: its impact, one of a small
fixed vocabulary, so the board (``docs/matrix.md``) can rank the findings of a library
and a maintainer sees at a glance which ones lose data and which ones are hygiene.

``severity`` (error / warning) says whether a finding fails a cell; the impact says what
the caller suffers when it does. Setup codes (``setup-*``) are harness's failures, not
the adapter's, and have none.
"""

from __future__ import annotations

from typing import Literal

from harness.vocab.codes import Code

__all__ = ["IMPACTS", "IMPACT_MEANING", "Impact", "impact_of"]

Impact = Literal["data-loss", "silent-failure", "hang", "wrong-result", "cost", "hygiene"]

IMPACT_MEANING: dict[Impact, str] = {
    "data-loss": "content the server sent (text, reasoning, tool calls, a refusal, usage) "
    "never reaches the caller, or reaches it altered",
    "silent-failure": "a failed, cut, empty or incomplete reply reaches the caller as a "
    "normal one, so nothing retries it or tells the user",
    "hang": "the caller is blocked far longer than the wire requires (a day-long sleep, a "
    "stream that never ends, tokens held back until the end)",
    "wrong-result": "the caller gets a wrong value or the wrong error (finish reason, usage, "
    "error kind or class, an error on a good reply) and acts on it",
    "cost": "the adapter sends requests it should not (early, repeated or final-error "
    "retries): quota and money spent, throttling provoked",
    "hygiene": "nothing the caller sees is wrong, but resources or events are left behind "
    "(an unclosed stream, a leaked task, an empty event)",
}
"""Each impact, and why a finding belongs to it."""

_BY_IMPACT: dict[Impact, tuple[Code, ...]] = {
    "data-loss": (
        Code.MALFORMED_EVENT_ACCEPTED,
        Code.TEXT_MISMATCH,
        Code.REASONING_MISMATCH,
        Code.SSE_DATA_WITHOUT_SPACE_DROPPED,
        Code.SSE_LINE_SPLIT_ON_UNICODE_SEPARATOR,
        Code.RECHUNK_CHANGED_OUTPUT,
        Code.TOOL_CALL_DROPPED,
        Code.TOOL_CALL_MISMATCH,
        Code.TOOL_ARGS_INVALID,
        Code.TOOL_ARGS_FRAGMENT_LOST,
        Code.TOOL_ARGS_NOT_JOINED,
        Code.TOOL_CALL_ID_MISSING,
        Code.USAGE_MISSING,
        Code.SSE_MULTILINE_DATA_MISHANDLED,
        Code.SSE_EXTRA_FIELDS_MISHANDLED,
        Code.SSE_UNKNOWN_EVENT_MISHANDLED,
        Code.SSE_COMMENT_MISHANDLED,
        Code.SSE_BOM_MISHANDLED,
        Code.SSE_LINE_ENDING_MISHANDLED,
        Code.SSE_CRLF_SPLIT_MISHANDLED,
        Code.TOOL_CALL_INDEX_REUSED_MISHANDLED,
        Code.CHAT_ROLE_ONLY_CHUNK_MISHANDLED,
        Code.CHAT_EMPTY_DELTA_MISHANDLED,
        Code.PING_EVENT_MISHANDLED,
        Code.TOOL_ARGS_DONE_IGNORED,
        Code.CHAT_FUNCTION_CALL_MISHANDLED,
        Code.CHAT_CHOICES_INTERLEAVED,
        Code.REFUSAL_DROPPED,
        Code.REFUSAL_MISMATCH,
    ),
    "silent-failure": (
        Code.TRUNCATED_STREAM_ACCEPTED,
        Code.EMPTY_STREAM_ACCEPTED,
        Code.STREAM_ERROR_SWALLOWED,
        Code.STALL_NOT_DETECTED,
        Code.ERROR_SWALLOWED,
        Code.FAILED_RUN_REPORTED_AS_SUCCESS,
        Code.INCOMPLETE_REPORTED_AS_SUCCESS,
        Code.NO_TERMINAL_EVENT,
    ),
    "hang": (Code.RETRY_WAIT_UNBOUNDED, Code.ADAPTER_HUNG, Code.STREAM_BUFFERED),
    "wrong-result": (
        Code.RETRY_MISSING,
        Code.OUTPUT_REPEATED_AFTER_RETRY,
        Code.INCOMPLETE_REPORTED_AS_GENERIC_ERROR,
        Code.MULTIPLE_TERMINAL_EVENTS,
        Code.EVENTS_AFTER_TERMINAL,
        Code.UNEXPECTED_ERROR,
        Code.ERROR_KIND_MISMATCH,
        Code.TRANSPORT_ERROR_LEAKED,
        Code.TOOL_CALL_EXTRA,
        Code.TOOL_CALL_ID_DUPLICATE,
        Code.USAGE_WRONG,
        Code.USAGE_REPEATED,
        Code.USAGE_NEGATIVE,
        Code.FINISH_MISMATCH,
        Code.ERROR_TYPE_UNDECLARED,
        Code.THROTTLING_TYPE_MISMATCH,
        Code.REQUEST_MISMATCH,
        Code.SSE_UNTERMINATED_EVENT_DISPATCHED,
        Code.REFUSAL_AS_TEXT,
    ),
    "cost": (
        Code.RETRY_AFTER_IGNORED,
        Code.RETRY_WITHOUT_BACKOFF,
        Code.RETRY_STORM,
        Code.NON_RETRYABLE_RETRIED,
        Code.EXTRA_REQUESTS,
    ),
    "hygiene": (
        Code.STREAM_NOT_CLOSED,
        Code.TASK_LEAKED,
        Code.EMPTY_TEXT_EVENT,
        Code.TRANSCRIPT_SCHEMA,
    ),
}

IMPACTS: dict[Code, Impact] = {
    code: impact for impact, codes in _BY_IMPACT.items() for code in codes
}
"""Every finding code (not the ``setup-*`` ones) -> its impact; a test keeps it complete."""


def impact_of(code: str) -> Impact | None:
    """The impact of a finding code; None for setup codes and codes harness does not know."""
    try:
        return IMPACTS.get(Code(code))
    except ValueError:
        return None
