"""What one recorded response says, in neutral terms: the reply parts a scenario replays.

:func:`read_interaction` runs the reader of the interaction's dialect (the registry's
``harness.dialects.<wire>.read``) over the decoded body, SSE or JSON (or a binary
stream that its reader's optional ``decode_stream(body)`` decodes into events, as Bedrock's
AWS event stream), and turns HTTP errors into an
:class:`~harness.scenario.model.ErrorAttempt`. The neutral reading itself
(:class:`Reading`, :class:`Parts`) is :mod:`harness.dialects.reading`; its names still
import from here, as before the dialects owned them.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import JsonValue

from harness.cassettes.model import Interaction
from harness.cassettes.wire import decoded_body, is_ndjson, is_sse, ndjson_events, sse_events
from harness.dialects.reading import NOT_JSON_EVENT, Reading
from harness.scenario.model import HttpErrorReply, RawReply

__all__ = ["read_interaction", "readable"]


def __getattr__(name: str) -> Any:
    if name == "READABLE":
        return readable()
    from harness.dialects import reading

    if name in reading.__all__:
        return getattr(reading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def readable() -> tuple[str, ...]:
    """Dialects whose replies one interaction at a time can be read into neutral parts
    (the registry's dialects with a reader that reads single interactions)."""
    from harness.dialects import all_dialects

    return tuple(
        d.name for d in all_dialects() if d.reader is not None and d.reader.PER_INTERACTION
    )


def read_interaction(interaction: Interaction, dialect: str) -> Reading:
    """Read one interaction's response in ``dialect`` (a registered dialect with a reader)."""
    from harness.dialects import get_dialect

    body = decoded_body(interaction.response)
    reading = Reading(dialect=dialect)
    status = interaction.response.status
    if status >= 400:
        reading.http_error = _http_error(status, body, interaction)
        return reading
    reader = get_dialect(dialect).reader
    if reader is None:
        raise ValueError(f"no reply reader for dialect {dialect!r}; readable: {readable()}")
    binary = getattr(reader, "decode_stream", None)  # a wire whose stream is not SSE
    events = binary(body) if binary is not None else None
    if events is None and is_ndjson(interaction, body):
        events = ndjson_events(body)
    if events is not None or is_sse(interaction, body):
        reading.stream = True
        reader.read_stream(events if events is not None else sse_events(body), reading)
        if reading.finish is None and reading.error_payload is None:
            reading.note("the recorded stream carries no finish reason (the scenario sends one)")
    else:
        try:
            obj = json.loads(body)
        except (ValueError, RecursionError):
            reading.refuse(f"the body ({_content_type(interaction)}) is neither SSE nor JSON")
        else:
            reader.read_json(obj, reading)
    for name in sorted(reading.parts.repeated_names):
        reading.note(
            f"the tool-call name {name!r} is repeated on later deltas of its call "
            "(the scenario sends it once)"
        )
    if reading.refused is None and NOT_JSON_EVENT in reading.notes:
        reading.refuse("a stream event is not JSON")
    if reading.refused is not None:
        reading.raw = _raw(interaction, body)
        reading.notes = [
            f"{reading.refused}: served byte for byte, a correct client fails ({reading.raw_kind})"
        ]
    return reading


def _content_type(interaction: Interaction) -> str:
    value = next((v for k, v in interaction.response.headers if k.lower() == "content-type"), "")
    return value.split(";")[0].strip() or "no content type"


_RAW_HEADERS = ("content-type",)


def _raw(interaction: Interaction, body: bytes) -> RawReply:
    headers = {
        name.lower(): value
        for name, value in interaction.response.headers
        if name.lower() in _RAW_HEADERS
    }
    return RawReply(
        status=interaction.response.status,
        headers=headers,
        body=body.decode("utf-8", "replace"),
    )


_KEPT_ERROR_HEADERS = (
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-amz-retry-after",
    "x-amzn-errortype",
)


def _http_error(status: int, body: bytes, interaction: Interaction) -> HttpErrorReply:
    try:
        parsed: JsonValue = json.loads(body) if body else None
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    headers = {
        name.lower(): value
        for name, value in interaction.response.headers
        if name.lower() in _KEPT_ERROR_HEADERS
    }
    return HttpErrorReply(status=min(max(status, 400), 599), headers=headers, body=parsed)
