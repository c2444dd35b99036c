"""Turn whatever exception an adapter raised into the terminal ``ErrorEvent``.

Adapters name their errors differently (``openai.RateLimitError``,
``litellm.exceptions.RateLimitError``, strands' ``ModelThrottledException``, a bare
``httpx.RemoteProtocolError``); checks compare one vocabulary, :data:`ErrorKind`. The kind
comes from, in order:

1. the class hierarchy for failures whose status code is not the server's (a context
   window overflow is a 400; litellm gives every ``APIConnectionError`` a made-up 500),
2. the HTTP status the exception carries (``status_code``, ``status`` or
   ``response.status_code``),
3. the provider's error ``code``/``type`` (an error event inside a 200 stream has no
   status, only ``{"error": {"type": "server_error"}}``; botocore's ``Error.Code``, an
   AWS event-stream exception's ``throttlingException``),
4. the other class names in the hierarchy,
5. the same steps on what it wraps (``original_exception``, ``__cause__``,
   ``__context__``), only to refine an ``unknown`` or a catch-all wrapper's kind (see
   :func:`error_kind`).

``type`` and ``leaked`` always describe the exception the adapter raised, never a cause:
a raw ``httpx``/``httpx2``/``httpcore`` exception escaping an adapter is a finding
(invariant 8), whatever it wraps.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.scenario.model import ErrorKind
from harness.vocab.events import ErrorEvent

__all__ = [
    "MESSAGE_LIMIT",
    "classify",
    "code_kind",
    "error_kind",
    "kind_signs",
    "status_error_kind",
    "status_of",
]

MESSAGE_LIMIT = 300
"""Characters of the exception message kept in the event."""

_LEAKY_PACKAGES = frozenset({"httpx", "httpx2", "httpcore", "h11", "h2", "aiohttp"})
"""Transport libraries whose exceptions an adapter should wrap in its own typed errors."""

# Classes whose status code (if any) does not say what happened: checked first.
_BEFORE_STATUS: tuple[tuple[ErrorKind, frozenset[str]], ...] = (
    (
        "context_window",
        frozenset({"ContextWindowExceededError", "ContextWindowOverflowException"}),
    ),
    (
        "timeout",
        frozenset(
            {
                "APITimeoutError",
                "Timeout",
                "TimeoutError",
                "TimeoutException",
                "ReadTimeout",
                "ConnectTimeout",
                "WriteTimeout",
                "PoolTimeout",
                "ServerTimeoutError",
            }
        ),
    ),
    (
        "protocol",
        frozenset(
            {
                "APIConnectionError",
                "RemoteProtocolError",
                "LocalProtocolError",
                "ProtocolError",
                "ReadError",
                "WriteError",
                "ConnectError",
                "NetworkError",
                "TransportError",
                "DecodingError",
                "StreamError",
                "IncompleteRead",
                "ChunkedEncodingError",
                "ClientPayloadError",
                "ServerDisconnectedError",
                "JSONDecodeError",
                "APIResponseValidationError",
                # botocore: an AWS event-stream frame that does not decode (bad CRC, bad
                # lengths), a response body its parser cannot read
                "ParserError",
                "ResponseParserError",
            }
        ),
    ),
)

# Classes that name a kind when no status code said it.
_AFTER_STATUS: tuple[tuple[ErrorKind, frozenset[str]], ...] = (
    ("rate_limit", frozenset({"RateLimitError", "ModelThrottledException", "ThrottlingException"})),
    ("auth", frozenset({"AuthenticationError", "PermissionDeniedError"})),
    ("not_found", frozenset({"NotFoundError"})),
    ("bad_request", frozenset({"BadRequestError", "UnprocessableEntityError"})),
    (
        "server",
        frozenset(
            {
                "InternalServerError",
                "ServiceUnavailableError",
                "BadGatewayError",
                "OverloadedError",
            }
        ),
    ),
)

_WRAPPERS = frozenset({"APIConnectionError", "MidStreamFallbackError"})
"""Classes whose kind is only a fallback for the kind of what they wrap."""

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})

# Provider error ``type``/``code`` strings (OpenAI, Anthropic), for errors without a status:
# an error event inside a 200 stream carries only these.
_ERROR_TYPES: dict[str, ErrorKind] = {
    "server_error": "server",
    "api_error": "server",
    "overloaded_error": "server",
    "service_unavailable": "server",
    "rate_limit_error": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "insufficient_quota": "rate_limit",
    "authentication_error": "auth",
    "invalid_api_key": "auth",
    "permission_error": "auth",
    "not_found_error": "not_found",
    "model_not_found": "not_found",
    "invalid_request_error": "bad_request",
    "request_too_large": "bad_request",
    # AWS error codes (botocore's ``Error.Code``: an HTTP error's x-amzn-errortype, or an
    # event-stream exception's :exception-type, which has no status)
    "ThrottlingException": "rate_limit",
    "throttlingException": "rate_limit",
    "ServiceUnavailableException": "server",
    "serviceUnavailableException": "server",
    "InternalServerException": "server",
    "internalServerException": "server",
    "ModelErrorException": "server",
    "modelStreamErrorException": "server",
    "ModelTimeoutException": "timeout",
    "modelTimeoutException": "timeout",
    "ValidationException": "bad_request",
    "validationException": "bad_request",
    "AccessDeniedException": "auth",
    "ResourceNotFoundException": "not_found",
}


def code_kind(code: str) -> ErrorKind | None:
    """The error kind a provider's error code or type names (``rate_limit_exceeded``,
    ``server_error``...), or None when it names none harness knows."""
    return _ERROR_TYPES.get(code)


def kind_signs(kind: ErrorKind) -> tuple[frozenset[str], frozenset[int], frozenset[str]]:
    """What names ``kind`` in an exception (or one it wraps): the class names, the HTTP
    statuses and the provider's error codes/types that :func:`error_kind` reads as it."""
    names = frozenset().union(
        *(known for k, known in (*_BEFORE_STATUS, *_AFTER_STATUS) if k == kind)
    )
    statuses = frozenset(s for s in range(100, 600) if status_error_kind(s) == kind)
    codes = frozenset(c for c, k in _ERROR_TYPES.items() if k == kind)
    if kind == "context_window":
        codes |= _CONTEXT_CODES
    return names, statuses, codes


