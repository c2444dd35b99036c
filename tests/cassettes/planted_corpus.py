"""A hostile corpus: more than 40 random (seeded) secrets of more than 15 kinds, planted in
every position a recording carries them: request and response headers, the query, JSON
bodies, JSON encoded inside a JSON string, SSE data, split across two SSE events, right
after an escape (``\\n``, ``\\t``, ``%20``, ``\\u0022``), and base64-encoded.

:func:`run_clients` sends it through the real openai SDK (httpx), the real anthropic SDK
(httpx2) and a plain httpx2 client, against a local server (:mod:`tests.cassettes.server`)
set up by :func:`configure` to echo secrets back in headers, JSON and SSE streams.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EXTRA_BODY",
    "OPENAI_OPTIONS",
    "SECRETS",
    "SENT",
    "Secret",
    "configure",
    "message_text",
    "run_clients",
]

_rng = random.Random(20261207)
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


def _pick(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Secret:
    """One planted secret: its value, the kind of secret, and where it travels."""

    name: str
    kind: str
    value: str
    where: str

    @property
    def fragments(self) -> tuple[str, ...]:
        """Forms that must not reach a cassette or a report: the value, and the halves of
        a value that travels split (each half alone still leaks most of the key)."""
        if self.where != "split-sse":
            return (self.value,)
        half = len(self.value) // 2
        return (self.value, self.value[:half], self.value[half:])


def _jwt() -> str:
    def part(data: str) -> str:
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")

    header = part('{"alg":"RS256","typ":"JWT"}')
    claims = part('{"aud":"https://cognitiveservices.azure.com","oid":"' + _pick(ALNUM, 20) + '"}')
    return f"{header}.{claims}.{_pick(URLSAFE, 43)}"


def _pem() -> str:
    body = "\n".join(_pick(ALNUM + "+/", 64) for _ in range(4))
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"


def _basic() -> str:
    return base64.b64encode(f"svc-user:{_pick(ALNUM, 18)}".encode()).decode()


_S: list[Secret] = []


def _plant(name: str, kind: str, value: str, where: str) -> str:
    _S.append(Secret(name, kind, value, where))
    return value


# request headers (openai SDK)
AUTH = _plant("auth", "openai-project-key", "sk-proj-" + _pick(URLSAFE, 48), "request-header")
FUNCTIONS = _plant("functions", "x-functions-key", _pick(HEX, 40), "request-header")
PORTKEY = _plant("portkey", "virtual-key", _pick(ALNUM, 24), "request-header")
BASIC = _plant("basic", "basic-credential", _basic(), "request-header")
APIM = _plant("apim", "subscription-key", _pick(HEX, 32), "request-header")
COOKIE = _plant("cookie", "cookie", _pick(ALNUM, 32), "request-header")
ORG = _plant("org", "openai-org-id", "org-" + _pick(ALNUM, 24), "request-header")
PROJECT = _plant("project", "openai-project-id", "proj_" + _pick(ALNUM, 24), "request-header")
AZURE_AD = _plant("azure-ad", "jwt", _jwt(), "request-header")
# query
Q_KEY = _plant("q-key", "google-api-key", "AIza" + _pick(URLSAFE, 35), "query")
Q_TOKEN = _plant("q-token", "access-token", _pick(ALNUM, 40), "query")
Q_SIG = _plant("q-sig", "sas-signature", _pick(ALNUM, 43) + "=", "query")
Q_CODE = _plant("q-code", "functions-code", _pick(URLSAFE, 54), "query")
Q_SUB = _plant("q-sub", "subscription-key", _pick(HEX, 32), "query")
Q_ESC = _plant("q-escaped", "xai-key", "xai-" + _pick(ALNUM, 80), "after-%20")
# request JSON bodies
B_API = _plant("body-api-key", "secret-field", _pick(ALNUM, 40), "request-json")
B_PASS = _plant("body-password", "secret-field", _pick(ALNUM + "!#%", 18), "request-json")
B_CLIENT = _plant("body-client-secret", "secret-field", _pick(ALNUM, 34), "request-json")
B_SAS = _plant("body-sas-token", "secret-field", _pick(ALNUM, 44), "request-json")
B_NESTED = _plant("nested-api-key", "secret-field", _pick(ALNUM, 36), "escaped-json")
B_NESTED_TOKEN = _plant("nested-token", "secret-field", _pick(ALNUM, 30), "escaped-json")
B_B64 = _plant("body-b64", "base64-anthropic-key", "", "base64")  # filled below
ANTHROPIC_B64_SOURCE = "sk-ant-api03-" + _pick(URLSAFE, 60)
_S[-1] = Secret(
    "body-b64",
    "base64-anthropic-key",
    base64.b64encode(ANTHROPIC_B64_SOURCE.encode()).decode(),
    "base64",
)
B_B64 = _S[-1].value
# message text, after escapes
T_NEWLINE = _plant("after-newline", "openai-project-key", "sk-proj-" + _pick(URLSAFE, 40), "\\n")
T_TAB = _plant("after-tab", "groq-key", "gsk_" + _pick(ALNUM, 52), "\\t")
T_QUOTE = _plant("after-u0022", "github-token", "ghp_" + _pick(ALNUM, 36), "\\u0022")
T_PEM = _plant("pem", "private-key", _pem(), "request-json")
T_AWS = _plant("aws-access", "aws-access-key", "AKIA" + _pick(string.ascii_uppercase, 16), "text")
T_AWS_SECRET = _plant("aws-secret", "aws-secret-key", _pick(ALNUM + "/+", 40), "text")
T_HF = _plant("hf", "huggingface-token", "hf_" + _pick(string.ascii_letters, 34), "text")
T_SLACK = _plant("slack", "slack-token", "xoxb-" + _pick(ALNUM, 40), "text")
T_STRIPE = _plant("stripe", "stripe-key", "sk_live_" + _pick(ALNUM, 32), "text")
T_OPENROUTER = _plant("openrouter", "openrouter-key", "sk-or-v1-" + _pick(HEX, 64), "text")
T_MIXED = _plant("mixed-case", "openai-key", "sk-" + "AbCdEf" + _pick(ALNUM, 42), "text")
# anthropic SDK (httpx2)
ANTHROPIC = _plant("anthropic", "anthropic-key", "sk-ant-api03-" + _pick(URLSAFE, 60), "x-api-key")
# response headers
R_COOKIE = _plant("set-cookie", "cookie", _pick(ALNUM + "._", 40), "response-header")
R_SIG = _plant("location-sig", "sas-signature", _pick(ALNUM, 43) + "=", "response-header")
R_UPSTREAM = _plant("upstream-key", "api-key-header", _pick(ALNUM, 40), "response-header")
# response bodies
R_SESSION = _plant("session-token", "secret-field", _pick(ALNUM, 40), "response-json")
R_BODY_SIG = _plant("body-sig", "sas-signature", _pick(ALNUM, 43) + "=", "response-json")
R_SSE = _plant("sse", "perplexity-key", "pplx-" + _pick(ALNUM, 48), "sse")
R_SSE_NEWLINE = _plant("sse-newline", "replicate-token", "r8_" + _pick(ALNUM, 37), "sse \\n")
R_SPLIT = _plant("split", "openai-service-key", "sk-svcacct-" + _pick(URLSAFE, 56), "split-sse")
R_ARGS = _plant("tool-args", "secret-field", _pick(ALNUM, 38), "sse escaped-json")
R_SSE_B64 = _plant("sse-b64", "base64-xai-key", "", "base64")
XAI_B64_SOURCE = "xai-" + _pick(ALNUM, 60)
_S[-1] = Secret(
    "sse-b64", "base64-xai-key", base64.b64encode(XAI_B64_SOURCE.encode()).decode(), "base64"
)
R_SSE_B64 = _S[-1].value
A_SPLIT = _plant("anthropic-split", "github-token", "github_pat_" + _pick(ALNUM, 40), "split-sse")
A_TEXT = _plant("anthropic-text", "jwt", _jwt(), "sse")

SECRETS: tuple[Secret, ...] = tuple(_S)
SENT = frozenset(s.name for s in SECRETS if s.where.startswith(("request", "query", "escaped",
    "base64", "\\", "after", "text", "x-api")) and s.name != "sse-b64")  # fmt: skip
"""The secrets the clients send (the rest the server sends back)."""


def _chat_event(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-local",
        "object": "chat.completion.chunk",
        "created": 1735689600,
        "model": "gpt-local",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


def _chat_stream() -> list[bytes]:
    half = len(R_SPLIT) // 2
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "connect", "arguments": json.dumps({"api_key": R_ARGS})},
    }
    return [
        _chat_event({"role": "assistant", "content": f"Here: {R_SSE}. "}),
        _chat_event({"content": f"Replicate:\n{R_SSE_NEWLINE} and then "}),
        _chat_event({"content": f"service key {R_SPLIT[:half]}"}),
        _chat_event({"content": f"{R_SPLIT[half:]} end. encoded {R_SSE_B64}"}),
        _chat_event({"tool_calls": [call]}),
        _chat_event({}, "stop") + b"data: [DONE]\n\n",
    ]


def _anthropic_stream() -> list[bytes]:
    def event(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    half = len(A_SPLIT) // 2
    message = {
        "id": "msg_local",
        "type": "message",
        "role": "assistant",
        "model": "claude-local",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 1},
    }

    def delta(text: str) -> bytes:
        return event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": text},
            },
        )

    return [
        event("message_start", {"type": "message_start", "message": message}),
        event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        delta(f"token {A_TEXT} and a PAT {A_SPLIT[:half]}"),
        delta(f"{A_SPLIT[half:]} done"),
        event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 9},
            },
        ),
        event("message_stop", {"type": "message_stop"}),
    ]


def configure(server: Any) -> None:
    """Make the local server echo secrets in its headers, JSON and streams."""
    server.headers = {
        "set-cookie": f"__Host-session={R_COOKIE}; path=/; HttpOnly; Secure",
        "location": f"https://acct.blob.core.windows.net/c/b?sv=2024-05-04&se=2030-01-01&sig={R_SIG}",
        "x-upstream-api-key": R_UPSTREAM,
    }
    server.echo = {
        "session_token": R_SESSION,
        "download": f"https://acct.blob.core.windows.net/c/b?sv=2024-05-04&sp=r&sig={R_BODY_SIG}",
    }
    server.routes = {
        "/v1/chat/completions": ("text/event-stream", _chat_stream()),
        "/v1/messages": ("text/event-stream", _anthropic_stream()),
    }


OPENAI_OPTIONS: dict[str, Any] = {
    "api_key": AUTH,
    "max_retries": 0,
    "default_headers": {
        "x-functions-key": FUNCTIONS,
        "x-portkey-virtual-key": PORTKEY,
        "x-custom-auth": f"Basic {BASIC}",
        "ocp-apim-subscription-key": APIM,
        "cookie": f"session={COOKIE}; theme=dark",
        "openai-organization": ORG,
        "openai-project": PROJECT,
    },
    "default_query": {
        "key": Q_KEY,
        "access-token": Q_TOKEN,
        "sig": Q_SIG,
        "code": Q_CODE,
        "subscription_key": Q_SUB,
        "note": f"key {Q_ESC}",
    },
}
"""Client options of the openai SDK that carry the request-side secrets."""
EXTRA_BODY: dict[str, Any] = {
    "api_key": B_API,
    "auth": {"password": B_PASS, "client_secret": B_CLIENT, "sas_token": B_SAS},
    "metadata": {"config": json.dumps({"api_key": B_NESTED, "refresh_token": B_NESTED_TOKEN})},
    "attachment": B_B64,
}
"""Request body fields that are secrets, one JSON-in-a-string."""


def message_text() -> str:
    return (
        f"your key:\n{T_NEWLINE} and\t{T_TAB}; pem {T_PEM}; aws {T_AWS} "
        f"aws_secret_access_key={T_AWS_SECRET}; hf {T_HF}; slack {T_SLACK}; "
        f"stripe {T_STRIPE}; router {T_OPENROUTER}; mixed {T_MIXED}"
    )


def run_clients(base: str) -> None:
    """Every client, every position: openai SDK (httpx), anthropic SDK and httpx2."""
    import httpx
    import httpx2
    import openai
    from anthropic import Anthropic

    client = openai.OpenAI(base_url=base + "/v1", http_client=httpx.Client(), **OPENAI_OPTIONS)
    with client:
        _chat(client)
    with httpx.Client() as plain:
        echoed = plain.get(base + "/echo", headers={"authorization": f"Bearer {AZURE_AD}"})
        assert echoed.json()["session_token"] == R_SESSION
    with (
        Anthropic(
            base_url=base, api_key=ANTHROPIC, max_retries=0, http_client=httpx2.Client()
        ) as anthropic,
        anthropic.messages.stream(
            model="claude-local", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
        ) as reply,
    ):
        said = "".join(reply.text_stream)
    assert "done" in said
    raw = (
        '{"model": "gpt-local", "messages": [{"role": "user", "content": "\\u0022'
        + T_QUOTE
        + '\\u0022"}]}'
    )
    with httpx2.Client() as h2:
        h2.post(base + "/echo", content=raw.encode(), headers={"content-type": "application/json"})


def _chat(client: Any) -> None:
    stream = client.chat.completions.create(
        model="gpt-local",
        messages=[{"role": "user", "content": message_text()}],
        stream=True,
        extra_body=EXTRA_BODY,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "service key" in text
