"""Read and write vcrpy YAML cassettes, safely and fast; harness's chunk list rides along.

Reading never uses an unsafe YAML loader: a ``CSafeLoader`` subclass gets constructors for
the few Python tags real cassettes carry (``!!python/object/apply:multidict._multidict.istr``
header keys from aiohttp, ``!!python/str``, ``!!python/tuple``, a pickled ``BytesIO`` body)
and nothing else, so a cassette can never run code. pydantic-ai's ``parsed_body`` and
opentelemetry's bare-string header values are normalized on the way in.

Writing produces a file plain vcrpy loads and replays (it reads ``body.string`` and ignores
``body.chunks``, ``latency`` and ``end``), with multi-line bodies as readable literal blocks.
``body.chunks`` is one string, ``"284@0.000674 284@0.007638 ..."``: each read's size in
bytes and its offset in seconds after the response head, the bytes being consecutive slices
of ``body.string``. One scalar instead of a mapping per read keeps a 200-read stream
loading in a couple of milliseconds (PyYAML builds every node in Python) and the file half
the size; the explicit list ``[{offset: ..., data: ...}, ...]`` is read too.
Writes are atomic: a temporary file in the same directory, then ``os.replace``.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml

from harness.cassettes.model import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedChunk,
    RecordedRequest,
    RecordedResponse,
)
from harness.scenario.yaml_budget import MAX_EXPANDED_NODES, expanded_size

__all__ = [
    "dump_cassette",
    "load_cassette",
    "parse_cassette",
    "parse_vcrpy",
    "to_text",
    "vcrpy_interaction",
    "write_atomic",
    "write_cassette",
]

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

HEADER = (
    "# harness cassette: vcrpy format; body.chunks lists each read of body.string as\n"
    "# <bytes>@<seconds after the response head>\n"
)
_SAFE_APPLY = frozenset(
    {"multidict._multidict.istr", "multidict.istr", "multidict._multidict_py.istr"}
)
"""Callables whose single string argument we keep as a ``str`` (case-insensitive header keys)."""
_REQUEST_LINE = re.compile(r"^- request:", re.M)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """CSafeLoader plus constructors for the harmless Python tags found in real cassettes."""


def _apply(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> str:
    if suffix not in _SAFE_APPLY or not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"refusing the Python tag !!python/object/apply:{suffix} (only multidict istr "
            "header keys are read; nothing in a cassette may run code)",
            node.start_mark,
        )
    args = loader.construct_sequence(node)
    return str(args[0]) if args else ""


def _bytes_io(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    state = (
        loader.construct_mapping(node, deep=True).get("state")
        if isinstance(node, yaml.MappingNode)
        else None
    )
    data = state[0] if isinstance(state, list | tuple) and state else b""
    return data.encode() if isinstance(data, str) else bytes(data or b"")


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a scalar", node.start_mark)
    return loader.construct_scalar(node)


def _sequence(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a sequence", node.start_mark)
    return loader.construct_sequence(node)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/object/apply:", _apply)
_Loader.add_constructor("tag:yaml.org,2002:python/str", _scalar)
_Loader.add_constructor("tag:yaml.org,2002:python/unicode", _scalar)
_Loader.add_constructor("tag:yaml.org,2002:python/tuple", _sequence)
_Loader.add_constructor("tag:yaml.org,2002:python/object/new:_io.BytesIO", _bytes_io)


# --------------------------------------------------------------------------- reading


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Load any supported recording: vcrpy YAML (and variants), or one of the JSON formats."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CassetteError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return parse_cassette(data, source)


def parse_cassette(data: bytes | str, source: str = "<cassette>") -> Cassette:
    """Parse cassette text (or gzip-compressed text), detecting its format."""
    raw = data.encode() if isinstance(data, str) else data
    if raw[:2] == b"\x1f\x8b":
        from harness.cassettes.wire import gunzip

        raw = gunzip(raw, source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CassetteError(f"{source}:{line}: not UTF-8 text (byte {exc.start})") from None
    if text.lstrip()[:1] in ("{", "["):
        from harness.cassettes.foreign import parse_json_recording

        return parse_json_recording(text, source)
    return parse_vcrpy(text, source)


def parse_vcrpy(text: str, source: str = "<cassette>") -> Cassette:
    """A vcrpy YAML cassette (any serializer seen in the wild) from its text."""
    try:
        loader = _Loader(text)  # a safe loader subclass
        try:
            node = loader.get_single_node()
            if node is not None and expanded_size(node) > MAX_EXPANDED_NODES:
                raise CassetteError(
                    f"{source}:{node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} nodes (an alias bomb?)"
                )
            doc = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise CassetteError(f"{source}{line}: YAML error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"{source}: YAML error: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        got = type(doc).__name__ if doc is not None else "an empty file"
        raise CassetteError(
            f"{source}: expected a vcrpy cassette, a mapping with 'interactions: [...]' (got {got})"
        )
    items: list[Any] = doc["interactions"]
    lines: list[int] = []
    number, position = 1, 0
    for match in _REQUEST_LINE.finditer(text):
        number += text.count("\n", position, match.start())
        position = match.start()
        lines.append(number)
    if len(lines) != len(items):
        lines = []
    notes: set[str] = set()
    if "python/object/apply:multidict" in text:
        notes.add("multidict istr header keys")
    interactions = tuple(
        vcrpy_interaction(item, n, lines[n] if lines else None, source, notes)
        for n, item in enumerate(items)
    )
    if text.startswith(HEADER) and "version" not in doc:
        where = f"interaction {len(items)}" if items else "the first interaction"
        raise CassetteError(
            f"{source}: truncated: harness writes 'version:' after the interactions and it is "
            f"missing; {where} and any after it may be cut or lost (re-record it)"
        )
    for interaction in interactions:
        _check_length(interaction, source)
    fmt = "vcrpy"
    if any(i.response.chunks is not None for i in interactions):
        fmt = "harness"
    elif "parsed_body" in notes:
        fmt = "pydantic-ai"
    elif "multidict istr header keys" in notes:
        fmt = "ddapm-yaml"
    return Cassette(interactions, source=source, format=fmt, notes=tuple(sorted(notes)))


def _check_length(interaction: Interaction, source: str) -> None:
    """A body shorter than its ``Content-Length`` was cut (a truncated file, an edit),
    unless it is whole JSON: a recorder that re-serializes JSON bodies (pretty-printed,
    or stored parsed) keeps the old length, and a cut JSON body does not parse."""
    rs = interaction.response
    declared = rs.header("content-length")
    if declared is None or rs.header("content-encoding") or not declared.strip().isdigit():
        return
    if interaction.request.method == "HEAD" or rs.status in (204, 304):
        return
    if len(rs.body) < int(declared) and not _whole_json(rs.body):
        line = f":{interaction.line}" if interaction.line else ""
        raise CassetteError(
            f"{source}{line} (interaction {interaction.index + 1}): the response body has "
            f"{len(rs.body)} bytes but Content-Length says {declared}: the body was cut "
            "(a truncated file?); re-record it"
        )


def _whole_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return bool(body.strip())


def vcrpy_interaction(
    item: Any, index: int, line: int | None, source: str, notes: set[str]
) -> Interaction:
    """One ``{request, response}`` mapping of a vcrpy cassette, normalized."""
    where = f"{source}:{line}" if line else source
    where = f"{where} (interaction {index + 1})"
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        raise CassetteError(f"{where}: expected a mapping with 'request' and 'response'")
    rq, rs = item["request"], item.get("response")
    if not isinstance(rs, dict):
        raise CassetteError(f"{where}: expected a 'response' mapping")
    if "parsed_body" in rq or "parsed_body" in rs:
        notes.add("parsed_body")
    method, uri = rq.get("method"), rq.get("uri")
    if not isinstance(method, str) or not isinstance(uri, str):
        raise CassetteError(f"{where}: request needs 'method' and 'uri' strings")
    request = RecordedRequest(
        method=method.upper(),
        uri=uri,
        headers=_headers(rq.get("headers"), notes, where),
        body=_request_body(rq),
    )
    return Interaction(request, _response(rs, where, notes), index=index, line=line)


def _headers(raw: Any, notes: set[str], where: str = "") -> tuple[tuple[str, str], ...]:
    if not raw:
        return ()
    if isinstance(raw, list):  # [[name, value], ...]
        if not all(isinstance(p, list | tuple) and len(p) == 2 for p in raw):
            raise CassetteError(f"{where}: headers must be a mapping or [name, value] pairs")
        return tuple((str(k), str(v)) for k, v in raw)
    if not isinstance(raw, dict):
        raise CassetteError(f"{where}: headers must be a mapping (got {type(raw).__name__})")
    out: list[tuple[str, str]] = []
    for name, values in raw.items():
        if isinstance(values, list | tuple):
            out.extend((str(name), _text(v)) for v in values)
        elif values is not None:
            notes.add("bare-string header values")
            out.append((str(name), _text(values)))
    return tuple(out)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _as_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, io.BytesIO):
        return value.getvalue()
    return json.dumps(value).encode("utf-8")  # pydantic-ai: a parsed JSON body


def _request_body(rq: dict[str, Any]) -> bytes | None:
    if "parsed_body" in rq:
        return json.dumps(rq["parsed_body"]).encode("utf-8")
    body = rq.get("body")
    if isinstance(body, dict) and "string" in body:
        body = body["string"]
    return _as_bytes(body)


def _response(rs: dict[str, Any], where: str, notes: set[str]) -> RecordedResponse:
    status = rs.get("status")
    if isinstance(status, dict):
        code, reason = status.get("code"), status.get("message") or ""
    else:  # vcrpy's old httpx format: status_code + content
        code, reason = rs.get("status_code"), ""
    if not isinstance(code, int):
        raise CassetteError(f"{where}: response needs 'status: {{code: <int>}}' (got {status!r})")
    body = rs.get("body")
    chunks: tuple[RecordedChunk, ...] | None = None
    if "parsed_body" in rs:
        data = json.dumps(rs["parsed_body"]).encode("utf-8")
    elif isinstance(body, dict):
        data = _as_bytes(body.get("string")) or b""
        if isinstance(body.get("chunks"), str):
            chunks = _compact_chunks(body["chunks"], data, where)
        elif isinstance(body.get("chunks"), list):
            chunks = _chunks(body["chunks"], where)
    else:
        data = _as_bytes(body if body is not None else rs.get("content")) or b""
    latency = rs.get("latency")
    return RecordedResponse(
        status=code,
        reason=str(reason),
        headers=_headers(rs.get("headers"), notes, where),
        body=data,
        chunks=chunks,
        latency=float(latency) if isinstance(latency, int | float) else None,
        end="cut" if rs.get("end") == "cut" else "close",
    )


def _compact_chunks(raw: str, body: bytes, where: str) -> tuple[RecordedChunk, ...]:
    """``"284@0.000674 284@0.007638 ..."``: each read's size in bytes and its offset in
    seconds; the bytes are the consecutive slices of ``body.string``."""
    out: list[RecordedChunk] = []
    position = 0
    for i, token in enumerate(raw.split()):
        size, at, offset = token.partition("@")
        try:
            n, seconds = int(size), float(offset)
        except ValueError:
            n = seconds = -1
        if not at or n < 0 or seconds < 0:
            raise CassetteError(
                f"{where}: body.chunks: item {i + 1} is {token!r}, expected <bytes>@<seconds> "
                "such as 284@0.0125"
            )
        out.append(RecordedChunk(seconds, body[position : position + n]))
        position += n
    if position != len(body):
        raise CassetteError(
            f"{where}: body.chunks add up to {position} bytes but body.string has {len(body)}: "
            "the body was edited after recording; delete body.chunks (replay as one blob) or "
            "re-record"
        )
    return tuple(out)


def _chunks(raw: list[Any], where: str) -> tuple[RecordedChunk, ...]:
    out: list[RecordedChunk] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("offset"), int | float):
            raise CassetteError(
                f"{where}: body.chunks[{i}]: expected {{offset: <seconds>, data: <text>}} "
                f"(got {item!r:.80})"
            )
        out.append(RecordedChunk(float(item["offset"]), _as_bytes(item.get("data")) or b""))
    return tuple(out)


# --------------------------------------------------------------------------- writing


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Safe dumper; multi-line text as literal blocks (the emitter falls back when it must)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def to_text(data: bytes) -> str | bytes:
    """What vcrpy stores for a body: text when it is UTF-8, else the bytes (``!!binary``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name, []).append(value)
    return out


