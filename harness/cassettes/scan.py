"""``harness scan``: find secrets in cassettes before they are committed.

Text files are read line by line, so every finding has a ``file:line``. Four ways a secret
shows: a provider key shape anywhere (``sk-...``, ``AIza...``, JWTs, AWS keys, ``Bearer
...``), a credential header (YAML ``Authorization:`` with its value on the same line or on
the ``- value`` line below, JSON ``"api-key": "..."``, aiohttp's ``- Authorization`` /
``: - value`` pairs), a secret query parameter (``?key=...``), and a JSON field named like a
credential inside a recorded body. Compressed (``!!binary`` gzip) bodies are decompressed
and searched too, reported at their interaction's line. Placeholders (see
:func:`~harness.cassettes.patterns.is_placeholder`) are never findings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.cassettes.joined import split_secrets
from harness.vocab.secrets import Severity, header_rule, is_placeholder
from harness.vocab.secrets import find as find_secrets

__all__ = ["Leak", "scan_file", "scan_paths", "scan_text"]

SUFFIXES = (".yaml", ".yml", ".json", ".gz")
MAX_DECOMPRESSED = 256 * 1024 * 1024
"""A gzip file expanding beyond this is refused (a zip bomb must not exhaust memory)."""
_NEWLINE = re.compile("\n")
_HEADER_KEY = re.compile(r"""^[ \t]*(?:-[ \t]+)?["']?([A-Za-z][\w-]*)["']?[ \t]*:?[ \t]*$""", re.M)
"""A line naming a header as a key with its value on the lines below (YAML, aiohttp)."""
_LIST_ITEM = re.compile(r"""^[ \t]*(?::[ \t]*)?-[ \t]+(.*?)[ \t]*$""")


@dataclass(frozen=True, slots=True)
class Leak:
    """One secret found: where, what kind, and the value (only ever shown masked)."""

    path: str
    line: int
    kind: str
    value: str = field(repr=False)
    note: str = ""
    severity: Severity = "credential"

    @property
    def excerpt(self) -> str:
        return mask(self.value) + (f" {self.note}" if self.note else "")

    def render(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.kind}: {self.excerpt}"


def mask(value: str) -> str:
    """Enough of a secret to recognise it, not enough to use it."""
    value = value.strip()
    if len(value) <= 10:
        return f"{value[:2]}... ({len(value)} chars)"
    return f"{value[:6]}...{value[-2:]} ({len(value)} chars)"


def _clean(value: str) -> str:
    value = value.strip().strip(",").strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1].strip()
    return value.strip("'\"")


def _header_value(kind: str, value: str) -> str:
    """The part of a header value that is the secret (a cookie's value, a token)."""
    if kind == "cookie":
        first = value.split(";", 1)[0]
        return first.partition("=")[2] if "=" in first else first
    if kind == "authorization-header":
        scheme, sep, credential = value.partition(" ")
        return credential if sep and scheme.isalpha() else value
    return value


def scan_text(text: str, source: str) -> list[Leak]:
    """Every secret in ``text``, each value once (at its first line), with its severity.

    The secret policy finds values, JSON fields, query parameters and ``Name: value`` lines
    in one pass over the whole text (line numbers come from the offsets); header names
    whose value sits on the lines below (YAML lists, aiohttp pairs) are followed here.
    """
    found: dict[str, Leak] = {}
    starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def add(offset: int, kind: str, value: str, severity: Severity) -> None:
        value = _clean(value)
        if value and not is_placeholder(value) and value not in found:
            line = bisect_right(starts, offset)
            found[value] = Leak(source, line, kind, value, severity=severity)

    for hit in sorted([*find_secrets(text), *split_secrets(text)], key=lambda f: f.start):
        add(hit.start, hit.rule.kind, hit.value, hit.rule.severity)
    lines = text.split("\n")
    for match in _HEADER_KEY.finditer(text):
        rule = header_rule(match.group(1))
        if rule is None:
            continue
        # the value is on the lines below: "- value" (YAML list) or ": - value" (aiohttp)
        number = bisect_right(starts, match.start())
        for below in lines[number : number + 8]:
            item = _LIST_ITEM.match(below)
            if item is None:
                break
            value = _header_value(rule.kind, _clean(item.group(1)))
            add(starts[number] + item.start(1), rule.kind, value, rule.severity)
            number += 1
    return sorted(found.values(), key=lambda leak: (leak.line, leak.kind))


def _interactions(data: bytes, source: str) -> list[Leak]:
    """Secrets the text of the file hides: inside compressed bodies, and across the lines
    YAML folds a long string into. Each interaction's URL, headers and decoded bodies are
    scanned on their own, reported at the interaction's line."""
    from harness.cassettes.format import parse_cassette
    from harness.cassettes.model import CassetteError
    from harness.cassettes.wire import decoded_body, is_compressed

    try:
        cassette = parse_cassette(data, source)
    except CassetteError:
        return []
    leaks: list[Leak] = []
    for interaction in cassette.interactions:
        rq, rs = interaction.request, interaction.response
        note = "(in a compressed body)" if is_compressed(rs.body) else ""
        texts = [
            rq.uri,
            "\n".join(f"{k}: {v}" for k, v in (*rq.headers, *rs.headers)),
            (rq.body or b"").decode("utf-8", "replace"),
            decoded_body(rs).decode("utf-8", "replace"),
        ]
        for text in texts:
            for leak in scan_text(text, source):
                where = interaction.line or 1
                leaks.append(Leak(source, where, leak.kind, leak.value, note, leak.severity))
    return leaks


def scan_file(path: str | Path) -> list[Leak]:
    """Secrets in one file (``.gz`` files are decompressed first), each value once.

    Raises :class:`~harness.cassettes.model.CassetteError` for a file that cannot be read or
    decompressed (a gzip bomb is refused, see :data:`~harness.cassettes.wire.MAX_INFLATED`).
    """
    from harness.cassettes.model import CassetteError
    from harness.cassettes.wire import gunzip

    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, str(path))
    text = data.decode("utf-8", "replace")
    leaks = scan_text(text, str(path))
    if "interactions" in text:
        seen = {leak.value for leak in leaks}
        for leak in _interactions(data, str(path)):
            if leak.value not in seen:
                seen.add(leak.value)
                leaks.append(leak)
    return leaks


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
        else:
            out.append(path)
    return out


def scan_paths(paths: Sequence[str | Path], allow: Sequence[str] = ()) -> list[Leak]:
    """Secrets in files and directories (recursively: ``*.yaml``, ``*.yml``, ``*.json``);
    findings whose value matches an ``allow`` regex are dropped."""
    allowed = [re.compile(a) for a in allow]
    leaks: list[Leak] = []
    for path in _files(paths):
        for leak in scan_file(path):
            if not any(a.search(leak.value) for a in allowed):
                leaks.append(leak)
    return leaks
