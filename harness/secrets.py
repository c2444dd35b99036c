"""The secret policy: what a secret is, where it sits, how bad it is, what a placeholder is.

One module, so that recording (:mod:`harness.cassettes.redact`), ``harness scan``, the
request log of replays (:mod:`harness.transport.core`) and every report writer apply the
same rules: a recording redacted by one must never be flagged by another, and a value
masked in a cassette must not reappear in a report.

A value is a secret four ways:

* by **header name**: ``authorization``, ``proxy-authorization``, cookies, and any name
  containing ``key``, ``token``, ``secret``, ``signature``, ``password`` or ``credential``
  (``x-functions-key``, ``ocp-apim-subscription-key``, ``x-portkey-virtual-key`` ...), but
  not rate-limit and token-count headers; account ids (``openai-organization`` ...) are
  *identifiers*;
* by **query parameter name**: ``key``, ``*_key``, ``*token*``, ``sig`` (and the ``se`` /
  ``sv`` / ``skoid`` ... fields of an Azure SAS), ``code``, ``password``, ``*secret*``;
* by **JSON field name**, at any depth, also inside JSON encoded as a string;
* by **value**, anywhere: provider key shapes, JWTs, whole PEM private-key blocks, AWS
  keys, SAS signatures, ``Bearer``/``Basic`` credentials, and base64 of any of these.

Matches need a boundary before them, and an escape counts as one: a key after ``\\n``,
``\\t``, ``%20`` or ``\\u0022`` is found although the character before it is a letter.

A **placeholder** is a value made only of placeholder words (``sk-your-key-here``,
``AUTHORIZATION-XXX``), a template (``<API_KEY>``, ``${KEY}``), a masked value (``***``,
``REDACTED``), a periodic or sequential filler (``AKIATESTTESTTESTTEST``, ``sk-1234567890``),
an AWS documentation key (``...EXAMPLE``) or a value too short to be a key. Whole-word
rules only: a random key that happens to contain ``test`` or ``AbCdEf`` is still a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "PLACEHOLDER",
    "Found",
    "Rule",
    "Severity",
    "field_rule",
    "find",
    "header_rule",
    "is_placeholder",
    "mask_headers",
    "mask_json",
    "mask_text",
    "mask_url",
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
_NOT_SECRET_HEADERS = re.compile(r"ratelimit|rate-limit|tokens|keep-alive|^content-|^accept")


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


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class _Pattern:
    rule: Rule
    regex: re.Pattern[str]
    needles: tuple[str, ...]
    """Literals (lower-cased) one of which every match contains: a text without any is
    skipped at C speed (``str.__contains__``) instead of being walked by the regex engine."""


def _p(
    kind: str,
    regex: str,
    severity: Severity = "credential",
    flags: int = 0,
    needles: tuple[str, ...] = (),
) -> _Pattern:
    if not needles:  # the literal before the first class or group (no alternation)
        needles = (re.split(r"[\[(?|\\]", regex, maxsplit=1)[0],)
    lowered = tuple(sorted({needle.lower() for needle in needles}))
    return _Pattern(Rule(kind, severity), re.compile(regex, flags), lowered)


def _cases(word: str) -> tuple[str, ...]:
    return (word.lower(), word.upper(), word.capitalize())


_B64 = r"[A-Za-z0-9+/]"
VALUE_PATTERNS: tuple[_Pattern, ...] = (
    _p(
        "private-key",
        needles=("-----BEGIN",),
        regex=r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE "
        r"KEY-----|[A-Za-z0-9+/=\s\\]*)",
        flags=re.S,
    ),
    _p("anthropic-key", r"sk-ant-[a-z]{2,8}\d{0,3}-[A-Za-z0-9_-]{20,}"),
    _p("openai-project-key", r"sk-proj-[A-Za-z0-9_-]{20,}"),
    _p("openai-service-key", r"sk-(?:svcacct|admin)-[A-Za-z0-9_-]{20,}"),
    _p("openrouter-key", r"sk-or-v1-[A-Za-z0-9]{32,}"),
    _p("stripe-key", r"[rs]k_live_[A-Za-z0-9]{20,}", needles=("k_live_",)),
    _p("openai-key", r"sk-(?!ant-|proj-|or-v1-|svcacct-|admin-)[A-Za-z0-9_-]{20,}"),
    _p("google-api-key", r"AIza[0-9A-Za-z_-]{35}"),
    _p("groq-key", r"gsk_[A-Za-z0-9]{20,}"),
    _p("xai-key", r"xai-[A-Za-z0-9]{20,}"),
    _p("perplexity-key", r"pplx-[A-Za-z0-9]{32,}"),
    _p("replicate-token", r"r8_[A-Za-z0-9]{30,}"),
    _p("huggingface-token", r"hf_[A-Za-z]{30,}"),
    _p(
        "github-token",
        r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
        needles=("gh", "github_pat_"),
    ),
    _p("slack-token", r"xox[abprs]-[A-Za-z0-9-]{10,}"),
    _p("aws-access-key", r"(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])", needles=("AKIA", "ASIA")),
    _p(
        "aws-secret-key",
        r"(?i)aws_?secret_?(?:access_?)?key(?:\\?[\"'])?[\s:=]+(?:\\?[\"'])?"
        r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        needles=_cases("secret"),
    ),
    _p("jwt", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    _p(
        "azure-sas-signature",
        r"(?i)sig=((?:[A-Za-z0-9+/=]|%2[BbFf]|%3[Dd]){20,})",
        needles=_cases("sig="),
    ),
    _p("bearer-token", r"(?i)bearer\s+([A-Za-z0-9._~+/=-]{12,})", needles=_cases("bearer")),
    _p(
        "basic-credential",
        r"(?i)basic\s+(" + _B64 + r"{12,}={0,2})(?![A-Za-z0-9+/=])",
        needles=_cases("basic"),
    ),
    _p("openai-org-id", r"org-[A-Za-z0-9]{20,}(?![A-Za-z0-9])", "identifier"),
    _p("openai-project-id", r"proj_[A-Za-z0-9]{20,}(?![A-Za-z0-9])", "identifier"),
)
"""Provider key shapes, most specific first. Each starts with its literal prefix, so the
regex engine can skip ahead; :func:`_after_boundary` checks the boundary instead."""

_NEEDLES = tuple((needle, n) for n, p in enumerate(VALUE_PATTERNS) for needle in p.needles)
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPE_BEFORE = re.compile(
    r"(?:\\[ntrbf\"'/]|%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2})$"
)


def _after_boundary(text: str, start: int) -> bool:
    """Nothing word-like glued before ``start``, an escape (``\\n``, ``%20``) counting as
    a boundary although it ends in a letter or digit."""
    if not start or text[start - 1] not in _WORD:
        return True
    return _ESCAPE_BEFORE.search(text, max(0, start - 6), start) is not None


def _value_matches(text: str, lowered: str | None = None) -> Iterator[Found]:
    lowered = text.lower() if lowered is None else lowered
    wanted = {n for needle, n in _NEEDLES if needle in lowered}
    if not wanted:
        return
    for n, pattern in enumerate(VALUE_PATTERNS):
        if n not in wanted:
            continue
        group = 1 if pattern.regex.groups else 0
        for match in pattern.regex.finditer(text):
            if group == 0 and not _after_boundary(text, match.start()):
                continue
            value = match.group(group)
            if pattern.rule.kind == "basic-credential" and not _user_password(value):
                continue
            if pattern.rule.kind == "azure-sas-signature":
                value = unquote_plus(value)
            yield Found(match.start(group), match.end(group), value, pattern.rule)


def _user_password(value: str) -> bool:
    """A ``Basic`` credential is base64 of ``user:password`` (not the word "representation")."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_ENCODED_PREFIXES = (
    "sk-", "AIza", "gsk_", "xai-", "pplx-", "r8_", "hf_", "ghp_", "github_pat_", "xox",
    "AKIA", "ASIA", "-----BEGIN", "k_live_",
)  # fmt: skip


