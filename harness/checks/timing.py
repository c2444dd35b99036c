"""Timing checks: a streamed reply reaches the caller as it is produced.

- ``invariant:incremental``: when the scenario's server paces a streamed reply
  (``wire.event_delay``: a wait before every event) and its reply carries text, reasoning or
  a refusal in several events, the adapter must yield its first such event before the body
  has ended. An adapter (or a re-streaming service) that reads the whole reply before it
  passes anything on shows every event at the body's end: the caller's first-token latency
  becomes the whole reply's duration, and a stream is no better than a blocking call.

Read from the transcript: ``event_times`` (virtual seconds when each event was yielded) and
the served response's ``end_at`` (when its body ended) on the same virtual clock, so a
buffering adapter is caught however fast the machine. The check is gated on the scenario's
pacing, not on the recorded pauses, so a recording whose only text came in its last chunk is
never blamed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.checks import Check, named
from harness.scenario.model import ReasoningPart, ReplyAttempt, TextPart
from harness.vocab.codes import Code
from harness.vocab.events import ReasoningEvent, RefusalEvent, ResponseRecord, TextEvent
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["TIMING", "incremental"]

_CONTENT = (TextEvent, ReasoningEvent, RefusalEvent)


def _paced(reply: ReplyAttempt) -> bool:
    """The server waits before each event, and the reply's content spans several events."""
    if reply.wire.event_delay <= 0 or reply.wire.chunking != "per_event":
        return False
    pieces = 0
    for part in reply.parts:
        if isinstance(part, TextPart | ReasoningPart):
            pieces += part.deltas if isinstance(part.deltas, int) else len(part.deltas)
    return pieces >= 2


def _served_body(run: Run) -> ResponseRecord | None:
    """The last response that carried a body to its end (the one the events came from)."""
    assert run.transcript is not None
    bodies = [
        r
        for r in run.transcript.responses
        if r.status is not None and r.status < 400 and r.end_at is not None and r.pauses
    ]
    return bodies[-1] if bodies else None


@named("invariant:incremental")
def incremental(run: Run) -> list[Finding]:
    """The first text of a paced stream reaches the caller before the stream ends."""
    assert run.transcript is not None
    t = run.transcript
    replies = run.scenario.replies()
    if not run.scenario.request.stream or not replies or not _paced(replies[-1]):
        return []
    body = _served_body(run)
    if body is None or body.end_at is None or body.head_at is None:
        return []
    times = [
        at
        for event, at in zip(t.events, t.event_times, strict=False)
        if isinstance(event, _CONTENT) and at >= body.head_at
    ]
    delivered = [at + delay for at, delay in body.pauses if at + delay < body.end_at]
    if not times or not delivered or min(times) < body.end_at:
        return []
    return [
        Finding(
            code=Code.STREAM_BUFFERED,
            check="invariant:incremental",
            message=f"the server streamed the reply from {min(delivered):g} s to "
            f"{body.end_at:g} s (virtual), one event every "
            f"{replies[-1].wire.event_delay:g} s, but the adapter yielded its first text at "
            f"{min(times):g} s, when the body had ended: it buffers the stream, so the "
            "caller's first-token latency is the whole reply's duration",
            expected=f"first text before {body.end_at:g} s",
            actual=f"first text at {min(times):g} s",
            where=run.scenario.where(),
        )
    ]


TIMING: list[Check] = [incremental]
