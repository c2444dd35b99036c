"""Recording: real traffic of httpx / httpx2 clients into a harness cassette, read by read.

:func:`recording` installs a recording transport into every client created inside it, sync
and async, for both HTTP libraries, by wrapping the transport the client would have used
(the seam ``serving()`` uses: ``Client._init_transport``). Each response read is kept with
its time offset; redaction runs on each finished interaction in memory, so nothing
unredacted reaches the disk, and the file is written once, atomically, on exit.

The record modes (``none``, ``once``, ``new_episodes``, ``all``, as in vcrpy /
pytest-recording) are :class:`~harness.cassettes.modes.RecordMode`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.cassettes.format import load_cassette, write_cassette
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
from harness.cassettes.redact import Redactor
from harness.transport.clock import Clock
from harness.transport.core import Replay

if TYPE_CHECKING:
    from harness.dialects.script import Exchange

__all__ = ["RecordMode", "Recorder", "recording"]

MODES: tuple[str, ...] = RecordMode.names()
_HOP = frozenset({"content-length", "transfer-encoding", "content-encoding"})


class Pending:
    """One interaction while its response is still being read."""

    def __init__(self, recorder: Recorder, request: RecordedRequest) -> None:
        self.recorder = recorder
        self.request = request
        self.started = time.perf_counter()
        self.head_at = self.started
        self.status = 0
        self.reason = ""
        self.headers: tuple[tuple[str, str], ...] = ()
        self.chunks: list[RecordedChunk] = []
        self.end: Literal["close", "cut"] = "close"
        self.done = False
        self._inflate: Any = None  # a zlib decompressor while the body is gzip/deflate

    def head(self, status: int, reason: str, headers: tuple[tuple[str, str], ...]) -> None:
        """The response head arrived; gzip/deflate bodies are recorded decoded."""
        self.head_at = time.perf_counter()
        self.status, self.reason = status, reason
        encoding = next(
            (v.lower().strip() for k, v in headers if k.lower() == "content-encoding"), ""
        )
        if encoding in ("gzip", "x-gzip", "deflate"):
            bits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
            self._inflate = zlib.decompressobj(bits)
            headers = tuple((k, v) for k, v in headers if k.lower() not in _HOP)
        else:
            headers = tuple((k, v) for k, v in headers if k.lower() not in ("transfer-encoding",))
        self.headers = headers

    def decoded(self) -> None:
        """The body arrives already decoded: record it as it comes, without its encoding."""
        if self._inflate is None:
            self.headers = tuple((k, v) for k, v in self.headers if k.lower() != "content-encoding")
        self._inflate = None

    def chunk(self, data: bytes) -> None:
        offset = time.perf_counter() - self.head_at
        if self._inflate is not None:
            data = self._inflate.decompress(data)
        if data:
            self.chunks.append(RecordedChunk(offset, data))

    def finish(self, *, cut: bool = False) -> None:
        """The body ended (or the client closed it): redact and keep the interaction."""
        if self.done:
            return
        self.done = True
        if cut:
            self.end = "cut"
        if self._inflate is not None:
            tail = self._inflate.flush()
            if tail:
                self.chunks.append(RecordedChunk(time.perf_counter() - self.head_at, tail))
        response = RecordedResponse(
            status=self.status,
            reason=self.reason,
            headers=self.headers,
            body=b"".join(c.data for c in self.chunks),
            chunks=tuple(self.chunks),
            latency=self.head_at - self.started,
            end=self.end,
        )
        self.recorder.finished(self, Interaction(self.request, response))


@dataclass
class Recorder:
    """A recording session: the cassette on disk, the mode, and what was recorded."""

    path: Path
    mode: RecordMode = RecordMode.ONCE
    redactor: Redactor | None = field(default_factory=Redactor)
    clock: Clock = field(default_factory=Clock)
    existing: Cassette | None = None
    replay: Replay | None = None
    """Set when the session only replays (``none``, or ``once`` with a cassette on disk)."""
    _pending: list[Pending] = field(default_factory=list)
    _done: dict[int, Interaction] = field(default_factory=dict)
    _played: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failures: list[str] = field(default_factory=list)

    @property
    def recording(self) -> bool:
        return self.replay is None and self.mode != RecordMode.NONE

    @property
    def interactions(self) -> list[Interaction]:
        """What was recorded so far (redacted), in request order."""
        with self._lock:
            return [self._done[id(p)] for p in self._pending if id(p) in self._done]

    def begin(self, request: RecordedRequest) -> Pending:
        """A request is about to go to the real server (raises in replay-only modes)."""
        if not self.recording:
            raise CassetteMiss(
                f"{self.path}: record mode {str(self.mode)!r} does not record, and no recorded "
                f"interaction matches {request.method} {request.uri}"
            )
        pending = Pending(self, request)
        with self._lock:
            self._pending.append(pending)
        return pending

    def start(
        self, method: str, uri: str, headers: tuple[tuple[str, str], ...], body: bytes
    ) -> Pending:
        """:meth:`begin`, for the recording transport (which knows no cassette model)."""
        return self.begin(RecordedRequest(method, uri, headers, body))

    def played(self, method: str, url: str) -> Exchange | None:
        """:meth:`playback`, as the exchange the recording transport serves."""
        interaction = self.playback(method, url)
        if interaction is None:
            return None
        from harness.cassettes.replay import exchange_for

        return exchange_for(interaction, timing=False)

    def discard(self, pending: Pending) -> None:
        """The request failed before any response (a connect error): record nothing."""
        pending.done = True
        with self._lock:
            if pending in self._pending:
                self._pending.remove(pending)

    def finished(self, pending: Pending, interaction: Interaction) -> None:
        """Redact at once; a redaction failure must not break the client's read, so it is
        kept and raised by :meth:`save`, which then writes nothing."""
        if self.redactor is not None:
            try:
                interaction = self.redactor.interaction(interaction)
            except Exception as exc:  # any failure: keep the interaction off the disk
                self._failures.append(
                    f"{interaction.request.method} {interaction.request.path}: {exc!r}"
                )
                return
        with self._lock:
            self._done[id(pending)] = interaction

    def playback(self, method: str, url: str) -> Interaction | None:
        """``new_episodes``: the first unplayed recorded interaction for this request."""
        if self.mode != RecordMode.NEW_EPISODES or self.existing is None:
            return None
        probe = RecordedRequest(method.upper(), url)
        with self._lock:
            for interaction in self.existing.interactions:
                rq = interaction.request
                if interaction.index in self._played or rq.method != probe.method:
                    continue
                if rq.path == probe.path and _query_fits(rq, probe):
                    self._played.add(interaction.index)
                    return interaction
        return None

    def save(self) -> bool:
        """Write the cassette if anything was recorded; True when a file was written."""
        for pending in list(self._pending):
            pending.finish()  # bodies never read to the end: keep what arrived
        new = self.interactions
        if not new:
            if self._failures:
                raise self._redaction_failed(0)
            return False
        if self.mode == RecordMode.ONCE and self.path.exists():
            raise CassetteError(
                f"{self.path}: appeared while recording in mode 'once'; not overwriting it "
                "(use mode 'new_episodes' or 'all')"
            )
        old = (
            list(self.existing.interactions)
            if self.mode == RecordMode.NEW_EPISODES and self.existing
            else []
        )
        merged = tuple(
            Interaction(i.request, i.response, index=n) for n, i in enumerate([*old, *new])
        )
        write_cassette(self.path, Cassette(merged, source=str(self.path), format="harness"))
        if self._failures:  # the rest is kept; what could not be redacted never is
            raise self._redaction_failed(len(new))
        return True

    def _redaction_failed(self, written: int) -> CassetteError:
        return CassetteError(
            f"{self.path}: wrote {written} interaction(s); left out {len(self._failures)} "
            "whose redaction failed (so their secrets stay off the disk): "
            + "; ".join(self._failures)
        )


def check_writable(path: Path) -> None:
    """Fail now, before any request is sent, if the cassette could not be written later."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise CassetteError(f"{path}: is a directory; give the cassette a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CassetteError(
            f"{path}: cannot write the cassette there ({exc.strerror or exc}); nothing was "
            "recorded and no request was sent"
        ) from None


