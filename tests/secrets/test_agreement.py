"""The request log of replays and the cassette redactor keep the same values secret.

Both ask :mod:`harness.vocab.secrets`; this test feeds them the same requests and checks that a
value one hides, the other hides too, and a value one keeps (identifiers, placeholders,
ordinary text), the other keeps: a secret masked in a cassette must never reappear in a
report, and a log must not hide what a cassette shows.
"""

from __future__ import annotations

import json

import pytest

from harness.cassettes.model import Interaction, RecordedRequest, RecordedResponse
from harness.cassettes.redact import Redactor
from harness.vocab.secrets import mask_headers, mask_json, mask_url

KEY = "sk-proj-Qx7Lr2Vn9Tb4Wc8Zp1Ks6Jm3Hd5Fg0Ay"
ANT = "sk-ant-api03-Zq8rT2mW9xK4pL7vN3bC5dF1gH6jK0lM2nP4qR8sT"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
SAS = "sp=r&st=2026-01-01&se=2026-12-31&sv=2022-11-02&sr=b&sig=Zq8rT2mW9xK4pL7vN3bC5dF1gH6jK0lM"

CASES = [
    # (headers, url, json body, values to watch)
    ([("Authorization", f"Bearer {KEY}")], "https://api.openai.com/v1/chat", None, [KEY]),
    ([("x-api-key", ANT), ("anthropic-version", "2023-06-01")], "https://h/v1", None,
     [ANT, "2023-06-01"]),
    ([("api-key", "Zq8rT2mW9xK4pL7vN3bC5dF1gH6jK0lM")], "https://h/openai?api-version=2024-10-21",
     None, ["Zq8rT2mW9xK4pL7vN3bC5dF1gH6jK0lM", "2024-10-21"]),
    ([("Accept", "text/event-stream")], f"https://h/v1?key={KEY}&alt=sse", None,
     [KEY, "text/event-stream", "sse"]),
    ([], f"https://acct.blob.core.windows.net/c/b?{SAS}", None,
     ["Zq8rT2mW9xK4pL7vN3bC5dF1gH6jK0lM"]),
    ([("X-Trace", JWT)], "https://h/v1", None, [JWT]),
    ([("Authorization", "Bearer sk-your-key-here")], "https://h/v1", None, ["sk-your-key-here"]),
    ([], "https://h/v1", {"model": "gpt-4o", "api_key": "Zq8rT2mW9xK4pL7vN3bC",
                          "messages": [{"role": "user", "content": f"my key is {KEY}"}]},
     ["Zq8rT2mW9xK4pL7vN3bC", KEY, "gpt-4o", "my key is"]),
    ([], "https://h/v1", {"nested": {"client_secret": "Qx7Lr2Vn9Tb4Wc8Zp1Ks6Jm3"}, "n": 1},
     ["Qx7Lr2Vn9Tb4Wc8Zp1Ks6Jm3"]),
    ([], "https://h/v1", {"token_count": 12, "max_tokens": 100, "content": "tokens are words"},
     ["tokens are words"]),
]  # fmt: skip


def _logged(headers: list[tuple[str, str]], url: str, body: object) -> str:
    """What the replay's request log shows (as :class:`harness.transport.core.Replay` builds
    it), as one text."""
    return json.dumps([mask_url(url), mask_headers(headers), mask_json(body)])


def _recorded(headers: list[tuple[str, str]], url: str, body: object) -> str:
    """What a redacted cassette keeps of the same request, as one text."""
    raw = None if body is None else json.dumps(body).encode()
    interaction = Interaction(
        RecordedRequest("POST", url, tuple(headers), raw), RecordedResponse(200)
    )
    rq = Redactor().interaction(interaction).request
    return json.dumps([rq.uri, list(rq.headers), (rq.body or b"").decode()])


@pytest.mark.parametrize(("headers", "url", "body", "watch"), CASES)
def test_log_and_cassette_hide_the_same_values(
    headers: list[tuple[str, str]], url: str, body: object, watch: list[str]
) -> None:
    logged, recorded = _logged(headers, url, body), _recorded(headers, url, body)
    for value in watch:
        in_log, in_cassette = value in logged, value in recorded
        assert in_log == in_cassette, (
            f"{value!r} is {'shown' if in_log else 'hidden'} by the request log but "
            f"{'shown' if in_cassette else 'hidden'} by the cassette redactor\n"
            f"  log:      {logged}\n  cassette: {recorded}"
        )


def test_the_cases_cover_both_outcomes() -> None:
    """Some watched values are secrets (hidden by both), some are not (kept by both)."""
    hidden = kept = 0
    for headers, url, body, watch in CASES:
        logged = _logged(headers, url, body)
        hidden += sum(v not in logged for v in watch)
        kept += sum(v in logged for v in watch)
    assert hidden >= 8 and kept >= 5
