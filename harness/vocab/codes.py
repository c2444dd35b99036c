"""Finding codes: every code a check, the runner or the matrix can report, declared once.

A finding's ``code`` is a :class:`Code` member wherever harness makes one (so a typo is a
type error, not a new code), and :mod:`harness.checks.catalogue` explains each member (a
test keeps the two equal). Members are ``str`` values: JSON, JUnit and Markdown output
spell them exactly as the catalogue does.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Code"]


class Code(StrEnum):
    """A stable finding code (``harness explain CODE`` says why it is wrong and the fix)."""

    def __repr__(self) -> str:
        """As the string: messages that quote a code (``{code!r}``) read as they always did."""
        return repr(self.value)

    RETRY_AFTER_IGNORED = "retry-after-ignored"
    RETRY_WITHOUT_BACKOFF = "retry-without-backoff"
    RETRY_STORM = "retry-storm"
    NON_RETRYABLE_RETRIED = "non-retryable-retried"
    RETRY_MISSING = "retry-missing"
    EXTRA_REQUESTS = "extra-requests"
    OUTPUT_REPEATED_AFTER_RETRY = "output-repeated-after-retry"
    TRUNCATED_STREAM_ACCEPTED = "truncated-stream-accepted"
    EMPTY_STREAM_ACCEPTED = "empty-stream-accepted"
    STREAM_ERROR_SWALLOWED = "stream-error-swallowed"
    MALFORMED_EVENT_ACCEPTED = "malformed-event-accepted"
    STALL_NOT_DETECTED = "stall-not-detected"
    STREAM_BUFFERED = "stream-buffered"
    ERROR_SWALLOWED = "error-swallowed"
    FAILED_RUN_REPORTED_AS_SUCCESS = "failed-run-reported-as-success"
    INCOMPLETE_REPORTED_AS_SUCCESS = "incomplete-reported-as-success"
    INCOMPLETE_REPORTED_AS_GENERIC_ERROR = "incomplete-reported-as-generic-error"
    NO_TERMINAL_EVENT = "no-terminal-event"
    MULTIPLE_TERMINAL_EVENTS = "multiple-terminal-events"
    EVENTS_AFTER_TERMINAL = "events-after-terminal"
    UNEXPECTED_ERROR = "unexpected-error"
    ERROR_KIND_MISMATCH = "error-kind-mismatch"
    TRANSPORT_ERROR_LEAKED = "transport-error-leaked"
    TEXT_MISMATCH = "text-mismatch"
    REASONING_MISMATCH = "reasoning-mismatch"
    SSE_DATA_WITHOUT_SPACE_DROPPED = "sse-data-without-space-dropped"
    SSE_LINE_SPLIT_ON_UNICODE_SEPARATOR = "sse-line-split-on-unicode-separator"
    RECHUNK_CHANGED_OUTPUT = "rechunk-changed-output"
    TOOL_CALL_DROPPED = "tool-call-dropped"
    TOOL_CALL_MISMATCH = "tool-call-mismatch"
    TOOL_CALL_EXTRA = "tool-call-extra"
    TOOL_ARGS_INVALID = "tool-args-invalid"
    TOOL_ARGS_FRAGMENT_LOST = "tool-args-fragment-lost"
    TOOL_CALL_ID_MISSING = "tool-call-id-missing"
    TOOL_CALL_ID_DUPLICATE = "tool-call-id-duplicate"
    USAGE_MISSING = "usage-missing"
    USAGE_WRONG = "usage-wrong"
    USAGE_REPEATED = "usage-repeated"
    USAGE_NEGATIVE = "usage-negative"
    FINISH_MISMATCH = "finish-mismatch"
    ERROR_TYPE_UNDECLARED = "error-type-undeclared"
    THROTTLING_TYPE_MISMATCH = "throttling-type-mismatch"
    REQUEST_MISMATCH = "request-mismatch"
    STREAM_NOT_CLOSED = "stream-not-closed"
    TASK_LEAKED = "task-leaked"
    SSE_MULTILINE_DATA_MISHANDLED = "sse-multiline-data-mishandled"
    SSE_EXTRA_FIELDS_MISHANDLED = "sse-extra-fields-mishandled"
    SSE_UNKNOWN_EVENT_MISHANDLED = "sse-unknown-event-mishandled"
    SSE_COMMENT_MISHANDLED = "sse-comment-mishandled"
    SSE_BOM_MISHANDLED = "sse-bom-mishandled"
    SSE_UNTERMINATED_EVENT_DISPATCHED = "sse-unterminated-event-dispatched"
    SSE_LINE_ENDING_MISHANDLED = "sse-line-ending-mishandled"
    SSE_CRLF_SPLIT_MISHANDLED = "sse-crlf-split-mishandled"
    TOOL_CALL_INDEX_REUSED_MISHANDLED = "tool-call-index-reused-mishandled"
    CHAT_ROLE_ONLY_CHUNK_MISHANDLED = "chat-role-only-chunk-mishandled"
    CHAT_EMPTY_DELTA_MISHANDLED = "chat-empty-delta-mishandled"
    PING_EVENT_MISHANDLED = "ping-event-mishandled"
    TOOL_ARGS_DONE_IGNORED = "tool-args-done-ignored"
    CHAT_FUNCTION_CALL_MISHANDLED = "chat-function-call-mishandled"
    CHAT_CHOICES_INTERLEAVED = "chat-choices-interleaved"
    REFUSAL_DROPPED = "refusal-dropped"
    REFUSAL_AS_TEXT = "refusal-as-text"
    REFUSAL_MISMATCH = "refusal-mismatch"
    EMPTY_TEXT_EVENT = "empty-text-event"
    TOOL_ARGS_NOT_JOINED = "tool-args-not-joined"
    RETRY_WAIT_UNBOUNDED = "retry-wait-unbounded"
    TRANSCRIPT_SCHEMA = "transcript-schema"
    SETUP_OWN_TRANSPORT = "setup-own-transport"
    SETUP_STALE_CLIENT = "setup-stale-client"
    SETUP_DRIVER_ERROR = "setup-driver-error"
    SETUP_DECLARATION = "setup-declaration"
    SETUP_NOT_INSTALLED = "setup-not-installed"
    SETUP_ENVIRONMENT = "setup-environment"
    SETUP_WORKER_CRASHED = "setup-worker-crashed"
    SETUP_HARNESS_ERROR = "setup-harness-error"
    ADAPTER_HUNG = "adapter-hung"
