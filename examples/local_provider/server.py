"""Serve a compiled scenario over real HTTP on 127.0.0.1, one write per recorded chunk.

The exchanges of the :class:`~harness.dialects.script.Script` are answered in order, whatever the
path (the client of the dialect asks for them in that order); each chunk leaves in its own
chunked-encoding write, so a recording keeps the event boundaries a provider sends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.dialects.script import Exchange, HttpDate, Script

__all__ = ["serving"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        exchange = self.server.next_exchange()
        if exchange is None:
            self.send_response(599, "no more recorded exchanges")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_response(exchange.status)
        for name, value in exchange.headers:
            if isinstance(value, HttpDate):
                continue  # a wall-clock date would make every recording differ
            self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for chunk in exchange.chunks:
            if chunk.data:
                self.wfile.write(f"{len(chunk.data):x}\r\n".encode() + chunk.data + b"\r\n")
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    do_GET = do_POST = do_DELETE = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._pending: list[Exchange] = list(script.exchanges)
        self._lock = threading.Lock()

    def next_exchange(self) -> Exchange | None:
        with self._lock:
            return self._pending.pop(0) if self._pending else None


@contextmanager
def serving(script: Script) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT``) of a server answering ``script``."""
    httpd = _Server(script)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