def _encoded_needles() -> tuple[str, ...]:
    """What each key prefix looks like at the start of a base64 run (the characters that
    depend on the prefix's bytes alone): a run that *starts* with an encoded key."""
    needles: set[str] = set()
    for prefix in _ENCODED_PREFIXES:
        raw = prefix.encode()
        needle = base64.b64encode(raw).decode()[: (len(raw) * 4) // 3]
        needles.add(needle)
        needles.add(needle.replace("+", "-").replace("/", "_"))
    return tuple(sorted(needles))


_B64_NEEDLES = _encoded_needles()


def _base64_runs(text: str) -> Iterator[tuple[int, int]]:
    """The base64 runs (24+ characters) that contain an encoded key prefix."""
    seen: set[int] = set()
    for needle in _B64_NEEDLES:
        at = text.find(needle)
        while at >= 0:
            start, end = at, at + len(needle)
            while start and text[start - 1] in _B64_CHARS:
                start -= 1
            while end < len(text) and text[end] in _B64_CHARS:
                end += 1
            while end < len(text) and text[end] == "=":
                end += 1
            if start not in seen and end - start >= 24:
                seen.add(start)
                yield start, end
            at = text.find(needle, end)


def _base64_secrets(text: str) -> Iterator[Found]:
    """A base64 run that decodes to text holding a secret is a secret itself."""
    for start, end in _base64_runs(text):
        blob = text[start:end]
        padded = blob.rstrip("=") + "=" * (-len(blob.rstrip("=")) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"))
            decoded = raw.decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        inner = next((f for f in _value_matches(decoded) if not is_placeholder(f.value)), None)
        if inner is not None:
            yield Found(start, end, blob, Rule("base64-" + inner.rule.kind))


_QUERY = re.compile(r"[?&;]([A-Za-z_][\w.-]{0,40})=([^&\s\"'#\\<>]+)")
_HEADER_LINE = re.compile(r"^[ \t]*([A-Za-z][\w-]{1,60}):[ \t]+([^\n]+?)[ \t]*$", re.M)


def _credential_part(rule: Rule, value: str, offset: int) -> tuple[int, str] | None:
    """Which part of a header value is the secret (after the scheme, a cookie's value)."""
    signature = value.find("Signature=")
    if rule.kind == "authorization-header" and value.startswith("AWS4-") and signature > 0:
        secret = re.split(r"[,\s]", value[signature + 10 :], maxsplit=1)[0]
        return offset + signature + 10, secret
    if rule.kind == "authorization-header" or value[:6].lower() in ("bearer", "basic "):
        scheme, sep, credential = value.partition(" ")
        if sep and scheme.isalpha():
            return offset + len(scheme) + 1, credential.strip()
    if rule.kind == "cookie":
        first = value.split(";", 1)[0]
        name, eq, cookie = first.partition("=")
        return (offset + len(name) + 1, cookie) if eq else (offset, first)
    return offset, value


_KEYWORDS = ("key", "token", "secret", "pass", "auth", "sig", "credential", "cookie",
             "organi", "project")  # fmt: skip
"""Every secret field or header name contains one of these (lower-cased)."""
_PAIR_AT = re.compile(r'\\*"([^"\\\n]{1,64})\\*"\s*:\s*(\\*)"')
_STRING_AT = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*')


def _pairs(text: str, lowered: str) -> Iterator[tuple[str, int, str]]:
    """``(name, value start, value)`` of each ``"name": "value"`` whose name contains a
    keyword, also escaped (``\\"name\\": \\"value\\"``, JSON inside a JSON string).

    Keywords are found with ``str.find`` on the lower-cased text, and the pair is matched
    around each: far faster than a regex tried at every quote of a large body.
    """
    starts: set[int] = set()
    for keyword in _KEYWORDS:
        at = lowered.find(keyword)
        while at >= 0:
            quote = text.rfind('"', max(0, at - 64), at)
            if quote >= 0 and quote not in starts:
                begin = quote
                while begin and text[begin - 1] == "\\":
                    begin -= 1
                match = _PAIR_AT.match(text, begin)
                if match is not None and match.start(1) <= at < match.end(1):
                    starts.add(quote)
                    escaped = match.group(2)
                    if escaped:  # inside a JSON string: the value ends at the next \"
                        end = text.find(escaped + '"', match.end())
                        if end >= 0:
                            yield match.group(1), match.end(), text[match.end() : end]
                    else:
                        value = _STRING_AT.match(text, match.end())
                        if value is not None:
                            yield match.group(1), match.end(), value.group(0)
            at = lowered.find(keyword, at + len(keyword))


def _field_matches(text: str, lowered: str) -> Iterator[Found]:
    for name, start, value in _pairs(text, lowered):
        if not value:
            continue
        rule = header_rule(name) if _looks_like_header(name) else None
        rule = rule or field_rule(name, value)
        if rule is None:
            continue
        part = _credential_part(rule, value, start)
        if part is not None and part[1]:
            yield Found(part[0], part[0] + len(part[1]), part[1], rule)
    if "=" in text:
        for match in _QUERY.finditer(text):
            rule = param_rule(match.group(1))
            if rule is not None:
                value = match.group(2)
                yield Found(match.start(2), match.end(2), unquote_plus(value), rule)


def _looks_like_header(name: str) -> bool:
    lowered = name.lower()
    return "-" in lowered or lowered in ("authorization", "cookie")


def _header_lines(text: str) -> Iterator[Found]:
    """``Name: value`` lines (HTTP heads, YAML maps) whose name is a credential header."""
    if "\n" not in text and not text[:1].isalpha():  # one JSON document: no header lines
        return
    for match in _HEADER_LINE.finditer(text):
        rule = header_rule(match.group(1))
        if rule is None or not _looks_like_header(match.group(1)):
            continue
        value = match.group(2).strip("'\"")
        offset = match.start(2) + (1 if match.group(2)[:1] in "'\"" else 0)
        part = _credential_part(rule, value, offset)
        if part is not None and part[1]:
            yield Found(part[0], part[0] + len(part[1]), part[1], rule)


def find(text: str, *, placeholders: bool = False) -> list[Found]:
    """Every secret in ``text``, by value, by JSON field, by query parameter and by
    ``Name: value`` header line, in order; placeholders are left out unless asked for."""
    if len(text) < 8:
        return []
    lowered = text.lower()
    found = [
        *_value_matches(text, lowered),
        *_base64_secrets(text),
        *_field_matches(text, lowered),
        *_header_lines(text),
    ]
    if not placeholders:
        found = [f for f in found if not is_placeholder(f.value)]
    return sorted(found, key=lambda f: (f.start, -f.end))


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
    """A word made of one repeated unit (``xxxx``, ``testtest``, ``0000``) or a run of an
    obvious sequence (``123456789``, ``abcdefgh``)."""
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


# --------------------------------------------------------------------------- masking


def mask_text(text: str, mask: str = MASK, extra: Iterable[str] = ()) -> str:
    """``text`` with every secret (and every value of ``extra``) replaced by ``mask``."""
    spans = [(f.start, f.end) for f in find(text)]
    for secret in extra:
        if len(secret) >= 8:
            start = text.find(secret)
            while start >= 0:
                spans.append((start, start + len(secret)))
                start = text.find(secret, start + 1)
    return _replace(text, spans, mask) if spans else text


def _replace(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    out, position = [], 0
    for a, b in merge(spans):
        out += [text[position:a], mask]
        position = b
    return "".join(out) + text[position:]


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, in order."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def mask_header(name: str, value: str, mask: str = MASK) -> str:
    """One header value as a log shows it: the scheme of ``Authorization`` and the names
    of cookies stay, so a reader can still tell a bearer token was sent."""
    rule = header_rule(name)
    if rule is None:  # an ordinary header: only a value that is a key by its shape
        spans = [(f.start, f.end) for f in (*_value_matches(value), *_base64_secrets(value))]
        return _replace(value, spans, mask) if spans else value
    lowered = name.lower()
    if rule.kind == "authorization-header" or value[:7].lower() in ("bearer ", "basic "):
        scheme, sep, _ = value.partition(" ")
        return f"{scheme} {mask}" if sep and scheme.isalpha() else mask
    if lowered == "cookie":
        pairs = [p.strip().partition("=") for p in value.split(";") if p.strip()]
        return "; ".join(f"{k}={mask}" if eq else mask for k, eq, _ in pairs)
    if lowered == "set-cookie":
        first, sep, attributes = value.partition(";")
        cookie, eq, _ = first.partition("=")
        return (f"{cookie}={mask}" if eq else mask) + sep + attributes
    return mask


def mask_headers(headers: Iterable[tuple[str, str]], mask: str = MASK) -> dict[str, str]:
    """Lower-case names, every secret masked."""
    return {name.lower(): mask_header(name, value, mask) for name, value in headers}


def mask_url(url: str, mask: str = MASK) -> str:
    """Secret query values and URL passwords masked; the rest as sent."""
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(parts.password, mask, 1))
    if parts.query:
        pairs = (pair.partition("=") for pair in parts.query.split("&"))
        query = "&".join(
            f"{k}{eq}{mask if eq and param_rule(k) else mask_text(v, mask)}" for k, eq, v in pairs
        )
        parts = parts._replace(query=query)
    return urlunsplit(parts)


def mask_json(doc: Any, mask: str = MASK) -> Any:
    """A JSON-like value with secrets masked at any depth: values under secret field or
    header names, and secrets inside any string (also JSON encoded in a string).

    The whole document is searched once first: most have nothing to mask."""
    try:
        if isinstance(doc, dict | list) and not find(json.dumps(doc, ensure_ascii=False)):
            return doc
        return _mask_json(doc, mask)
    except RecursionError:  # nested too deep to inspect: show none of it
        return mask


def _mask_json(doc: Any, mask: str) -> Any:
    if isinstance(doc, dict):
        out: dict[Any, Any] = {}
        for key, value in doc.items():
            if isinstance(key, str) and isinstance(value, str):
                rule = header_rule(key) if _looks_like_header(key) else None
                if rule is not None:
                    out[key] = mask_header(key, value, mask) if value else value
                    continue
                if value and field_rule(key, value) is not None:
                    out[key] = mask
                    continue
            out[key] = _mask_json(value, mask)
        return out
    if isinstance(doc, list | tuple):
        return [_mask_json(item, mask) for item in doc]
    if isinstance(doc, str):
        return mask_text(doc, mask)
    return doc
