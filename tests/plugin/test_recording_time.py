"""Recording talks to a real server in real time, even when ``harness_virtual_asyncio = true``
(on a virtual loop the client's timeouts would fire at once and cut the recording), and a
recording whose test fails leaves no cassette, so ``once`` records again next time."""

from __future__ import annotations

import pytest

from tests.plugin.outside import ASYNCIO_INI, PLUGIN

pytest_plugins = ["pytester"]

SLOW_SERVER = """
import http.server
import os
import threading
import time

import httpx
import pytest

BODY = b'{"ok": true}'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        time.sleep(0.05)  # a real server takes real time before its head
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.harness_cassette("cassettes/slow.yaml")
@pytest.mark.asyncio
async def test_records_on_real_time(harness_replay, server):
    async with httpx.AsyncClient(timeout=5) as http:
        reply = await http.post(server + "/v1/chat/completions", json={"model": "m"})
    assert reply.json() == {"ok": True}


@pytest.mark.harness_cassette("cassettes/failed.yaml")
@pytest.mark.asyncio
async def test_fails_while_recording(harness_replay, server):
    async with httpx.AsyncClient(timeout=5) as http:
        await http.post(server + "/v1/chat/completions", json={"model": "m"})
    assert os.environ.get("FAIL_RECORDING") != "1", "the adapter under test failed"
"""


def test_recording_runs_on_real_time_and_a_failed_one_leaves_no_cassette(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_slow=SLOW_SERVER)
    project.makeini(ASYNCIO_INI + "harness_virtual_asyncio = true\n")
    monkeypatch.setenv("FAIL_RECORDING", "1")
    first = project.runpytest(*PLUGIN, "-p", "asyncio", "--harness-record-mode=once")
    first.assert_outcomes(passed=1, failed=1)
    assert (project.path / "cassettes" / "slow.yaml").is_file()
    assert not (project.path / "cassettes" / "failed.yaml").exists()

    monkeypatch.setenv("FAIL_RECORDING", "0")  # once records what is missing, replays the rest
    second = project.runpytest(*PLUGIN, "-p", "asyncio", "--harness-record-mode=once")
    second.assert_outcomes(passed=2)
    assert (project.path / "cassettes" / "failed.yaml").is_file()
