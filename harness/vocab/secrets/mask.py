"""Masking for logs and reports: the request log of replays and every report writer show
``***`` wherever the secret policy finds a secret (cassettes use ``REDACTED``, see
:mod:`harness.cassettes.redact`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.vocab.secrets.names import MASK, field_rule, header_rule, looks_like_header, param_rule
from harness.vocab.secrets.values import find, value_secrets

__all__ = ["mask_header", "mask_headers", "mask_json", "mask_text", "mask_url", "merge"]


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
        spans = [(f.start, f.end) for f in value_secrets(value)]
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
    """Lower-case names, every secret masked (a client sends the same headers with every
    request: each pair is masked once per process)."""
    return {name.lower(): _masked_header(name, value, mask) for name, value in headers}


@functools.lru_cache(maxsize=4096)
def _masked_header(name: str, value: str, mask: str) -> str:
    return mask_header(name, value, mask)


def mask_url(url: str, mask: str = MASK) -> str:
    """Secret query values and URL passwords masked; the rest as sent (a client sends to
    the same few URLs again and again: each is masked once per process)."""
    return _masked_url(url, mask)


@functools.lru_cache(maxsize=1024)
def _masked_url(url: str, mask: str) -> str:
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
                rule = header_rule(key) if looks_like_header(key) else None
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
