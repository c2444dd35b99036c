"""Serving a Script to a botocore client (boto3) through botocore's own ``before-send``
event, chunk by chunk.

botocore emits ``before-send.<service>.<operation>`` with the signed request just before
its HTTP session would send it, and uses the first response a handler returns instead of
sending (``botocore/endpoint.py`` ``Endpoint._do_get_response``): the seam moto and
botocore's own tests use. :func:`serving_botocore` registers such a handler on one client
(``client.meta.events``), answered by :meth:`Replay.serve
<harness.transport.core.Replay.serve>` like every other transport: the same matching,
order, request log and virtual clock. Nothing of botocore is patched.

What the handler returns is what ``URLLib3Session.send`` returns (``botocore/httpsession.py``):
an ``AWSResponse`` whose ``raw`` streams the scripted chunks one read at a time, so an
event-stream body (ConverseStream) reaches botocore's ``EventStream`` in the scripted
chunk boundaries. A body read whole (a non-streamed operation) is read inside the handler,
as ``send`` reads it. Failures are the ones the real session gives: before the head, a
dropped connection is ``ConnectionClosedError`` and a read timeout ``ReadTimeoutError``
(botocore's, which its retry handlers know); inside a streamed body, urllib3's
``ProtocolError`` ("Connection broken") and ``ReadTimeoutError``, as ``HTTPResponse.stream``
raises them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.transport.core import BodyStream, Replay, WireErrors, WireRequest

__all__ = ["LIBRARY", "BotocoreRaw", "serving_botocore"]

LIBRARY = "botocore"
"""The ``http_library`` of a driver served this way."""


class BotocoreRaw:
    """The ``raw`` of an ``AWSResponse``: what botocore reads from urllib3's response
    (``stream()``, ``read()``, ``close()``), one scripted chunk per read."""

    def __init__(self, body: BodyStream) -> None:
        self._body = body

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        yield from self._body

    def read(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        return b"".join(self._body)

    def close(self) -> None:
        self._body.close()

    def release_conn(self) -> None:
        self._body.close()


class _Errors:
    """Which exceptions a failure raises: botocore's while the head is awaited (as
    ``URLLib3Session.send`` wraps urllib3's), urllib3's once a streamed body is read."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.streaming = False

    def cut(self, message: str) -> BaseException:
        if self.streaming:
            from urllib3.exceptions import ProtocolError

            return ProtocolError(f"Connection broken: {message}")
        from botocore.exceptions import ConnectionClosedError

        error: BaseException = ConnectionClosedError(endpoint_url=self.url)
        return error

    def timeout(self, message: str) -> BaseException:
        if self.streaming:
            from urllib3.exceptions import ReadTimeoutError

            return ReadTimeoutError(None, self.url, message)  # type: ignore[arg-type]
        from botocore.exceptions import ReadTimeoutError as BotoReadTimeout

        error: BaseException = BotoReadTimeout(endpoint_url=self.url, error=message)
        return error


def _headers(request: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in request.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        out.append((str(name), text))
    return out


def _body(request: Any) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    data = body.read()  # a file-like body
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def _answer(replay: Replay, request: Any, read_timeout: float | None) -> Any:
    from botocore.awsrequest import AWSResponse

    errors = _Errors(request.url)
    sent = WireRequest(request.method, request.url, _headers(request), _body(request), read_timeout)
    served = replay.serve(sent, WireErrors(cut=errors.cut, timeout=errors.timeout))
    response = AWSResponse(
        request.url, served.status, dict(served.headers), BotocoreRaw(served.body)
    )
    if not request.stream_output:
        response.content  # noqa: B018 (read whole, as URLLib3Session.send does)
    else:
        errors.streaming = True
    return response


@contextmanager
def serving_botocore(client: Any, replay: Replay) -> Iterator[None]:
    """Inside, every request ``client`` (a botocore/boto3 client) sends is answered by
    ``replay`` through its ``before-send`` event; the handler is unregistered on exit.
    The client's own read timeout (``client.meta.config.read_timeout``) applies."""
    read_timeout = getattr(client.meta.config, "read_timeout", None)

    def before_send(request: Any, **_: Any) -> Any:
        return _answer(replay, request, read_timeout)

    unique_id = f"harness-replay-{id(replay):x}"
    client.meta.events.register("before-send", before_send, unique_id=unique_id)
    try:
        yield
    finally:
        client.meta.events.unregister("before-send", before_send, unique_id=unique_id)
