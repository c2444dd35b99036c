"""The secret policy by value, and :func:`find`: every secret in a text.

Provider key shapes, JWTs, PEM blocks, AWS keys, SAS signatures, ``Bearer``/``Basic``
credentials and base64 of keys anywhere; JSON fields named like secrets (also escaped, in
JSON inside a string); secret query parameters; ``Name: value`` header lines. Each value
pattern is skipped at C speed when none of its literal needles is in the text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_plus

from harness.vocab.secrets.names import (
    Found,
    Rule,
    Severity,
    field_rule,
    header_rule,
    is_placeholder,
    looks_like_header,
    param_rule,
)

__all__ = ["VALUE_PATTERNS", "find", "value_secrets"]

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
        rule = header_rule(name) if looks_like_header(name) else None
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


def _header_lines(text: str) -> Iterator[Found]:
    """``Name: value`` lines (HTTP heads, YAML maps) whose name is a credential header."""
    if "\n" not in text and not text[:1].isalpha():  # one JSON document: no header lines
        return
    for match in _HEADER_LINE.finditer(text):
        rule = header_rule(match.group(1))
        if rule is None or not looks_like_header(match.group(1)):
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


def value_secrets(text: str) -> list[Found]:
    """Secrets ``text`` holds by their shape alone (a header value, a query value)."""
    return [
        f for f in (*_value_matches(text), *_base64_secrets(text)) if not is_placeholder(f.value)
    ]