def _query_fits(recorded: RecordedRequest, probe: RecordedRequest) -> bool:
    from harness.cassettes.patterns import is_secret_param

    sent = probe.query
    return all((k, v) in sent for k, v in recorded.query if not is_secret_param(k))


@contextmanager
def recording(
    path: str | Path,
    mode: RecordMode | str = RecordMode.ONCE,
    *,
    redact: Redactor | bool = True,
    libraries: tuple[str, ...] = ("httpx", "httpx2"),
    clock: Clock | None = None,
) -> Iterator[Recorder]:
    """Record (or replay, per ``mode``) the traffic of httpx/httpx2 clients created inside.

    ``redact=True`` applies the default rules, a :class:`Redactor` adds your own, ``False``
    turns redaction off (for tests of redaction itself; never for a cassette you commit).
    The cassette is written when the block exits normally; an exception inside leaves the
    file as it was. Replay is strictly in recorded order, on ``clock`` (virtual: recorded
    delays cost no wall time), and a request the cassette does not expect raises
    :class:`~harness.transport.ReplayMiss` naming the closest recorded one.
    """
    if mode not in MODES:
        raise CassetteError(f"unknown record mode {mode!r}; expected one of {', '.join(MODES)}")
    mode = RecordMode(mode)
    target = Path(path)
    redactor = Redactor() if redact is True else redact or None
    recorder = Recorder(target, mode, redactor, clock or Clock())
    if target.exists() and mode is not RecordMode.ALL:
        recorder.existing = load_cassette(target)
    elif mode is RecordMode.NONE:
        raise CassetteError(f"{target}: no such cassette, and record mode 'none' only replays")
    if recorder.existing is None or not mode.replays_existing():
        check_writable(target)  # before the first real call, not after the last one
    from harness.transport.record import install_recorder, install_replay

    with ExitStack() as stack:
        if recorder.existing is not None and mode.replays_existing():
            from harness.cassettes.replay import cassette_script

            recorder.replay = Replay(cassette_script(recorder.existing), recorder.clock)
            stack.enter_context(install_replay(recorder.replay, libraries))
        else:
            stack.enter_context(install_recorder(recorder, libraries))
        yield recorder
    if recorder.replay is None:
        recorder.save()
