"""``harness diff A B``: what changed between two recordings (or two transcripts).

After a re-record or an SDK upgrade, a byte diff of two cassettes is all noise: ids,
timestamps, header order, JSON spacing. This compares meaning instead. Per interaction (in
order): the request (method, path, query, non-volatile headers, JSON body key by key) and
the conversation the response carries, read in its dialect (text, reasoning, tool calls by
name and arguments, finish, usage, error). A response no reader understands (Azure AI Agents
streams, Gemini, a body its dialect cannot parse) is compared event by event (SSE), else
key by key (JSON), else byte for byte, so a change is never missed.

Exit status of ``harness diff``: 0 when both say the same, 1 when they differ, 2 when an
input cannot be read. For transcripts (``harness run --json`` output or
a saved Transcript): the events and the requests the adapter sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from harness.cassettes.detect import detect_dialect
from harness.cassettes.model import Cassette, CassetteError, Interaction
from harness.cassettes.reply import read_interaction, readable
from harness.cassettes.wire import decoded_body, is_sse, sse_events

__all__ = ["VOLATILE_HEADERS", "VOLATILE_KEYS", "diff_cassettes", "diff_paths", "diff_transcripts"]

VOLATILE_KEYS = frozenset(
    {"id", "created", "created_at", "completed_at", "started_at", "expires_at",
     "system_fingerprint", "obfuscation", "p", "request_id", "response_id", "item_id",
     "call_id", "tool_call_id", "timestamp", "date", "at", "wall_seconds", "virtual_seconds",
     "seed"}
)  # fmt: skip
"""JSON keys whose values change on every recording."""

VOLATILE_HEADERS = frozenset(
    {"date", "x-request-id", "request-id", "cf-ray", "set-cookie", "cookie", "content-length",
     "openai-processing-ms", "x-envoy-upstream-service-time", "x-stainless-retry-count",
     "x-stainless-read-timeout", "authorization", "api-key", "x-api-key", "host",
     "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests",
     "x-ratelimit-reset-tokens", "anthropic-ratelimit-requests-remaining", "req-cost-time",
     "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-input-tokens-remaining",
     "anthropic-ratelimit-output-tokens-remaining", "x-kong-request-id", "apim-request-id",
     "x-ms-client-request-id", "mistral-correlation-id", "x-amz-date", "x-amz-security-token",
     "amz-sdk-invocation-id", "x-amzn-trace-id", "x-amzn-requestid"}
)  # fmt: skip
"""Request headers whose values change on every request (secrets are compared by presence)."""

INSTALL_HEADERS = frozenset({"accept-encoding"})
"""Request headers the HTTP library fills from what is installed beside it (httpx adds
``zstd`` and ``br`` when zstandard or brotli import), not from the adapter's code."""


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, volatile keys left out."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, child in value.items():
            if key in VOLATILE_KEYS:
                continue
            out.update(_flatten(child, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for n, child in enumerate(value):
            out.update(_flatten(child, f"{prefix}[{n}]"))
    else:
        out[prefix or "(body)"] = value
    return out


def _short(value: Any, limit: int = 70) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    lines = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            lines.append(f"- {key}: {_short(a[key])}")
        elif key not in a:
            lines.append(f"+ {key}: {_short(b[key])}")
        elif a[key] != b[key]:
            lines.append(f"~ {key}: {_short(a[key])} -> {_short(b[key])}")
    return lines


def _headers(interaction: Interaction) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in interaction.request.headers:
        key = name.lower()
        if key in ("authorization", "api-key", "x-api-key", "cookie"):
            out[key] = "(present)"
        elif key not in VOLATILE_HEADERS and key not in INSTALL_HEADERS:
            out[key] = value
    return out


def _body_view(interaction: Interaction) -> dict[str, Any]:
    """A response no dialect reader understands, still compared in full: its SSE events
    (event name and data, JSON data key by key without volatile keys), else its JSON key by
    key, else its bytes; so any change shows, never "no semantic differences"."""
    body = decoded_body(interaction.response)
    if is_sse(interaction, body):
        out: dict[str, Any] = {"events": len(events := sse_events(body))}
        for n, event in enumerate(events):
            if event.event is not None:
                out[f"events[{n}].event"] = event.event
            try:
                data: Any = json.loads(event.data)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict | list):
                out.update({f"events[{n}].{k}": v for k, v in _flatten(data).items()})
            else:
                out[f"events[{n}].data"] = event.data
        return out
    parsed = interaction.response.json()
    if parsed is not None:
        return {f"body.{k}": v for k, v in _flatten(parsed).items()}
    return {"body": _bytes_view(body)} if body else {}


def _bytes_view(body: bytes) -> str:
    """The bytes themselves when short, else their length and digest."""
    if len(body) <= 200:
        return body.decode("utf-8", "replace")
    return f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}"


