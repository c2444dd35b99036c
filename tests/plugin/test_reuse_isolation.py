"""The patches ``harness_replay`` installs are built once per session and reused by every
test (the guard's, ``serving``'s, vcrpy's; the first two stand in place from one replayed
test to the next and are lifted before any other test): each test still gets its own
replay, request log, clock and guard, whichever client it uses, and a client kept from an
earlier test is a stale client, not served by the next test's replay."""

from __future__ import annotations

import pytest

from tests.plugin.outside import PLUGIN

pytest_plugins = ["pytester"]

SEVERAL_TESTS = """
import http.client
import socket
import time

import httpx
import pytest
import requests

URL = "https://api.openai.com/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
KEPT = {}


def patch_points():
    return (
        http.client.HTTPSConnection,
        requests.adapters.HTTPAdapter.send,
        httpx.HTTPTransport.handle_request,
        httpx.Client._init_transport,
        socket.create_connection,
        socket.socket.connect,
    )


ORIGINAL = patch_points()  # before any test: what every test must leave behind


def _post(client):
    if client == "httpx":
        return httpx.post(URL, json=BODY).status_code
    return requests.post(URL, json=BODY).status_code


@pytest.mark.parametrize("client", ["httpx", "requests", "httpx", "requests"])
@pytest.mark.harness_scenario("retry-503-repeated", assert_all_served=False)
def test_each_test_sees_its_own_replay(client, harness_replay):
    KEPT.setdefault("patches", []).append(patch_points())
    assert harness_replay.requests == [] and harness_replay.clock.elapsed() == 0
    assert _post(client) == 503  # the script's first exchange: a fresh replay every time
    time.sleep(2)
    assert _post(client) == 503  # and its second
    assert [r.exchange for r in harness_replay.requests] == [0, 1]
    assert harness_replay.clock.elapsed() == 2
    with pytest.raises(OSError, match="harness blocked"):
        socket.create_connection(("example.com", 443))


@pytest.mark.harness_scenario("nonstream-text")
def test_keeps_a_connection(harness_replay):
    KEPT["connection"] = connection = http.client.HTTPSConnection("api.openai.com")
    connection.request("POST", "/v1/chat/completions", body=b"{}")
    assert connection.getresponse().status == 200


@pytest.mark.harness_scenario("nonstream-text", assert_all_served=False)
def test_uses_the_kept_connection(harness_replay):
    connection = KEPT["connection"]
    with pytest.raises(AssertionError, match="reached the replay of a run that is over"):
        connection.request("POST", "/v1/chat/completions", body=b"{}")
        connection.getresponse()
    assert [r.exchange for r in harness_replay.requests] == []


def test_after_harness_every_client_is_its_own_again():
    # vcrpy's patches are undone; the guard's and serving's stand until the session ends,
    # calling straight through: clients, sockets and lookups behave as without harness
    now = patch_points()
    assert all(a is b for a, b in zip(now[:2], ORIGINAL[:2], strict=True))
    first, *others = [points[2:] for points in KEPT["patches"]]
    assert all(all(a is b for a, b in zip(p, first, strict=True)) for p in others)
    assert all(a is b for a, b in zip(now[2:], first, strict=True))
    with httpx.Client() as client:
        assert type(client._transport) is httpx.HTTPTransport
        assert not hasattr(client._transport, "_harness_replay")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with server, socket.create_connection(server.getsockname(), timeout=5):
        pass
    assert socket.getaddrinfo("localhost", 80)
"""


def test_reused_patches_keep_every_test_apart(project: pytest.Pytester) -> None:
    import socket

    import httpx

    from harness.transport.seams import lift

    lift()  # what replayed tests of this session left standing: the originals now
    before = (httpx.Client._init_transport, socket.create_connection, socket.socket.connect)
    project.makepyfile(test_several=SEVERAL_TESTS)
    result = project.runpytest(*PLUGIN, "-v", "-p", "no:randomly")
    # in this process: the patches that stood through the inner session were lifted at its end
    after = (httpx.Client._init_transport, socket.create_connection, socket.socket.connect)
    assert all(a is b for a, b in zip(after, before, strict=True))
    # the kept connection's request is refused as stale (its test's replay is over), which
    # fails the second test at teardown with the setup error; it never reaches this replay
    result.assert_outcomes(passed=7, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_uses_the_kept_connection*",
            "*[[]setup-stale-client[]]*",
            "*reached the replay of a run that is over*nonstream-text.yaml*",
        ]
    )
