"""Planted secrets: one of each kind harness must keep off the disk and `harness scan` must
find, random-looking (seeded) so no placeholder rule can excuse them."""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass

__all__ = ["PLANTED", "Planted"]

_rng = random.Random(20261125)


def _pick(alphabet: str, n: int) -> str:
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if len(set(value)) > n // 3 and "test" not in value.lower():
            return value


ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def _jwt() -> str:
    def part(data: str) -> str:
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")

    header = part('{"alg":"RS256","typ":"JWT"}')
    claims = part('{"aud":"https://cognitiveservices.azure.com","oid":"' + _pick(ALNUM, 20) + '"}')
    return f"{header}.{claims}.{_pick(URLSAFE, 43)}"


@dataclass(frozen=True)
class Planted:
    kind: str
    """The kind `harness scan` reports."""
    value: str
    """The secret itself."""
    where: str
    """header / query / body / response."""


OPENAI_PROJECT_KEY = "sk-proj-" + _pick(URLSAFE, 48)
ANTHROPIC_KEY = "sk-ant-api03-" + _pick(URLSAFE, 60)
AZURE_KEY = _pick("0123456789abcdef", 32)
AZURE_AD = _jwt()
COOKIE = _pick(ALNUM, 32)
SET_COOKIE = _pick(ALNUM + "._", 40)
ORG = "org-" + _pick(ALNUM, 24)
PROJECT = "proj_" + _pick(ALNUM, 24)
GOOGLE = "AIza" + _pick(URLSAFE, 35)
QUERY_KEY = "AIza" + _pick(URLSAFE, 35)
QUERY_API_KEY = _pick(ALNUM, 32)
ACCESS_TOKEN = _pick(ALNUM, 40)
AMZ_TOKEN = _pick(ALNUM + "/+", 80)
BODY_API_KEY = _pick(ALNUM, 40)
PASSWORD = _pick(ALNUM + "!#%", 18)
CLIENT_SECRET = _pick(ALNUM, 34)
GROQ = "gsk_" + _pick(ALNUM, 52)
XAI = "xai-" + _pick(ALNUM, 80)
AWS_ACCESS = "AKIA" + _pick(string.ascii_uppercase + string.digits, 16)
AWS_SECRET = _pick(ALNUM + "/+", 40)
GITHUB = "ghp_" + _pick(ALNUM, 36)
HF = "hf_" + _pick(string.ascii_letters, 34)
OPENAI_KEY = "sk-" + _pick(ALNUM, 48)
BEARER_IN_TEXT = _pick(ALNUM, 40)
SESSION_TOKEN = _pick(ALNUM, 40)

PLANTED: tuple[Planted, ...] = (
    Planted("authorization-header", OPENAI_PROJECT_KEY, "header"),
    Planted("api-key-header", ANTHROPIC_KEY, "header"),
    Planted("api-key-header", AZURE_KEY, "header"),
    Planted("cookie", COOKIE, "header"),
    Planted("openai-org-id", ORG, "header"),
    Planted("openai-project-id", PROJECT, "header"),
    Planted("api-key-header", GOOGLE, "header"),
    Planted("aws-session-token", AMZ_TOKEN, "header"),
    Planted("secret-query-param", QUERY_KEY, "query"),
    Planted("secret-query-param", QUERY_API_KEY, "query"),
    Planted("secret-query-param", ACCESS_TOKEN, "query"),
    Planted("secret-field", BODY_API_KEY, "body"),
    Planted("secret-field", PASSWORD, "body"),
    Planted("secret-field", CLIENT_SECRET, "body"),
    Planted("groq-key", GROQ, "body"),
    Planted("xai-key", XAI, "body"),
    Planted("aws-access-key", AWS_ACCESS, "body"),
    Planted("aws-secret-key", AWS_SECRET, "body"),
    Planted("github-token", GITHUB, "body"),
    Planted("huggingface-token", HF, "body"),
    Planted("openai-key", OPENAI_KEY, "body"),
    Planted("bearer-token", BEARER_IN_TEXT, "body"),
    Planted("jwt", AZURE_AD, "header"),
    Planted("cookie", SET_COOKIE, "response"),
    Planted("secret-field", SESSION_TOKEN, "response"),
)

REQUEST_HEADERS = {
    "authorization": f"Bearer {OPENAI_PROJECT_KEY}",
    "x-api-key": ANTHROPIC_KEY,
    "api-key": AZURE_KEY,
    "cookie": f"session={COOKIE}; theme=dark",
    "openai-organization": ORG,
    "openai-project": PROJECT,
    "x-goog-api-key": GOOGLE,
    "x-amz-security-token": AMZ_TOKEN,
}
QUERY = f"?key={QUERY_KEY}&api_key={QUERY_API_KEY}&access_token={ACCESS_TOKEN}&api-version=1"
BODY = {
    "model": "gpt-local",
    "api_key": BODY_API_KEY,
    "auth": {"password": PASSWORD, "client_secret": CLIENT_SECRET},
    "messages": [
        {
            "role": "user",
            "content": (
                f"keys: {GROQ} and {XAI}; aws {AWS_ACCESS} "
                f"aws_secret_access_key={AWS_SECRET}; gh {GITHUB}; hf {HF}; "
                f"openai {OPENAI_KEY}; header Bearer {BEARER_IN_TEXT}"
            ),
        }
    ],
}
AZURE_AD_HEADERS = {"authorization": f"Bearer {AZURE_AD}"}
RESPONSE_HEADERS = {"set-cookie": f"__cf_bm={SET_COOKIE}; path=/; HttpOnly; Secure"}
RESPONSE_EXTRA = {"session_token": SESSION_TOKEN, "echo_org": ORG}
