"""The secret policy by name and by placeholder: which header, query parameter and JSON
field carries a secret, how bad it is to leak (credential or identifier), and which values
are only test placeholders. See :mod:`harness.vocab.secrets` for the whole policy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

__all__ = [
    "MASK",
    "PLACEHOLDER",
    "Found",
    "Rule",
    "Severity",
    "field_rule",
    "header_rule",
    "is_placeholder",
    "looks_like_header",
    "param_rule",
]

Severity = Literal["credential", "identifier"]
"""A credential grants access (rotate it); an identifier only names an account (tidy it)."""

PLACEHOLDER = "REDACTED"
"""What redaction writes in place of a secret in a cassette."""
MASK = "***"
"""What logs and reports show in place of a secret."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A kind of secret and how bad it is to leak."""

    kind: str
    severity: Severity = "credential"


@dataclass(frozen=True, slots=True)
class Found:
    """One secret in a text: its span (the secret alone), the value and its rule."""

    start: int
    end: int
    value: str
    rule: Rule


# --------------------------------------------------------------------------- names

_AUTH = Rule("authorization-header")
_API_KEY = Rule("api-key-header")
_COOKIE = Rule("cookie", "identifier")
_IDENTIFIER_HEADERS = {
    "openai-organization": "openai-org-id",
    "openai-project": "openai-project-id",
    "anthropic-organization-id": "organization-id",
    "x-goog-user-project": "organization-id",
}
_CREDENTIAL_WORDS = ("key", "token", "secret", "signature", "password", "credential", "auth")
_NOT_SECRET_HEADERS = re.compile(
    r"ratelimit|rate-limit|tokens|keep-alive|^content-|^accept|authority|^x-auth-scheme$"
)


def header_rule(name: str) -> Rule | None:
    """The rule of a header by its name, or None when its value is not secret."""
    lowered = name.lower().strip()
    if lowered in ("authorization", "proxy-authorization"):
        return _AUTH
    if lowered in ("cookie", "set-cookie"):
        return _COOKIE
    if lowered in _IDENTIFIER_HEADERS:
        return Rule(_IDENTIFIER_HEADERS[lowered], "identifier")
    if lowered == "x-amz-security-token":
        return Rule("aws-session-token")
    if _NOT_SECRET_HEADERS.search(lowered) or lowered in ("www-authenticate", "x-auth-scheme"):
        return None
    if any(word in lowered for word in _CREDENTIAL_WORDS):
        return _API_KEY
    return None


_SAS_FIELDS = frozenset({"se", "sv", "st", "sp", "sr", "spr", "skoid", "sktid", "skt", "ske"})


def param_rule(name: str) -> Rule | None:
    """The rule of a query parameter by its name, or None."""
    lowered = unquote_plus(name).lower().strip()
    if lowered in ("key", "sig", "code", "password", "signature", "apikey"):
        return Rule("secret-query-param")
    if lowered in _SAS_FIELDS:
        return Rule("sas-field", "identifier")
    if lowered.endswith(("_key", "-key", "token", "secret")) or "token" in lowered:
        return Rule("secret-query-param") if "tokens" not in lowered else None
    return None


_FIELD_ENDINGS = (
    "apikey", "secret", "password", "passwd", "secretkey", "privatekey", "accesskey",
    "accesstoken", "refreshtoken", "idtoken", "sessiontoken", "authtoken", "bearertoken",
    "sastoken", "clientsecret", "secretaccesskey", "authorization", "credential",
    "credentials", "subscriptionkey", "functionskey", "virtualkey", "masterkey",
)  # fmt: skip
_TOKEN_VALUE = re.compile(r"[A-Za-z0-9._~+/=-]{16,}")
_WORD_VALUE = re.compile(r"[a-z]{1,11}")


