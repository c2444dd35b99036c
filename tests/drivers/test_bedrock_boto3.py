"""The ``bedrock-boto3`` driver: boto3's real ``bedrock-runtime`` client, served through
botocore's own ``before-send`` event with the scripted chunks, end to end through the
runner and the bedrock-converse dialect."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.dialects import get_dialect
from harness.drivers.base import DriverContext, get_driver
from harness.drivers.bedrock_boto3 import bedrock_client, converse_kwargs
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import Scenario
from harness.transport.botocore_send import serving_botocore
from harness.transport.clock import Clock
from harness.transport.core import Replay
from harness.vocab.events import ErrorEvent, FinishEvent, TextEvent, ToolCallEvent
from tests.dialects import builders
from tests.drivers.adapters import imported_by_lookup

pytest.importorskip("boto3")

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "bedrock-boto3"


def run(scenario: str | Scenario) -> Run:
    loaded = (
        load_scenario(SCENARIOS / f"{scenario}.yaml") if isinstance(scenario, str) else scenario
    )
    return run_scenario(loaded, get_driver(NAME))


def test_registered_and_lazy() -> None:
    driver = get_driver(NAME)
    assert (driver.dialect, driver.http_library, driver.extra) == (
        "bedrock-converse",
        "botocore",
        "bedrock",
    )
    assert imported_by_lookup([NAME], ("boto3", "botocore")) == []


def test_a_fragmented_tool_call_is_assembled() -> None:
    result = run("tool-call-fragmented")
    assert result.findings == [] and result.status == "pass"
    (call,) = [e for e in result.transcript.events if isinstance(e, ToolCallEvent)]
    assert call.arguments == {"city": "Paris", "unit": "celsius"}


def test_every_scripted_chunk_is_one_read_of_the_event_stream() -> None:
    """The before-send seam hands botocore the scripted chunks one read at a time: a stream
    cut every 7 bytes (frames split mid-prelude, mid-header, mid-CRC) still decodes."""
    scenario = builders.scenario(
        builders.reply(
            parts=[{"text": "Héllo wörld", "deltas": 4}], wire={"chunking": {"every": 7}}
        ),
        model="anthropic.claude-3-haiku:0",
    )
    script = get_dialect("bedrock-converse").synthesize(scenario)
    replay = Replay(script, Clock())
    ctx = DriverContext(scenario=scenario, replay=replay, clock=replay.clock)
    client = bedrock_client(ctx)
    with serving_botocore(client, replay):
        response = client.converse_stream(**converse_kwargs(scenario.request))
        items = list(response["stream"])
    assert (
        "".join(i["contentBlockDelta"]["delta"]["text"] for i in items if "contentBlockDelta" in i)
        == "Héllo wörld"
    )
    (served,) = replay.responses()
    assert served.chunks == len(script.exchanges[0].chunks) > 20
    (request,) = replay.log
    assert request.path == "/model/anthropic.claude-3-haiku:0/converse-stream"
    assert request.body["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]


def test_a_429_throttling_exception_is_retried_and_surfaces_as_throttling() -> None:
    result = run("retry-429-exhausted")
    assert result.findings == []
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.error == "rate_limit"
    assert last.type == "botocore.errorfactory.ThrottlingException"


def test_x_amz_retry_after_is_waited() -> None:
    result = run("retry-429-ms")
    assert result.findings == [] and result.status == "pass"


def test_an_exception_frame_mid_stream_is_a_server_error_after_the_text() -> None:
    result = run("fault-error-in-stream")
    assert result.findings == []
    kinds = [e.kind for e in result.transcript.events]
    assert kinds[0] == "text" and kinds[-1] == "error"
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.type == "botocore.exceptions.EventStreamError"


def test_a_connection_cut_inside_a_frame_is_a_protocol_error() -> None:
    result = run("fault-stream-cut")
    assert result.findings == []
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.error == "protocol"


def test_a_bad_crc_is_botocores_checksum_mismatch() -> None:
    result = run("fault-malformed-event")
    assert result.findings == []
    last = result.transcript.events[-1]
    assert isinstance(last, ErrorEvent) and last.type == "botocore.eventstream.ChecksumMismatch"


def test_non_streamed_converse() -> None:
    result = run("nonstream-tool-call")
    assert result.findings == [] and result.status == "pass"
    assert isinstance(result.transcript.events[-1], FinishEvent)


def test_a_clean_truncation_is_accepted_by_botocore_a_real_finding() -> None:
    """botocore's EventStream ends when the body ends (botocore/eventstream.py:596-600),
    never asking for ``messageStop``: the text so far reaches the caller as a whole reply."""
    result = run("fault-truncated-stream")
    assert {f.code for f in result.findings} >= {"truncated-stream-accepted"}
    assert any(isinstance(e, TextEvent) for e in result.transcript.events)
