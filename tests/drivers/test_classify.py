"""classify(): real exception objects from openai, litellm, strands, httpx and httpx2."""

from __future__ import annotations

import importlib.util
import json
from typing import Any, get_args

import httpx
import pytest

from harness.drivers.classify import (
    MESSAGE_LIMIT,
    classify,
    error_kind,
    kind_signs,
    status_of,
)
from harness.scenario.model import ErrorKind

URL = "https://replay.harness.invalid/v1/chat/completions"


def _request() -> httpx.Request:
    return httpx.Request("POST", URL)


def _response(status: int, body: Any = None) -> httpx.Response:
    return httpx.Response(status, json=body or {"error": {"message": "x"}}, request=_request())


def _raised(exc: BaseException, *, cause: BaseException | None = None) -> BaseException:
    """``exc`` as it looks after ``raise exc from cause`` (with __cause__ and __context__)."""
    try:
        raise exc from cause
    except BaseException as caught:
        return caught


def _needs(module: str) -> Any:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install llm-adapter-harness[all])")
    if module == "litellm":
        from harness.drivers.litellm_hygiene import load_litellm

        return load_litellm()
    return importlib.import_module(module)


# --------------------------------------------------------------------------- openai


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("RateLimitError", 429, "rate_limit"),
        ("AuthenticationError", 401, "auth"),
        ("PermissionDeniedError", 403, "auth"),
        ("NotFoundError", 404, "not_found"),
        ("BadRequestError", 400, "bad_request"),
        ("UnprocessableEntityError", 422, "bad_request"),
        ("InternalServerError", 500, "server"),
        ("InternalServerError", 503, "server"),
        ("APIStatusError", 529, "server"),
        ("APIStatusError", 408, "timeout"),
        ("APIStatusError", 409, "unknown"),
        ("APIStatusError", 413, "bad_request"),
    ],
)
def test_openai_status_errors(name: str, status: int, kind: str) -> None:
    openai = _needs("openai")
    exc = getattr(openai, name)("boom", response=_response(status), body=None)
    event = classify(exc)
    assert (event.error, event.status, event.leaked) == (kind, status, False)
    assert event.type == f"openai.{name}"
    assert event.message == "boom"


def test_openai_context_length_code_beats_the_400() -> None:
    openai = _needs("openai")
    body = {
        "message": "too long",
        "type": "invalid_request_error",
        "code": "context_length_exceeded",
    }
    exc = openai.BadRequestError("too long", response=_response(400, {"error": body}), body=body)
    assert classify(exc).error == "context_window"


def test_openai_connection_and_timeout() -> None:
    openai = _needs("openai")
    cut = _raised(
        openai.APIConnectionError(request=_request()),
        cause=httpx.RemoteProtocolError("peer closed connection"),
    )
    assert (classify(cut).error, classify(cut).leaked) == ("protocol", False)
    timeout = _raised(openai.APITimeoutError(request=_request()), cause=httpx.ReadTimeout("t"))
    assert classify(timeout).error == "timeout"
    assert classify(openai.APITimeoutError(request=_request())).error == "timeout"


def test_openai_in_stream_error_has_no_status_but_a_type() -> None:
    openai = _needs("openai")
    exc = openai.APIError("boom", request=_request(), body={"type": "server_error"})
    event = classify(exc)
    assert (event.error, event.status, event.type) == ("server", None, "openai.APIError")


# --------------------------------------------------------------------------- litellm


def _litellm_error(litellm: Any, name: str, **extra: Any) -> BaseException:
    exc: BaseException = getattr(litellm, name)(
        message="boom", llm_provider="openai", model="gpt-4o-mini", **extra
    )
    return exc


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("RateLimitError", "rate_limit", 429),
        ("AuthenticationError", "auth", 401),
        ("NotFoundError", "not_found", 404),
        ("BadRequestError", "bad_request", 400),
        ("ContextWindowExceededError", "context_window", 400),
        ("Timeout", "timeout", 408),
        ("ServiceUnavailableError", "server", 503),
        ("InternalServerError", "server", 500),
        ("APIConnectionError", "protocol", 500),
    ],
)
def test_litellm_errors(name: str, kind: str, status: int) -> None:
    litellm = _needs("litellm")
    event = classify(_litellm_error(litellm, name))
    assert (event.error, event.status, event.leaked) == (kind, status, False)
    assert event.type == f"litellm.exceptions.{name}"


def test_litellm_api_error_takes_its_status() -> None:
    litellm = _needs("litellm")
    assert classify(_litellm_error(litellm, "APIError", status_code=502)).error == "server"
    assert classify(_litellm_error(litellm, "APIError", status_code=429)).error == "rate_limit"


def test_litellm_connection_error_is_refined_by_what_it_wraps() -> None:
    litellm = _needs("litellm")
    openai = _needs("openai")
    protocol = _raised(
        _litellm_error(litellm, "APIConnectionError"), cause=httpx.RemoteProtocolError("cut")
    )
    assert classify(protocol).error == "protocol"
    in_stream = openai.APIError("boom", request=_request(), body={"type": "server_error"})
    server = _raised(_litellm_error(litellm, "APIConnectionError"), cause=in_stream)
    assert classify(server).error == "server"
    bare = _raised(_litellm_error(litellm, "APIConnectionError"), cause=KeyError("x"))
    assert classify(bare).error == "protocol"


