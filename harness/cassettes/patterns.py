"""What a secret looks like, and what a placeholder looks like: shared by redaction and scan.

Redaction and ``harness scan`` must agree, or a recording redacted by one would be flagged
by the other. A value is a secret when it matches a provider key pattern (or sits where
credentials go: an auth header, a ``key=`` parameter, a JSON field named like a secret),
unless it is a placeholder: the test values real cassettes carry (``sk-XXX``,
``<API_KEY>``, ``REDACTED``, ``***``, ``Bearer test``, ``AUTHORIZATION-XXX``, runs of one
character, ``AKIATEST...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "PLACEHOLDER",
    "SECRET_HEADERS",
    "SECRET_PARAMS",
    "VALUE_PATTERNS",
    "Pattern",
    "is_placeholder",
    "is_secret_header",
    "is_secret_key",
    "is_secret_param",
    "secret_spans",
]

PLACEHOLDER = "REDACTED"
"""What redaction writes in place of a secret (``harness scan`` knows it)."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A kind of secret and the regex that finds it (group 1, if any, is the secret)."""

    kind: str
    regex: re.Pattern[str]


def _p(kind: str, regex: str, flags: int = 0) -> Pattern:
    return Pattern(kind, re.compile(regex, flags))


VALUE_PATTERNS: tuple[Pattern, ...] = (
    _p("private-key", r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    _p("anthropic-key", r"sk-ant-[a-z]{2,8}\d{0,3}-[A-Za-z0-9_-]{20,}"),
    _p("openai-project-key", r"sk-proj-[A-Za-z0-9_-]{20,}"),
    _p("openai-service-key", r"sk-(?:svcacct|admin)-[A-Za-z0-9_-]{20,}"),
    _p("openrouter-key", r"sk-or-v1-[A-Za-z0-9]{32,}"),
    _p("stripe-key", r"[rs]k_live_[A-Za-z0-9]{20,}"),
    _p("openai-key", r"sk-(?!ant-|proj-|or-v1-|svcacct-|admin-)[A-Za-z0-9_-]{20,}"),
    _p("google-api-key", r"AIza[0-9A-Za-z_-]{35}"),
    _p("groq-key", r"gsk_[A-Za-z0-9]{20,}"),
    _p("xai-key", r"xai-[A-Za-z0-9]{20,}"),
    _p("perplexity-key", r"pplx-[A-Za-z0-9]{32,}"),
    _p("replicate-token", r"r8_[A-Za-z0-9]{30,}"),
    _p("huggingface-token", r"hf_[A-Za-z]{30,}"),
    _p("github-token", r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"),
    _p("slack-token", r"xox[abprs]-[A-Za-z0-9-]{10,}"),
    _p("aws-access-key", r"(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    _p(
        "aws-secret-key",
        r"(?i)aws_?secret_?(?:access_?)?key[\"'\s:=]+([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
    ),
    _p("jwt", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    _p("bearer-token", r"(?i)bearer\s+([A-Za-z0-9._~+/=-]{12,})"),
    _p("openai-org-id", r"org-[A-Za-z0-9]{20,}\b"),
    _p("openai-project-id", r"proj_[A-Za-z0-9]{20,}\b"),
)
"""Provider key shapes, most specific first. Each starts with its literal prefix, so the
regex engine can skip ahead (a leading ``\b`` makes it try every position, 30x slower);
:func:`secret_spans` checks the word boundary instead."""

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def secret_spans(pattern: Pattern, text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, secret)`` of each match not glued to a preceding word character
    (group 1 when the pattern has one, else the whole match)."""
    group = 1 if pattern.regex.groups else 0
    for match in pattern.regex.finditer(text):
        start = match.start()
        if start and text[start - 1] in _WORD:
            continue
        yield match.start(group), match.end(group), match.group(group)


SECRET_HEADERS: dict[str, str] = {
    "authorization": "authorization-header",
    "proxy-authorization": "authorization-header",
    "api-key": "api-key-header",
    "x-api-key": "api-key-header",
    "x-goog-api-key": "api-key-header",
    "anthropic-api-key": "api-key-header",
    "ocp-apim-subscription-key": "api-key-header",
    "cookie": "cookie",
    "set-cookie": "cookie",
    "openai-organization": "openai-org-id",
    "openai-project": "openai-project-id",
    "anthropic-organization-id": "organization-id",
    "x-amz-security-token": "aws-session-token",
    "x-goog-user-project": "organization-id",
}
"""Headers whose value is a credential or an account identifier, and what kind."""

SECRET_PARAMS = frozenset(
    {"key", "api_key", "api-key", "apikey", "access_token", "token", "sig", "signature",
     "client_secret", "password", "x-goog-api-key", "subscription-key", "code"}
)  # fmt: skip
"""Query parameters whose value is a credential."""

_SECRET_KEY_ENDINGS = (
    "apikey", "secret", "password", "passwd", "secretkey", "privatekey", "accesstoken",
    "refreshtoken", "idtoken", "sessiontoken", "authtoken", "bearertoken", "clientsecret",
    "secretaccesskey", "authorization", "credential", "credentials",
)  # fmt: skip


def is_secret_header(name: str) -> str | None:
    """The kind of credential header ``name`` carries, or None."""
    lowered = name.lower()
    if lowered in SECRET_HEADERS:
        return SECRET_HEADERS[lowered]
    if (
        lowered.endswith(("-api-key", "-apikey", "-secret", "-token"))
        and "ratelimit" not in lowered
    ):
        return "api-key-header"
    return None


def is_secret_param(name: str) -> bool:
    return name.lower() in SECRET_PARAMS


def is_secret_key(name: str) -> bool:
    """A JSON field named like a credential (``api_key``, ``apiKey``, ``client_secret``,
    ``token``...), but not a token *count* (``max_tokens``, ``input_tokens``)."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key == "token" or key.endswith(_SECRET_KEY_ENDINGS)


_PLACEHOLDER_WORDS = (
    "redacted", "filtered", "xxx", "placeholder", "dummy", "fake", "test", "example",
    "sanitized", "your", "mock", "changeme", "secret_here", "api_key_here", "***", "...",
    "<", "${", "{{", "harness", "invalid", "sample", "foobar", "abcdef", "123456",
)  # fmt: skip
_RUN = re.compile(r"(.)\1{5,}")


def is_placeholder(value: str) -> bool:
    """A test value, not a real secret: a known placeholder word, a run of one character,
    an obvious sequence, or too short to be a key."""
    body = value.strip().strip("'\"")
    for prefix in ("Bearer ", "bearer ", "Basic ", "basic "):
        if body.startswith(prefix):
            body = body[len(prefix) :]
    lowered = body.lower()
    if len(body) < 8 or any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    if _RUN.search(body):
        return True
    core = re.sub(r"^[a-z]+[-_]", "", lowered)  # sk-..., gsk_..., AKIA
    return len(set(core)) <= 3
