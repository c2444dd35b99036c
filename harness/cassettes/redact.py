"""Redaction: secrets out of an interaction before it is written anywhere.

On by default when recording. Credentials are found four ways: by header name
(``Authorization`` keeps its scheme, cookies keep their names), by query parameter
(``key=``, ``api_key=``...), by JSON field name (``api_key``, ``apiKey``, ``client_secret``,
``token``, ``password``...) and by value (provider key shapes, JWTs, ``Bearer ...``, AWS
keys, organization and project ids; see :mod:`harness.cassettes.patterns`). Every
credential found in a header, parameter or field is then also scrubbed wherever else it
appears (an error message that echoes the key, a redirect URL).

Bodies are edited as bytes at the exact spans, so JSON layout, SSE framing and the recorded
chunk boundaries survive; a secret split across two reads is still found, because spans are
searched in the joined body and the boundaries are moved out of the replaced spans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from harness.cassettes.joined import split_secrets
from harness.cassettes.model import Interaction, RecordedChunk, RecordedRequest
from harness.vocab.secrets import PLACEHOLDER, find, header_rule, merge, param_rule

__all__ = ["Redactor", "parse_json_path"]

_PATH_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\*|\d+)\]")


def parse_json_path(path: str) -> tuple[str | int | None, ...]:
    """``a.b[0].c`` / ``$.messages[*].name`` -> steps (a key, an index, or None for ``*``)."""
    text = path[1:] if path.startswith("$") else path
    steps: list[str | int | None] = []
    position = 0
    while position < len(text):
        match = _PATH_STEP.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(
                f"bad JSON path {path!r} at character {position + 1}: expected .key or [n] or [*]"
            )
        key, index = match.groups()
        if key is not None:
            steps.append(None if key == "*" else key)
        else:
            steps.append(None if index == "*" else int(index))
        position = match.end()
    if not steps:
        raise ValueError(f"empty JSON path {path!r}")
    return tuple(steps)


def _at_path(doc: Any, steps: tuple[str | int | None, ...]) -> Iterable[Any]:
    if not steps:
        yield doc
        return
    step, rest = steps[0], steps[1:]
    if isinstance(doc, dict):
        children = doc.values() if step is None else [doc[step]] if step in doc else []
    elif isinstance(doc, list):
        if step is None:
            children = doc
        elif isinstance(step, int) and -len(doc) <= step < len(doc):
            children = [doc[step]]
        else:
            children = []
    else:
        children = []
    for child in children:
        yield from _at_path(child, rest)


@dataclass(frozen=True)
class Redactor:
    """Redaction rules: the defaults plus a user's own (header names, query parameters,
    JSON paths, regexes whose group 1, or whole match, is replaced)."""

    headers: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()
    json_paths: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    defaults: bool = True
    replacement: str = PLACEHOLDER
    _paths: tuple[tuple[str | int | None, ...], ...] = field(init=False, repr=False)
    _regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", frozenset(h.lower() for h in self.headers))
        object.__setattr__(self, "params", frozenset(p.lower() for p in self.params))
        object.__setattr__(self, "_paths", tuple(parse_json_path(p) for p in self.json_paths))
        compiled = []
        for regex in self.regexes:
            try:
                compiled.append(re.compile(regex))
            except re.error as exc:
                raise ValueError(f"bad redaction regex {regex!r}: {exc}") from None
        object.__setattr__(self, "_regexes", tuple(compiled))

    # ------------------------------------------------------------------ public

    def interaction(self, interaction: Interaction) -> Interaction:
        """A copy of ``interaction`` with every secret replaced."""
        secrets: set[str] = set()
        rq, rs = interaction.request, interaction.response
        request_headers = self._headers(rq.headers, secrets)
        response_headers = self._headers(rs.headers, secrets)
        uri = self._uri(rq.uri, secrets)
        for body in (rq.body, rs.body):  # first every credential, then every edit
            self._collect_fields(body or b"", secrets)
            self._spans((body or b"").decode("latin-1"), secrets)
        request_body = None if rq.body is None else self._body(rq.body, (), secrets)[0]
        cuts = tuple(accumulate(len(c.data) for c in rs.chunks))[:-1] if rs.chunks else ()
        response_body, new_cuts = self._body(rs.body, cuts, secrets)
        chunks = rs.chunks
        if rs.chunks:  # an empty body has no chunks to re-split
            bounds = [0, *new_cuts, len(response_body)]
            chunks = tuple(
                RecordedChunk(c.offset, response_body[a:b])
                for c, (a, b) in zip(rs.chunks, pairwise(bounds), strict=True)
            )
        # headers and URI again: a credential first seen in a body may be echoed there
        return replace(
            interaction,
            request=RecordedRequest(
                rq.method,
                self._scrub_text(uri, secrets),
                self._final_headers(request_headers, rq.body, request_body, secrets),
                request_body,
            ),
            response=replace(
                rs,
                headers=self._final_headers(response_headers, rs.body, response_body, secrets),
                body=response_body,
                chunks=chunks,
            ),
        )

    def _final_headers(
        self,
        headers: list[tuple[str, str]],
        old: bytes | None,
        new: bytes | None,
        secrets: set[str],
    ) -> tuple[tuple[str, str], ...]:
        """Scrubbed once more, with ``Content-Length`` matching a body redaction changed."""
        out = []
        for name, value in headers:
            if name.lower() == "content-length" and old != new and new is not None:
                value = str(len(new))
            out.append((name, self._scrub_text(value, secrets)))
        return tuple(out)

    # ------------------------------------------------------------------ headers and URL

    def _secret_header(self, name: str) -> bool:
        return name.lower() in self.headers or (self.defaults and header_rule(name) is not None)

    def _headers(
        self, headers: Iterable[tuple[str, str]], secrets: set[str]
    ) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, value in headers:
            if self._secret_header(name) and not self._done(value):
                value = self._header_value(name.lower(), value, secrets)
            out.append((name, self._scrub_text(value, secrets)))
        return out

    def _header_value(self, name: str, value: str, secrets: set[str]) -> str:
        r = self.replacement
        if name in ("authorization", "proxy-authorization"):
            scheme, sep, credential = value.partition(" ")
            if sep and scheme.isalpha():
                self._remember(credential.strip(), secrets)
                return f"{scheme} {r}"
            self._remember(value, secrets)
            return r
        if name == "cookie":
            pairs = [p.strip().partition("=") for p in value.split(";") if p.strip()]
            for _, _, v in pairs:
                self._remember(v, secrets)
            return "; ".join(f"{k}={r}" if eq else r for k, eq, _ in pairs)
        if name == "set-cookie":
            first, sep, attributes = value.partition(";")
            cookie, eq, v = first.partition("=")
            self._remember(v, secrets)
            return (f"{cookie}={r}" if eq else r) + sep + attributes
        self._remember(value, secrets)
        return r

    def _uri(self, uri: str, secrets: set[str]) -> str:
        parts = urlsplit(uri)
        if parts.username or parts.password:
            self._remember(parts.password or "", secrets)
            port = f":{parts.port}" if parts.port else ""
            parts = parts._replace(netloc=(parts.hostname or "") + port)
        if not parts.query:
            return urlunsplit(parts)
        return urlunsplit(parts._replace(query=self._pairs(parts.query, secrets)))

    def _pairs(self, query: str, secrets: set[str]) -> str:
        """``a=1&key=...``: secret parameters' values replaced, the rest byte for byte."""
        out = []
        for pair in query.split("&"):
            name, eq, value = pair.partition("=")
            decoded = unquote_plus(name)
            secret = decoded.lower() in self.params or (
                self.defaults and param_rule(decoded) is not None
            )
            if eq and secret and not self._done(unquote_plus(value)):
                self._remember(unquote_plus(value), secrets)
                value = quote(self.replacement)
            out.append(f"{name}{eq}{value}")
        return "&".join(out)

    def _done(self, value: str) -> bool:
        """Already redacted (or empty): nothing to do."""
        return not value.strip() or self.replacement in value

    def _remember(self, value: str, secrets: set[str]) -> None:
        """A credential to scrub everywhere else too (long enough not to hit ordinary text)."""
        value = value.strip()
        if len(value) >= 8 and not self._done(value):
            secrets.add(value)

    # ------------------------------------------------------------------ bodies

    def _collect_fields(self, body: bytes, secrets: set[str]) -> None:
        """Values at the user's JSON paths, in a JSON body or in each SSE data line."""
        if not self._paths or not body:
            return
        text = body.decode("utf-8", "replace")
        documents = (
            [text]
            if text.lstrip()[:1] in ("{", "[")
            else [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        )
        for document in documents:
            try:
                doc = json.loads(document)
            except (ValueError, RecursionError):
                continue
            for steps in self._paths:
                for value in _at_path(doc, steps):
                    if isinstance(value, str) and value:
                        secrets.add(value)
                    elif value is not None and not isinstance(value, dict | list):
                        secrets.add(json.dumps(value))

    def _spans(self, text: str, secrets: set[str]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        if self.defaults:
            for found in [*find(text), *split_secrets(text)]:
                if self.replacement not in found.value:
                    spans.append((found.start, found.end))
                    self._remember(found.value, secrets)
        for regex in self._regexes:
            spans.extend(_matches(regex, text, self.replacement))
        for secret in sorted(secrets, key=len, reverse=True):
            for form in {secret, json.dumps(secret)[1:-1]}:
                start = text.find(form)
                while start >= 0:
                    spans.append((start, start + len(form)))
                    start = text.find(form, start + 1)
        return spans

    def _scrub_text(self, text: str, secrets: set[str]) -> str:
        spans = self._spans(text, secrets)
        if not spans:
            return text
        out, position = [], 0
        for a, b in merge(spans):
            out += [text[position:a], self.replacement]
            position = b
        return "".join(out) + text[position:]

    def _body(
        self, body: bytes, cuts: tuple[int, ...], secrets: set[str]
    ) -> tuple[bytes, tuple[int, ...]]:
        """Replace secret spans in ``body``; chunk cuts inside a span move to its start.

        The body is read as Latin-1 so that string offsets are byte offsets (every pattern
        is ASCII); the replacement is ASCII too, so nothing else changes.
        """
        text = body.decode("latin-1")
        spans = merge(self._spans(text, secrets))
        if not spans:
            return body, cuts
        replacement = self.replacement.encode()
        out: list[bytes] = []
        position = 0
        shift: list[tuple[int, int, int]] = []  # (span start, span end, length change)
        for a, b in spans:
            out += [body[position:a], replacement]
            shift.append((a, b, len(replacement) - (b - a)))
            position = b
        out.append(body[position:])
        new_cuts = []
        for cut in cuts:
            delta = 0
            moved = cut
            for a, b, change in shift:
                if cut >= b:
                    delta += change
                elif a < cut < b:
                    moved = a
            new_cuts.append(moved + delta)
        return b"".join(out), tuple(new_cuts)


def _matches(regex: re.Pattern[str], text: str, replacement: str) -> list[tuple[int, int]]:
    """Spans to replace: group 1 when the regex has one, else the whole match; matches that
    are already the replacement are left alone (redacting twice changes nothing)."""
    found = []
    for match in regex.finditer(text):
        group = 1 if regex.groups >= 1 and match.group(1) is not None else 0
        if replacement not in match.group(group):
            found.append(match.span(group))
    return found
