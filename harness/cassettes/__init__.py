"""Cassettes: record real traffic, replay it read by read, import real-world recordings.

A harness cassette is a vcrpy cassette (plain vcrpy still loads and replays it) whose
responses also keep each read and its time offset (``body.chunks``), with secrets redacted
before anything reaches the disk. Modules, one job each::

    model ........ Cassette / Interaction values, CassetteError
    format ....... vcrpy YAML in (safely, every variant seen in the wild) and out (atomically)
    foreign ...... the JSON formats: Azure test-proxy, ddapm, llama-stack, nock, vcrpy JSON
    record ....... recording(): httpx/httpx2 clients record into a cassette
    modes ........ RecordMode: none, once, new_episodes, all
    redact ....... Redactor: headers, query parameters, JSON fields, key patterns
    replay ....... cassette -> Script (recorded chunks and timing, or re-cut)
    detect, read_* dialect of an interaction, its reply in neutral parts
    import_ ...... cassette -> one neutral scenario per interaction
    scan ......... secrets in files (``harness scan``, a pre-commit hook)
    diff ......... semantic diff of two cassettes or transcripts

Names are imported on first use, so ``import harness.cassettes`` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.cassettes.detect import detect_dialect
    from harness.cassettes.diff import diff_cassettes, diff_paths
    from harness.cassettes.format import (
        dump_cassette,
        load_cassette,
        parse_cassette,
        write_cassette,
    )
    from harness.cassettes.import_ import Imported, import_cassette, scenarios_from
    from harness.cassettes.model import (
        Cassette,
        CassetteError,
        CassetteMiss,
        Interaction,
        RecordedChunk,
        RecordedRequest,
        RecordedResponse,
    )
    from harness.cassettes.modes import RecordMode
    from harness.cassettes.record import Recorder, recording
    from harness.cassettes.redact import Redactor
    from harness.cassettes.replay import cassette_replay, cassette_script, script_cassette
    from harness.cassettes.scan import Leak, scan_paths

__all__ = [
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "Imported",
    "Interaction",
    "Leak",
    "RecordMode",
    "RecordedChunk",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "Redactor",
    "cassette_replay",
    "cassette_script",
    "detect_dialect",
    "diff_cassettes",
    "diff_paths",
    "dump_cassette",
    "import_cassette",
    "load_cassette",
    "parse_cassette",
    "recording",
    "scan_paths",
    "scenarios_from",
    "script_cassette",
    "write_cassette",
]

_WHERE = {
    "Cassette": "model",
    "CassetteError": "model",
    "CassetteMiss": "model",
    "Imported": "import_",
    "Interaction": "model",
    "Leak": "scan",
    "RecordMode": "modes",
    "RecordedChunk": "model",
    "RecordedRequest": "model",
    "RecordedResponse": "model",
    "Recorder": "record",
    "Redactor": "redact",
    "cassette_replay": "replay",
    "cassette_script": "replay",
    "detect_dialect": "detect",
    "diff_cassettes": "diff",
    "diff_paths": "diff",
    "dump_cassette": "format",
    "import_cassette": "import_",
    "load_cassette": "format",
    "parse_cassette": "format",
    "recording": "record",
    "scan_paths": "scan",
    "scenarios_from": "import_",
    "script_cassette": "replay",
    "write_cassette": "format",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"harness.cassettes.{module}"), name)