def classify(exc: BaseException) -> ErrorEvent:
    """The terminal error event for ``exc``, as raised by the adapter."""
    cls = type(exc)
    status = status_of(exc)
    return ErrorEvent(
        error=error_kind(exc),
        type=f"{cls.__module__}.{cls.__qualname__}",
        message=_shorten(str(exc) or cls.__name__),
        status=status,
        leaked=cls.__module__.partition(".")[0] in _LEAKY_PACKAGES,
    )


def error_kind(exc: BaseException) -> ErrorKind:
    """The kind of ``exc``; what it wraps is consulted only when it says nothing precise.

    Catch-all wrappers (an ``APIConnectionError`` is "the call broke somehow"; litellm's
    ``MidStreamFallbackError`` is a 503-shaped wrapper of whatever broke a stream) give
    their kind only as a fallback: the innermost link with a kind of its own decides, so
    litellm's ``APIConnectionError`` around an ``httpx.RemoteProtocolError`` is ``protocol``
    and around an in-stream ``server_error`` is ``server``.
    """
    fallback: ErrorKind = "unknown"
    for link in _links(exc):
        kind = _own_kind(link)
        if kind == "unknown":
            continue
        if not _is_wrapper(link):
            return kind
        fallback = kind
    return fallback


def status_of(exc: BaseException) -> int | None:
    """The HTTP status ``exc`` carries, if it carries one as an int: its ``status_code``
    or ``status``, else an HTTP-range ``code`` of its own (google-genai's ``APIError``: an
    error inside a 200 stream carries the error's code, while its response says 200),
    else its response's."""
    for attr in ("status_code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    code = getattr(exc, "code", None)
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    try:
        response = getattr(exc, "response", None)
    except Exception:  # httpx raises RuntimeError for an unset .request/.response
        return None
    value = getattr(response, "status_code", None)
    if isinstance(response, dict):  # botocore's ClientError: the parsed response
        value = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _own_kind(exc: BaseException) -> ErrorKind:
    names = {c.__name__ for c in type(exc).__mro__}
    if _code_of(exc) in _CONTEXT_CODES:
        return "context_window"
    for kind, known in _BEFORE_STATUS:
        if names & known:
            return kind
    status = status_of(exc)
    if status is not None:
        by_status = status_error_kind(status)
        if by_status is not None:
            return by_status
    for label in (_code_of(exc), _error_field(exc, "type")):
        if label in _ERROR_TYPES:
            return _ERROR_TYPES[label]
    for kind, known in _AFTER_STATUS:
        if names & known:
            return kind
    return "unknown"


def status_error_kind(status: int) -> ErrorKind | None:
    """The error kind an HTTP status names, or None when it names none (409, 3xx)."""
    if status == 429:
        return "rate_limit"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status in (400, 413, 422):
        return "bad_request"
    if status == 408:
        return "timeout"
    if 500 <= status <= 599:
        return "server"
    return None


def _code_of(exc: BaseException) -> str | None:
    """The provider's error code (``context_length_exceeded``...), from the exception or body."""
    return _error_field(exc, "code")


def _error_field(exc: BaseException, name: str) -> str | None:
    """``exc.<name>`` if a string, else ``<name>`` in the error body the exception carries."""
    value = getattr(exc, name, None)
    if not isinstance(value, str):
        body = getattr(exc, "body", None)
        inner = body.get("error", body) if isinstance(body, dict) else None
        value = inner.get(name) if isinstance(inner, dict) else None
    if not isinstance(value, str) and name == "code":  # botocore: response["Error"]["Code"]
        response = getattr(exc, "response", None)
        error = response.get("Error") if isinstance(response, dict) else None
        value = error.get("Code") if isinstance(error, dict) else None
    return value if isinstance(value, str) else None


def _is_wrapper(exc: BaseException) -> bool:
    return bool({c.__name__ for c in type(exc).__mro__} & _WRAPPERS)


def _links(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what it wraps (``original_exception``, causes, contexts), each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        link = pending.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        wrapped = (getattr(link, "original_exception", None), link.__cause__, link.__context__)
        pending.extend(e for e in wrapped if isinstance(e, BaseException))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MESSAGE_LIMIT:
        return text
    return text[: MESSAGE_LIMIT - 1] + "…"