def _interaction_dict(interaction: Interaction) -> dict[str, Any]:
    rq, rs = interaction.request, interaction.response
    body: dict[str, Any] = {"string": to_text(rs.body)}
    if rs.chunks is not None and b"".join(c.data for c in rs.chunks) == rs.body:
        body["chunks"] = " ".join(f"{len(c.data)}@{c.offset:.6f}" for c in rs.chunks)
    elif rs.chunks is not None:  # reads that are not the body (never from the recorder)
        body["chunks"] = [
            {"offset": round(c.offset, 6), "data": to_text(c.data)} for c in rs.chunks
        ]
    response: dict[str, Any] = {
        "status": {"code": rs.status, "message": rs.reason},
        "headers": _header_map(rs.headers),
        "body": body,
    }
    if rs.latency is not None:
        response["latency"] = round(rs.latency, 6)
    if rs.end != "close":
        response["end"] = rs.end
    return {
        "request": {
            "method": rq.method,
            "uri": rq.uri,
            "headers": _header_map(rq.headers),
            "body": None if rq.body is None else to_text(rq.body),
        },
        "response": response,
    }


def dump_cassette(cassette: Cassette) -> str:
    """The YAML text of a cassette, in vcrpy's layout plus the chunk list."""
    doc = {
        "interactions": [_interaction_dict(i) for i in cassette.interactions],
        "version": 1,
    }
    body: str = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def write_cassette(path: str | os.PathLike[str], cassette: Cassette) -> None:
    """Write ``cassette`` to ``path`` atomically (never a half-written file)."""
    write_atomic(Path(path), dump_cassette(cassette).encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    A symlink is written through (its target is replaced, the link stays); the temporary
    file is removed on every exit path, and those left by a killed writer (their process
    is gone) are swept before the next write.
    """
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(path)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _sweep_stale(path: Path) -> None:
    """Delete temporary files of ``path`` whose writer process no longer exists."""
    prefix = f".{path.name}."
    with suppress(OSError):
        for entry in os.scandir(path.parent):
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            pid = name[len(prefix) :].split(".", 1)[0]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            with suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
