"""A real HTTP server on 127.0.0.1 for recording tests: streams SSE with delays between events.

Threaded ``http.server`` speaking HTTP/1.1 with chunked transfer encoding, so each event
leaves in its own write after its delay, as a provider's stream does. What it answers is set
per test through attributes (number of events, delay, extra headers, a body to echo).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Server", "chat_event", "serve"]


def chat_event(n: int, text: str) -> bytes:
    chunk = {
        "id": "chatcmpl-local",
        "object": "chat.completion.chunk",
        "created": 1735689600,
        "model": "gpt-local",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }
    return f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n".encode()


def _finish() -> bytes:
    chunk = {
        "id": "chatcmpl-local",
        "object": "chat.completion.chunk",
        "created": 1735689600,
        "model": "gpt-local",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }
    return f"data: {json.dumps(chunk, separators=(',', ':'))}\n\ndata: [DONE]\n\n".encode()


@dataclass
class Server:
    """What the server answers, and what it received."""

    base: str = ""
    events: int = 5
    """Writes of a stream: text events, the last one with the finish event and [DONE]."""
    delay: float = 0.0
    """Seconds between events."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers."""
    echo: dict[str, Any] = field(default_factory=dict)
    """Extra fields of the JSON answered on /echo."""
    received: list[dict[str, Any]] = field(default_factory=list)
    routes: dict[str, tuple[str, list[bytes]]] = field(default_factory=dict)
    """Path prefix -> (content type, writes): answered first, each write its own chunk."""

    def stream_events(self) -> list[bytes]:
        text = [chat_event(i, f"w{i} ") for i in range(self.events - 1)]
        return [*text, _finish()]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _head(self, status: int, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        for name, value in {**self.server.spec.headers, **(extra or {})}.items():
            self.send_header(name, value)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        spec = self.server.spec
        body = self._body()
        spec.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        for prefix, (content_type, writes) in spec.routes.items():
            if self.path.startswith(prefix):
                self._head(200, content_type, {"transfer-encoding": "chunked"})
                self.end_headers()
                for write in writes:
                    self._write_chunk(write)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
        if self.path.startswith("/v1/chat/completions"):
            request = json.loads(body or b"{}")
            if request.get("stream"):
                self._head(
                    200, "text/event-stream; charset=utf-8", {"transfer-encoding": "chunked"}
                )
                self.end_headers()
                for n, event in enumerate(spec.stream_events()):
                    if n and spec.delay:
                        time.sleep(spec.delay)
                    self._write_chunk(event)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            answer = {
                "id": "chatcmpl-local",
                "object": "chat.completion",
                "created": 1735689600,
                "model": "gpt-local",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "hi"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            }
            self._send(200, json.dumps(answer).encode(), "application/json")
            return
        if self.path.startswith("/gzip"):
            data = gzip.compress(json.dumps({"ok": True, **spec.echo}).encode())
            self._send(200, data, "application/json", {"content-encoding": "gzip"})
            return
        # /echo and anything else: the request as JSON, plus the configured extras
        echoed = {
            "path": self.path,
            "headers": dict(self.headers),
            "body": body.decode("utf-8", "replace"),
            **spec.echo,
        }
        self._send(200, json.dumps(echoed).encode(), "application/json")

    def _send(
        self, status: int, data: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self._head(status, content_type, {"content-length": str(len(data)), **(extra or {})})
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    spec: Server


@contextmanager
def serve() -> Iterator[Server]:
    """Start the server on a free port of 127.0.0.1; stop it on exit."""
    httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
    spec = Server(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.spec = spec
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield spec
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
