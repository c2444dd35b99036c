"""Secrets split across SSE events: found in the joined text of each streamed field.

A provider streams a reply in pieces (``"content": "sk-pr"`` then ``"content": "oj-..."``),
so a key the model echoes may sit in no single event. The string values at the same JSON
path of every ``data:`` event are joined, searched with the secret policy, and each match
mapped back to the byte spans of its pieces in the raw body: replacing those spans inside
their JSON strings keeps every event valid JSON and every chunk where it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from harness.vocab.secrets import Found, find

__all__ = ["split_secrets"]

_DATA = re.compile(r"^[ \t]*data:[ ]?(.*?)\r?$", re.M)
_MAX_EVENTS = 20_000


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(doc, list):
        for n, value in enumerate(doc):
            yield from _leaves(value, (*path, n))
    elif isinstance(doc, str) and doc:
        yield path, doc


def _raw_offsets(raw: str, value: str) -> tuple[int, bool] | None:
    """Where ``value``'s JSON encoding starts in ``raw``, and whether it is ASCII-escaped."""
    for ascii_only in (False, True):
        encoded = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        at = raw.find('"' + encoded + '"')
        if at >= 0:
            return at + 1, ascii_only
    return None


def _encoded_length(text: str, ascii_only: bool) -> int:
    return len(json.dumps(text, ensure_ascii=ascii_only)) - 2


def split_secrets(text: str) -> list[Found]:
    """Spans (in ``text``) of the pieces of every secret that spans two or more events."""
    if "data:" not in text:
        return []
    pieces: dict[tuple[Any, ...], list[tuple[int, str, str]]] = {}
    for count, match in enumerate(_DATA.finditer(text)):
        if count > _MAX_EVENTS:
            break
        raw = match.group(1)
        if not raw.startswith(("{", "[")):
            continue
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        for path, value in _leaves(doc):
            pieces.setdefault(path, []).append((match.start(1), raw, value))
    found: list[Found] = []
    for parts in pieces.values():
        if len(parts) < 2:
            continue
        joined = "".join(value for _, _, value in parts)
        bounds = []
        position = 0
        for _, _, value in parts:
            bounds.append((position, position + len(value)))
            position += len(value)
        for hit in find(joined):
            touched = [n for n, (a, b) in enumerate(bounds) if a < hit.end and hit.start < b]
            if len(touched) < 2:
                continue  # inside one event: the plain search finds it
            for n in touched:
                offset, raw, value = parts[n]
                a, b = bounds[n]
                located = _raw_offsets(raw, value)
                if located is None:
                    continue
                start_in_raw, ascii_only = located
                lo, hi = max(hit.start, a) - a, min(hit.end, b) - a
                start = offset + start_in_raw + _encoded_length(value[:lo], ascii_only)
                end = offset + start_in_raw + _encoded_length(value[:hi], ascii_only)
                found.append(Found(start, end, hit.value, hit.rule))
    return found