def field_rule(name: str, value: str = "") -> Rule | None:
    """The rule of a JSON field by its name (a bare ``token`` must also look like one: the
    log-probability entries are ``{"token": "Hello"}``), or None; token *counts* are not
    secrets."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key.endswith(_FIELD_ENDINGS):
        # a short lower-case word is a tool argument in a test ("password": "radiance")
        return None if _WORD_VALUE.fullmatch(value.strip()) else Rule("secret-field")
    named_token = key in ("token", "key", "sig") or (key.endswith("token") and len(key) > 5)
    if named_token and _TOKEN_VALUE.fullmatch(value.strip()):
        return Rule("secret-field")
    header = header_rule(name) if "-" in name else None
    return header


# --------------------------------------------------------------------------- placeholders

_PLACEHOLDER_WORDS = frozenset({
    "redacted", "filtered", "placeholder", "dummy", "fake", "test", "testing", "example",
    "sample", "sanitized", "your", "my", "mock", "changeme", "change", "me", "here",
    "replace", "insert", "put", "secret", "key", "api", "apikey", "token", "access", "auth",
    "authorization", "bearer", "basic", "sk", "proj", "ant", "org", "none", "null", "nil",
    "invalid", "harness", "foo", "bar", "foobar", "baz", "password", "passwd", "xxx",
    "value", "string", "abc", "def", "ghi", "jkl", "123", "1234", "12345", "123456", "0",
    "x", "hidden", "masked", "removed", "omitted", "scrubbed", "private", "live", "demo",
    "default", "env", "variable", "var", "openai", "anthropic", "azure", "google", "aws",
    "akia", "session", "cookie", "id", "client", "subscription",
})  # fmt: skip
_TEMPLATE = re.compile(r"^(?:<[^<>]+>|\$\{[^{}]+\}|\{\{[^{}]+\}\}|%\([^()]+\)s|\$[A-Z_]+)$")
_SEPARATORS = re.compile(r"[-_.:/\s|]+")
_RUN = re.compile(r"(.)\1{5,}")
_NAME_XXX = re.compile(r"^[A-Za-z][A-Za-z_-]*[-_][Xx]{3,}$")
_MARKERS = frozenset({
    "test", "testing", "fake", "dummy", "example", "sample", "mock", "placeholder",
    "redacted", "your", "changeme",
})  # fmt: skip
_LEADING_WORD = re.compile(r"(?:test|fake|dummy|example|sample|mock|your|xxxx)(?![a-z])")
"""A known key prefix, then a placeholder word, then no letter: ``AKIATEST1234...``."""
_SEQUENCES = ("0123456789" * 8, "abcdefghijklmnopqrstuvwxyz" * 3, "9876543210" * 8)


def _filler(word: str) -> bool:
    """A word made of one repeated unit (``xxxx``, ``testtest``, ``0000``), of an obvious
    sequence (``123456789``, ``abcdefgh``), or of two such (``1234567890abcdef``)."""
    if _plain_filler(word):
        return True
    return len(word) >= 8 and any(
        _plain_filler(word[:i]) and _plain_filler(word[i:]) for i in range(4, len(word) - 3)
    )


def _plain_filler(word: str) -> bool:
    if not word:
        return True
    for period in range(1, 5):
        if len(word) >= 2 * period and word == (word[:period] * len(word))[: len(word)]:
            return True
    return any(word in seq for seq in _SEQUENCES) and len(word) >= 4


def is_placeholder(value: str) -> bool:
    """A test value, not a real secret (see the module docstring for the exact rule)."""
    body = value.strip().strip("'\"").strip()
    scheme, sep, rest = body.partition(" ")
    if sep and scheme.lower() in ("bearer", "basic", "token"):
        body = rest.strip()
    if len(body) < 8 or _TEMPLATE.match(body):
        return True
    if PLACEHOLDER in body or MASK in body or "..." in body or "…" in body:
        return True
    if body.endswith(("EXAMPLE", "EXAMPLEKEY")):  # the AWS documentation's keys
        return True
    if _RUN.search(body):  # sk-XXXXXXXXXXXXXXXX, 0000000000000000
        return True
    if _NAME_XXX.match(body):  # AUTHORIZATION-XXX, X-GOOG-API-KEY-XXX
        return True
    lowered = body.lower()
    words = [w for w in _SEPARATORS.split(lowered) if w]
    if all(w in _PLACEHOLDER_WORDS or _filler(w) for w in words):
        return True
    if len(words) >= 2 and all(w.isalpha() for w in words) and _MARKERS & set(words):
        return True  # test_set_cookie, FAKE-SESSION-TOKEN-FOR-VCR-TESTING-ONLY
    # a known prefix glued to filler: AKIATESTTESTTESTTEST, sk-proj-xxxxxxxx
    for prefix in ("akia", "asia", "aiza", "gsk", "xai", "hf", "ghp", "sk", "eyj"):
        if not lowered.startswith(prefix):
            continue
        rest = _SEPARATORS.sub("", lowered[len(prefix) :])
        if _filler(rest) or _LEADING_WORD.match(rest):
            return True
    return False


def looks_like_header(name: str) -> bool:
    lowered = name.lower()
    return "-" in lowered or lowered in ("authorization", "cookie")
