"""The JSON recording formats found in the wild, read into the same interactions as vcrpy.

- ddapm-test-agent JSON (dd-trace-py): one ``{request: {url, headers: {k: v}, body},
  response: {status, headers, body}}`` per file, bodies as decoded text;
- Azure SDK test-proxy (``{"Entries": [...]}``): parsed JSON bodies, SSE bodies as a list of
  line strings, ``Content-Encoding: gzip`` listed although the body is stored decoded;
- llama-stack / OGX: SDK objects rather than HTTP, so the wire is re-synthesized (one
  ``data:`` event per chunk object, then ``[DONE]``) and the doubled ``/v1/v1`` is undone;
- nock (JavaScript): a list of ``{scope, method, path, body, status, response, rawHeaders}``;
- vcrpy's own JSON serializer (``{"interactions": [...]}``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.cassettes.format import vcrpy_interaction
from harness.cassettes.model import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)

__all__ = ["parse_json_recording"]

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def parse_json_recording(text: str, source: str) -> Cassette:
    """Detect which JSON recording format ``text`` is, and read it."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise CassetteError(f"{source}: JSON nested too deeply to read") from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{source}:{line}" if line else source
        raise CassetteError(f"{where}: JSON error: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("Entries"), list):
        return _azure(doc["Entries"], source)
    if isinstance(doc, dict) and isinstance(doc.get("interactions"), list):
        notes: set[str] = set()
        items = doc["interactions"]
        found = tuple(vcrpy_interaction(it, n, None, source, notes) for n, it in enumerate(items))
        return Cassette(found, source=source, format="vcrpy-json", notes=tuple(sorted(notes)))
    if isinstance(doc, list) and all(isinstance(e, dict) and "scope" in e for e in doc):
        return _nock(doc, source)
    if isinstance(doc, dict) and isinstance(doc.get("request"), dict):
        response = doc.get("response")
        if isinstance(response, dict) and (
            "is_streaming" in response or "endpoint" in doc["request"]
        ):
            return _llama_stack(doc, source)
        if isinstance(response, dict) and "url" in doc["request"]:
            return _ddapm(doc, source)
    raise CassetteError(
        f"{source}: JSON recording of an unknown format (expected vcrpy JSON, Azure test-proxy "
        "'Entries', ddapm-test-agent, llama-stack or nock)"
    )


def _body(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


def _flat_headers(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        return ()
    out: list[tuple[str, str]] = []
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        out.extend((str(name), str(v)) for v in values if v is not None)
    return tuple(out)


def _ddapm(doc: dict[str, Any], source: str) -> Cassette:
    rq, rs = doc["request"], doc["response"]
    status = rs.get("status") or {}
    code = status.get("code") if isinstance(status, dict) else status
    if not isinstance(code, int):
        raise CassetteError(f"{source} (interaction 1): response status code missing")
    interaction = Interaction(
        RecordedRequest(
            method=str(rq.get("method", "GET")).upper(),
            uri=str(rq.get("url", "")),
            headers=_flat_headers(rq.get("headers")),
            body=_body(rq.get("body")),
        ),
        RecordedResponse(
            status=code,
            reason=str(status.get("message", "")) if isinstance(status, dict) else "",
            headers=_flat_headers(rs.get("headers")),
            body=_body(rs.get("body")) or b"",
        ),
    )
    return Cassette((interaction,), source=source, format="ddapm-json")


def _azure(entries: list[Any], source: str) -> Cassette:
    out: list[Interaction] = []
    notes: set[str] = set()
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("StatusCode"), int):
            raise CassetteError(
                f"{source} (interaction {n + 1}): expected an entry with StatusCode"
            )
        headers = _flat_headers(entry.get("ResponseHeaders"))
        if any(k.lower() == "content-encoding" for k, _ in headers):
            notes.add("Content-Encoding listed but body stored decoded (dropped)")
            headers = tuple((k, v) for k, v in headers if k.lower() != "content-encoding")
        body = entry.get("ResponseBody")
        if isinstance(body, list) and all(isinstance(x, str) for x in body) and body:
            data = "".join(body).encode("utf-8")  # SSE stored as its lines
        else:
            data = _body(body) or b""
        out.append(
            Interaction(
                RecordedRequest(
                    method=str(entry.get("RequestMethod", "GET")).upper(),
                    uri=str(entry.get("RequestUri", "")),
                    headers=_flat_headers(entry.get("RequestHeaders")),
                    body=_body(entry.get("RequestBody")),
                ),
                RecordedResponse(
                    status=entry["StatusCode"],
                    reason=_REASONS.get(entry["StatusCode"], ""),
                    headers=headers,
                    body=data,
                ),
                index=n,
            )
        )
    return Cassette(
        tuple(out), source=source, format="azure-test-proxy", notes=tuple(sorted(notes))
    )


def _sdk_data(obj: Any) -> Any:
    return obj.get("__data__", obj) if isinstance(obj, dict) else obj


def _llama_stack(doc: dict[str, Any], source: str) -> Cassette:
    rq, rs = doc["request"], doc["response"]
    url = str(rq.get("url", ""))
    parts = urlsplit(url)
    path = parts.path.replace("/v1/v1/", "/v1/")
    notes = ["SDK objects, not HTTP: SSE re-synthesized from the recorded chunks"]
    if path != parts.path:
        notes.append("doubled /v1/v1 in the recorded URL undone")
    body = rs.get("body")
    if rs.get("is_streaming") and isinstance(body, list):
        events = [f"data: {json.dumps(_sdk_data(c), separators=(',', ':'))}\n\n" for c in body]
        data = ("".join(events) + "data: [DONE]\n\n").encode("utf-8")
        content_type = "text/event-stream; charset=utf-8"
    else:
        data = json.dumps(_sdk_data(body)).encode("utf-8")
        content_type = "application/json"
    interaction = Interaction(
        RecordedRequest(
            method=str(rq.get("method", "POST")).upper(),
            uri=urlunsplit(parts._replace(path=path)),
            headers=_flat_headers(rq.get("headers")),
            body=_body(rq.get("body")),
        ),
        RecordedResponse(
            status=200, reason="OK", headers=(("content-type", content_type),), body=data
        ),
    )
    return Cassette((interaction,), source=source, format="llama-stack", notes=tuple(notes))


def _nock(items: list[dict[str, Any]], source: str) -> Cassette:
    out: list[Interaction] = []
    for n, item in enumerate(items):
        raw = item.get("rawHeaders") or []
        headers = tuple((str(raw[i]), str(raw[i + 1])) for i in range(0, len(raw) - 1, 2))
        status = item.get("status", 200)
        out.append(
            Interaction(
                RecordedRequest(
                    method=str(item.get("method", "GET")).upper(),
                    uri=str(item.get("scope", "")).rstrip("/") + str(item.get("path", "")),
                    headers=_flat_headers(item.get("reqheaders")),
                    body=_body(item.get("body")),
                ),
                RecordedResponse(
                    status=status if isinstance(status, int) else 200,
                    reason=_REASONS.get(status, "") if isinstance(status, int) else "",
                    headers=headers,
                    body=_body(item.get("response")) or b"",
                ),
                index=n,
            )
        )
    return Cassette(tuple(out), source=source, format="nock")