def test_litellm_mid_stream_fallback_takes_the_kind_of_the_original() -> None:
    litellm = _needs("litellm")
    original = _raised(
        _litellm_error(litellm, "APIConnectionError"), cause=httpx.RemoteProtocolError("cut")
    )
    exc = litellm.exceptions.MidStreamFallbackError(
        message="stream broke",
        model="gpt-4o-mini",
        llm_provider="openai",
        original_exception=original,
    )
    event = classify(exc)
    assert (event.error, event.status) == ("protocol", 500)
    assert event.type == "litellm.exceptions.MidStreamFallbackError"
    wrapped_429 = litellm.exceptions.MidStreamFallbackError(
        message="x",
        model="m",
        llm_provider="openai",
        original_exception=_litellm_error(litellm, "RateLimitError"),
    )
    assert classify(wrapped_429).error == "rate_limit"


# --------------------------------------------------------------------------- strands


def test_strands_exceptions() -> None:
    _needs("litellm")  # strands' litellm model imports litellm: import it offline first
    exceptions = _needs("strands.types.exceptions")
    assert classify(exceptions.ContextWindowOverflowException("big")).error == "context_window"
    assert classify(exceptions.ModelThrottledException("slow")).error == "rate_limit"


# --------------------------------------------------------------------------- raw transport


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_raw_transport_exceptions_are_leaks(library: str) -> None:
    lib = _needs(library)
    cut = classify(lib.RemoteProtocolError("peer closed connection"))
    assert (cut.error, cut.leaked, cut.type) == ("protocol", True, f"{library}.RemoteProtocolError")
    assert classify(lib.ReadTimeout("read timed out")).error == "timeout"
    assert classify(lib.ConnectError("refused")).error == "protocol"
    response = lib.Response(429, request=lib.Request("POST", URL))
    status = classify(lib.HTTPStatusError("429", request=response.request, response=response))
    assert (status.error, status.status, status.leaked) == ("rate_limit", 429, True)


def test_httpcore_exception_is_a_leak() -> None:
    httpcore = _needs("httpcore")
    event = classify(httpcore.RemoteProtocolError("incomplete chunked read"))
    assert (event.error, event.leaked) == ("protocol", True)


def test_a_wrapped_transport_exception_is_not_a_leak() -> None:
    exc = _raised(RuntimeError("stream failed"), cause=httpx.ReadError("reset"))
    event = classify(exc)
    assert (event.error, event.leaked, event.type) == ("protocol", False, "builtins.RuntimeError")


# --------------------------------------------------------------------------- plain Python


def test_json_decode_error_is_protocol() -> None:
    try:
        json.loads('{"a": 1')
    except json.JSONDecodeError as exc:
        event = classify(exc)
    assert (event.error, event.leaked, event.type) == (
        "protocol",
        False,
        "json.decoder.JSONDecodeError",
    )


def test_cause_refines_only_an_unknown() -> None:
    openai = _needs("openai")
    inner = openai.RateLimitError("slow", response=_response(429), body=None)
    outer = _raised(RuntimeError("agent failed"), cause=inner)
    event = classify(outer)
    assert (event.error, event.type, event.status) == ("rate_limit", "builtins.RuntimeError", None)
    # a definite kind of the raised exception is never overridden by a cause
    assert (
        error_kind(
            _raised(openai.NotFoundError("no", response=_response(404), body=None), cause=inner)
        )
        == "not_found"
    )


def test_unknown_and_message_shortening() -> None:
    event = classify(ValueError("x" * 1000))
    assert event.error == "unknown"
    assert len(event.message) == MESSAGE_LIMIT
    assert event.message.endswith("…")
    assert classify(ValueError()).message == "ValueError"


def test_status_of_ignores_non_int_values() -> None:
    class Odd(Exception):
        status = "429"
        status_code = True

    assert status_of(Odd()) is None
    assert error_kind(Odd()) == "unknown"


def test_an_http_range_code_of_its_own_beats_a_200_response() -> None:
    class Response:
        status_code = 200

    class ChunkError(Exception):  # google-genai's APIError for an in-stream error chunk
        status = "UNAVAILABLE"
        code = 503
        response = Response()

    class NotHttp(Exception):
        code = 7
        response = Response()

    assert status_of(ChunkError()) == 503 and error_kind(ChunkError()) == "server"
    assert status_of(NotHttp()) == 200


def test_a_cyclic_chain_terminates() -> None:
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    assert classify(a).error == "unknown"


def test_kind_signs_are_what_error_kind_reads() -> None:
    """Every class name, status and provider code :func:`kind_signs` gives for a kind makes
    an exception of that kind (a reproducer asserts the kind with them)."""
    for kind in get_args(ErrorKind):
        names, statuses, codes = kind_signs(kind)
        for name in names:
            assert error_kind(type(name, (Exception,), {})()) == kind, name
        for status in statuses:
            assert error_kind(type("E", (Exception,), {"status_code": status})()) == kind
        for code in codes:
            assert error_kind(type("E", (Exception,), {"code": code})()) == kind, code
    assert kind_signs("unknown") == (frozenset(), frozenset(), frozenset())