def _conversation(interaction: Interaction) -> dict[str, Any]:
    """The neutral reply (or error) of one response, as comparable values."""
    dialect = detect_dialect(interaction)
    out: dict[str, Any] = {"status": interaction.response.status}
    if dialect not in readable():
        out.update(_body_view(interaction))
        return out
    reading = read_interaction(interaction, dialect)
    if reading.raw is not None:  # a body its dialect cannot read: compared as it is
        out.update(_body_view(interaction))
        out["error"] = reading.error_kind()
        return out
    attempt = reading.attempt()
    reply = getattr(attempt, "reply", None)
    if reply is None:
        out["error"] = reading.error_kind()
        return out
    out["text"] = "".join(getattr(p, "text", "") for p in reply.parts)
    reasoning = "".join(getattr(p, "reasoning", "") for p in reply.parts)
    if reasoning:
        out["reasoning"] = reasoning
    calls = [p.tool_call for p in reply.parts if hasattr(p, "tool_call")]
    for n, call in enumerate(calls):
        args = call.arguments
        if isinstance(args, str):
            with suppress(ValueError):
                args = json.loads(args)
        out[f"tool_calls[{n}]"] = {"name": call.name, "arguments": args}
    out["finish"] = reply.finish
    if reply.usage is not None:
        out["usage"] = {"input": reply.usage.input, "output": reply.usage.output}
    if reading.error_kind() is not None:
        out["error"] = reading.error_kind()
    out["streamed"] = reading.stream
    return out


def diff_cassettes(a: Cassette, b: Cassette) -> list[str]:
    """Lines describing what changed from ``a`` to ``b`` (empty: same conversation)."""
    lines: list[str] = []
    for n in range(max(len(a.interactions), len(b.interactions))):
        left = a.interactions[n] if n < len(a.interactions) else None
        right = b.interactions[n] if n < len(b.interactions) else None
        if left is None or right is None:
            there = right or left
            assert there is not None
            sign = "+" if left is None else "-"
            lines.append(f"{sign} interaction {n + 1}: {there.request.method} {there.request.path}")
            continue
        found: list[str] = []
        rq_a, rq_b = left.request, right.request
        found += _compare(
            {"method": rq_a.method, "path": rq_a.path, **{f"query.{k}": v for k, v in rq_a.query}},
            {"method": rq_b.method, "path": rq_b.path, **{f"query.{k}": v for k, v in rq_b.query}},
        )
        found += [
            f"{line[:2]}header {line[2:]}" for line in _compare(_headers(left), _headers(right))
        ]
        body_a, body_b = rq_a.json(), rq_b.json()
        if body_a is not None or body_b is not None:
            found += [
                f"{line[:2]}request.{line[2:]}"
                for line in _compare(_flatten(body_a or {}), _flatten(body_b or {}))
            ]
        elif (rq_a.body or b"") != (rq_b.body or b""):
            found.append("~ request body (not JSON) differs")
        found += [
            f"{line[:2]}reply.{line[2:]}"
            for line in _compare(_conversation(left), _conversation(right))
        ]
        if found:
            lines.append(f"interaction {n + 1} ({rq_b.method} {rq_b.path}):")
            lines += [f"  {line}" for line in found]
    return lines


def _transcript(data: Any, source: str) -> dict[str, Any]:
    if isinstance(data, dict) and isinstance(data.get("transcript"), dict):
        data = data["transcript"]  # harness run --json
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise CassetteError(f"{source}: not a transcript (expected 'events')")
    return data


def _events(transcript: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": "", "reasoning": ""}
    calls = 0
    for event in transcript.get("events", []):
        kind = event.get("kind")
        if kind in ("text", "reasoning"):
            out[kind] += event.get("text", "")
        elif kind == "tool_call":
            out[f"tool_calls[{calls}]"] = {
                "name": event.get("name"),
                "arguments": event.get("arguments", event.get("raw")),
            }
            calls += 1
        elif kind == "usage":
            out["usage"] = {
                k: event.get(k)
                for k in ("input", "output", "cache_read", "cache_write")
                if event.get(k) is not None
            }
        elif kind == "finish":
            out["finish"] = event.get("reason")
        elif kind == "error":
            out["error"] = {"kind": event.get("error"), "type": event.get("type")}
    return out


def diff_transcripts(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    lines = [f"{line[:2]}events.{line[2:]}" for line in _compare(_events(a), _events(b))]
    requests_a, requests_b = a.get("requests", []), b.get("requests", [])
    for n in range(max(len(requests_a), len(requests_b))):
        ra = requests_a[n] if n < len(requests_a) else {}
        rb = requests_b[n] if n < len(requests_b) else {}
        view_a = {
            "method": ra.get("method"),
            "path": ra.get("path"),
            **_flatten(ra.get("body") or {}, "body"),
        }
        view_b = {
            "method": rb.get("method"),
            "path": rb.get("path"),
            **_flatten(rb.get("body") or {}, "body"),
        }
        lines += [f"{line[:2]}request {n + 1} {line[2:]}" for line in _compare(view_a, view_b)]
    return lines


def _load(path: Path) -> tuple[str, Any]:
    from harness.cassettes.format import load_cassette

    if path.is_dir():
        raise CassetteError(f"{path}: is a directory; diff compares two files")
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if text.lstrip()[:1] == b"{":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        except RecursionError:
            raise CassetteError(f"{path}: JSON nested too deeply to read") from None
        if isinstance(data, dict) and ("events" in data or "transcript" in data):
            return "transcript", _transcript(data, str(path))
    return "cassette", load_cassette(path)


def diff_paths(a: str | Path, b: str | Path) -> list[str]:
    """Compare two files of the same kind (cassettes in any supported format, or transcripts)."""
    kind_a, left = _load(Path(a))
    kind_b, right = _load(Path(b))
    if kind_a != kind_b:
        raise CassetteError(f"cannot compare a {kind_a} ({a}) with a {kind_b} ({b})")
    if kind_a == "transcript":
        return diff_transcripts(left, right)
    return diff_cassettes(left, right)


def render(lines: Iterable[str]) -> str:
    return "\n".join(lines)
