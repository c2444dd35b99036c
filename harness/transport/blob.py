"""Serving a Script to ``requests``, ``urllib3``, ``http.client`` and ``aiohttp`` clients,
through vcrpy's stubs, each response body as one blob.

vcrpy already replaces where each of those libraries meets the network (``http.client``'s
and urllib3's connection classes, aiohttp's ``ClientSession._request``) and asks a cassette
for each response. :func:`serving_blob` hands those stubs a :func:`script_cassette`, a vcrpy
``Cassette`` kept in memory whose every answer comes from :meth:`Replay.serve
<harness.transport.core.Replay.serve>`: the same matching, order, request log,
:class:`~harness.transport.core.ReplayMiss` and virtual clock as the httpx/httpx2 transport
(:mod:`harness.transport._bind`), nothing decided twice. A cassette that can play every
request never opens a connection (the stubs connect only to record), and the no-network
guard (:mod:`harness.transport.guard`) still stops anything else.

What a blob cannot say: vcrpy's stubs hand the client the whole body at once, so chunk
boundaries (where the reads fall) and timing (a delay before the head or between chunks, a
stall, a cut mid-body, a reset) are served to httpx and httpx2 clients only.
:func:`blob_limit` says why a script needs them (a driver's n/a reason); a script that
needs them anyway fails with :class:`BlobOnly` rather than be served a different reply.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from http import HTTPStatus
from typing import Any

from harness.dialects.script import Exchange, Script
from harness.scenario.model import ReplyWrapper, Scenario
from harness.scenario.wire import Wire
from harness.transport.core import Replay, ReplayMiss, WireErrors, WireRequest
from harness.transport.seams import (
    ABSENT,
    PatchSet,
    blob_owners,
    blob_restorer,
    blob_state,
    install,
    put,
    put_back,
    same,
)

__all__ = [
    "BLOB_LIBRARIES",
    "BLOB_ONLY",
    "BlobOnly",
    "blob_limit",
    "play",
    "script_cassette",
    "serving_blob",
]

BLOB_LIBRARIES = ("httplib", "requests", "urllib3", "aiohttp")
"""vcrpy's patcher groups :func:`serving_blob` serves (``httplib`` is ``http.client``)."""

_VCR_PATCHERS = ("httplib", "requests", "boto3", "urllib3", "httplib2", "tornado", "aiohttp")
"""vcrpy's patcher groups other than httpx/httpx2, which harness serves itself."""

BLOB_ONLY = (
    "requests, urllib3 and aiohttp clients are served through vcrpy, each body as one blob: "
    "chunk boundaries and timing are served to httpx/httpx2 clients only"
)


class BlobOnly(ReplayMiss):
    """A scripted exchange a blob cannot express (timing, a cut, a stall, a reset) reached a
    client served through vcrpy. A miss: the replay could not serve what was scripted."""


def blob_limit(script: Script, scenario: Scenario | None = None) -> str | None:
    """Why ``script`` (synthesized from ``scenario``) cannot be served as blobs without
    changing what it tests, or None when it can: a scenario whose replies are cut at chosen
    places (``wire.chunking``), or any exchange with timing, a cut, a stall or a reset."""
    attempts = scenario.attempts if scenario is not None else []
    for wire in (a.reply.wire for a in attempts if isinstance(a, ReplyWrapper)):
        if wire.chunking not in ("per_event", "whole"):
            return f"{BLOB_ONLY}; this scenario cuts a body as {_chunking(wire)}"
    for number, exchange in enumerate(script.exchanges):
        why = _exchange_limit(exchange)
        if why:
            return f"{BLOB_ONLY}; exchange #{number} {exchange.describe()} {why}"
    return None


def _chunking(wire: Wire) -> str:
    chunking = wire.chunking
    return chunking if isinstance(chunking, str) else f"{type(chunking).__name__.lower()}"


def _exchange_limit(exchange: Exchange) -> str:
    if exchange.end != "close":
        return {
            "cut": "is cut mid-body",
            "stall": "stalls after its last chunk",
            "reset": "drops the connection before the head",
        }[exchange.end]
    if exchange.delay:
        return f"waits {exchange.delay:g}s before the head"
    if any(chunk.delay for chunk in exchange.chunks):
        return "paces its body"
    return ""


def _blob_error(message: str) -> BaseException:
    return BlobOnly(f"{BLOB_ONLY}: the script asks for {message!r}")


_ERRORS = WireErrors(cut=_blob_error, timeout=_blob_error)


def _cassette_base() -> type[Any]:
    from vcr.cassette import Cassette
    from vcr.record_mode import RecordMode

    class ScriptCassette(Cassette):  # type: ignore[misc]
        """A vcrpy cassette in memory whose answers are ``replay``'s, in its order."""

        def __init__(self, replay: Replay, libraries: Sequence[str]) -> None:
            skip = [name for name in _VCR_PATCHERS if name not in libraries]
            super().__init__(
                path=f"harness-replay-{id(replay):x}",
                record_mode=RecordMode.NONE,
                skip_patchers=(*skip, "httpx", "httpx2"),
            )
            self.replay = replay

        def __repr__(self) -> str:
            return f"<ScriptCassette {self.replay!r}>"

        def can_play_response_for(self, request: Any) -> bool:
            return True  # every request is the replay's to answer (or to refuse)

        def find_requests_with_most_matches(self, request: Any) -> list[tuple[Any, ...]]:
            return [(request, [], [])]  # a followed redirect: the script's next exchange

        def play_response(self, request: Any) -> dict[str, Any]:
            return play(self.replay, request)

        def append(self, request: Any, response: Any) -> None:
            raise AssertionError("a ScriptCassette never records")  # write-protected

        def _save(self, force: bool = False) -> None:
            return None

    return ScriptCassette


def _pinning_builder() -> type[Any]:
    from vcr.patch import CassettePatcherBuilder

    class PinningBuilder(CassettePatcherBuilder):  # type: ignore[misc]
        """vcrpy's builder, but each connection stub made from its classes keeps the
        cassette of the block it was made in (``_Prebuilt.block``), so one set of classes
        serves every block and a connection kept from an earlier test still reaches that
        test's (retired) replay: a stale client, as with classes built per block. The
        block's cassette is the ``block`` of the builder's ``prebuilt`` (:class:`_Prebuilt`)."""

        prebuilt: _Prebuilt

        def _build_cassette_subclass(self, base_class: type[Any]) -> type[Any]:
            built: type[Any] = super()._build_cassette_subclass(base_class)
            owner = self.prebuilt
            init = built.__init__

            def __init__(stub: Any, *args: Any, **kwargs: Any) -> None:
                object.__setattr__(stub, "cassette", owner.block)  # vcrpy's __setattr__
                init(stub, *args, **kwargs)  # would copy it onto the real connection

            built.__init__ = __init__
            return built

    return PinningBuilder


def play(replay: Replay, request: Any) -> dict[str, Any]:
    """``replay``'s answer to vcrpy's ``request``, as the response dict vcrpy's stubs build
    responses from (``status``, ``headers`` as lists, the whole ``body``)."""
    sent = WireRequest(request.method, request.uri, _headers(request.headers), _body(request), None)
    try:
        served = replay.serve(sent, _ERRORS)  # a scripted reset raises BlobOnly here
        why = _exchange_limit(served.body.exchange)
        if why:
            served.body.close()
            raise BlobOnly(f"{BLOB_ONLY}: exchange #{served.body.index} {why}")
    except BlobOnly as error:
        replay.misses.append(error)  # kept for the runner, as the replay keeps its misses
        raise
    body = b"".join(served.body)
    headers: dict[str, list[str]] = {}
    for name, value in served.headers:
        headers.setdefault(name, []).append(value)
    return {
        "status": {"code": served.status, "message": _reason(served.status)},
        "headers": headers,
        "body": {"string": body},
    }


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _headers(headers: Any) -> list[tuple[str, str]]:
    """vcrpy's request headers (values may be lists, aiohttp's are) as (name, value) pairs."""
    pairs: list[tuple[str, str]] = []
    for name, value in headers.items():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, bytes):
                item = item.decode("latin-1")
            pairs.append((str(name), str(item)))
    return pairs


def _body(request: Any) -> bytes:
    """The request body as sent: bytes, text, a joined iterator, or aiohttp's ``json=``."""
    body = request.body_bytes
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode("utf-8")
    return str(body).encode("utf-8")


_cassette_class: dict[type[Any], type[Any]] = {}
"""vcrpy's ``Cassette`` -> the ScriptCassette built on it (a new one if vcrpy is imported
anew, as pytester's in-process runs do, so the class never outlives its base)."""


def script_cassette(replay: Replay, libraries: Sequence[str] = BLOB_LIBRARIES) -> Any:
    """A vcrpy ``Cassette`` kept in memory (its class is built on first use, so importing this
    module imports no vcrpy) whose every answer is ``replay``'s (:func:`play`), for vcrpy's
    patchers of ``libraries``; it can play any request, so the stubs never connect."""
    from vcr.cassette import Cassette

    if Cassette not in _cassette_class:
        _cassette_class.clear()
        _cassette_class[Cassette] = _cassette_base()
    return _cassette_class[Cassette](replay, libraries)


class _Block:
    """One open :func:`serving_blob` block: vcrpy's seams as it found and as it left them."""

    def __init__(self, entry: list[object]) -> None:
        self.entry = entry
        self.installed: list[object] = []


_open_blocks: list[_Block] = []
"""The :func:`serving_blob` blocks open now, in the order they were opened (vcrpy's patches
are global, so a block's exit has to know which are inside it)."""


class _Prebuilt:
    """vcrpy's patchers for some libraries, built once and installed by every block that
    finds vcrpy's seams as they were when they were built (the usual case: one block per
    test, nothing else patching them). Building them (stub classes, ~30 patchers) cost more
    than the rest of a test's replay set-up, and left classes for the garbage collector.

    Each patch is installed by assignment and undone exactly (an inherited attribute is
    deleted again), in reverse order, as entering and leaving vcrpy's ``mock.patch``
    objects does; vcrpy's connection removers run first on exit, as after
    ``use_cassette``. The stubs answer from ``shared``, whose replay is the open block's;
    each connection stub keeps the cassette of the block that made it
    (:func:`_pinning_builder`)."""

    def __init__(self, replay: Replay, libraries: Sequence[str]) -> None:
        from unittest import mock

        self.in_use = False
        self.shared = script_cassette(replay, libraries)
        self.block = self.shared
        """The open block's cassette: the connection stubs made now keep it."""
        self.patches: list[tuple[Any, str, object]] = []
        self.removers: list[Any] = []
        builder = _pinning_builder()(self.shared)
        builder.prebuilt = self
        for patcher in builder.build():
            if isinstance(patcher, mock._patch):
                self.patches.append((patcher.getter(), patcher.attribute, patcher.new))
            else:  # vcrpy's ConnectionRemover: takes its stubs out of the pools on exit
                self.removers.append(patcher)
        self.patches = _last_of_each(self.patches)
        self.entry = blob_state()  # building imported what vcrpy patches (SOCKS pools)
        self.owners = blob_owners()
        """vcrpy's seams when built: the same list while no module of theirs is imported."""
        self.saved = [vars(owner).get(name, ABSENT) for owner, name, _ in self.patches]
        """What each patched attribute held as its own when built (:attr:`entry`, in the
        patches' order): what :meth:`close` puts back after a block :meth:`enter` ed on it."""
        self.set = PatchSet(self.patches)
        patched = {(id(owner), name) for owner, name, _ in self.patches}
        self.covers = all((id(owner), name) in patched for owner, name in self.owners)
        """Whether the patches reach every seam: putting them back then restores them all,
        so a block that found the seams as built needs no restorer of its own."""
        self.installed: list[object] | None = None
        """vcrpy's seams as :meth:`enter` leaves them: the same objects every time (it is
        entered only on :attr:`entry`, and installs the same patches), so taken once."""
        self._undo: Callable[[], None] | None = None
        """Puts back what the open block's patches replaced (None: nothing to undo)."""

    def pristine(self) -> bool:
        """Whether a block may :meth:`enter` with ``found=True``: vcrpy's seams are exactly
        as when these patches were built (no module of theirs imported since, no attribute
        changed), the patches reach every seam, and no block uses them."""
        if self.in_use or not self.covers or blob_owners() is not self.owners:
            return False
        return self.set.holding(self.set.found)

    def enter(self, replay: Replay, *, found: bool = False) -> Any:
        """Install the patches for ``replay``; :meth:`close` undoes them. ``found``: the
        seams were just seen :meth:`pristine`, so what the patches replace is :attr:`saved`
        (not read again)."""
        self.in_use = True
        self.shared.replay = replay
        shared = self.shared  # a shallow copy, as copy.copy makes it (without its reduce)
        cls: Any = type(shared)
        self.block = block = cls.__new__(cls)
        vars(block).update(vars(shared))
        block.replay = replay
        if found:
            put(self.patches)
            self._undo = self._put_back
        else:
            self._undo = install(self.patches)
        if self.installed is None:
            self.installed = blob_state()
        return self.block

    def _put_back(self) -> None:
        put_back(self.patches, self.saved)

    def close(self) -> None:
        """Undo :meth:`enter`: vcrpy's connection removers first, then the patches in
        reverse (undone even when a remover fails), as closing an ExitStack of them did;
        a block's exit calls it directly (an ExitStack per test fed the collector)."""
        try:
            for remover in reversed(self.removers):
                remover.__exit__(None, None, None)
        finally:
            undo, self._undo = self._undo, None
            if undo is not None:  # not undone already
                undo()

    def done(self) -> None:
        """The block is over (its patches undone, or dropped by a late exit)."""
        self.in_use = False
        self._undo = None  # a late exit dropped the undo: its seams were put back around it
        for remover in self.removers:  # the pools of this block only, not of every block
            remover._connection_pool_to_connections.clear()


def _last_of_each(patches: list[tuple[Any, str, object]]) -> list[tuple[Any, str, object]]:
    """One patch per attribute, the last one given for it (what installing them all in order
    leaves), where the first was: vcrpy patches urllib3 once for itself and once as
    ``requests.packages.urllib3``, the same module, so half of its patches were set and
    undone twice around every test. Undoing the shorter list leaves what the longer did."""
    last = {(id(owner), name): value for owner, name, value in patches}
    kept: list[tuple[Any, str, object]] = []
    for owner, name, _ in patches:
        value = last.pop((id(owner), name), _GONE)
        if value is not _GONE:
            kept.append((owner, name, value))
    return kept


_GONE = object()

_prebuilt: dict[tuple[type[Any], tuple[str, ...]], _Prebuilt] = {}
"""(vcrpy's ``Cassette``, libraries) -> the patchers built for them."""


def _reusable(replay: Replay, libraries: Sequence[str], entry: list[object]) -> _Prebuilt | None:
    """Prebuilt patchers this block may install (built now if need be), or None when
    another block's are in place: the block then builds its own, as vcrpy does."""
    from vcr.cassette import Cassette

    key = (Cassette, tuple(libraries))
    found = _prebuilt.get(key)
    if found is not None and not found.in_use and same(found.entry, entry):
        return found
    if _open_blocks or (found is not None and found.in_use):
        return None
    if any(cassette is not Cassette for cassette, _ in _prebuilt):  # vcrpy imported anew
        _prebuilt.clear()
    _prebuilt[key] = found = _Prebuilt(replay, libraries)
    return found


@contextmanager
def serving_blob(replay: Replay, libraries: Sequence[str] = BLOB_LIBRARIES) -> Iterator[Any]:
    """Inside, clients of ``libraries`` (vcrpy's names: ``httplib``, ``requests``,
    ``urllib3``, ``aiohttp``) are served by ``replay``, each body as one blob; the cassette
    is yielded. httpx and httpx2 are left to :func:`harness.transport.serving`.

    vcrpy's patchers are entered once, as ``vcr.use_cassette`` does, and undone in reverse
    order on exit, whatever ends the block (an exception, a failed test, a closed
    generator); they are built once and reused by the blocks that follow while nothing
    else changed vcrpy's seams (:class:`_Prebuilt`). Blocks nest. A block that ends while
    one opened inside it is still open (a driver's generator never closed) puts every seam
    vcrpy patches (:data:`~harness.transport.seams.BLOB_SEAMS`) back as it found them and
    closes the inner one. A block whose exit comes late (a generator finalized after its
    test or cell, its patches undone since) changes nothing, whatever is open by then: no
    stub outlives the block that installed it, and a late exit never reinstates a replay
    that is over.
    """
    if libraries is not BLOB_LIBRARIES:
        unknown = sorted(set(libraries) - set(BLOB_LIBRARIES))
        if unknown:
            raise ValueError(f"unknown libraries {unknown}; expected some of {BLOB_LIBRARIES}")
    quick = _pristine(libraries)
    if quick is not None:  # the usual case, one block per test: one look at the seams
        block = _Block(quick.entry)  # no snapshot: the seams are as quick.entry says
        _open_blocks.append(block)
        try:
            cassette = quick.enter(replay, found=True)
            assert quick.installed is not None
            block.installed = quick.installed
            yield cassette
        finally:
            _close_pristine(block, quick)
        return
    from vcr.patch import CassettePatcherBuilder  # imports each library vcrpy patches

    block = _Block(blob_state())
    restore = blob_restorer(block.entry)
    prebuilt = _reusable(replay, libraries, block.entry)
    _open_blocks.append(block)
    close: Callable[[], None]
    if prebuilt is not None:
        close = prebuilt.close
    else:
        stack = ExitStack()
        close = stack.close
    try:
        if prebuilt is not None:
            cassette = prebuilt.enter(replay)
            assert prebuilt.installed is not None
            block.installed = prebuilt.installed
        else:
            cassette = script_cassette(replay, libraries)
            for patcher in CassettePatcherBuilder(cassette).build():
                stack.enter_context(patcher)
            block.installed = blob_state()
        yield cassette
    finally:
        _close(block, close, restore)
        if prebuilt is not None:
            prebuilt.done()


def _pristine(libraries: Sequence[str]) -> _Prebuilt | None:
    """The prebuilt patchers for ``libraries`` when no block is open and they are
    :meth:`~_Prebuilt.pristine`; None sends the block the long way (:func:`_reusable`)."""
    vcr_cassette = sys.modules.get("vcr.cassette")
    if _open_blocks or vcr_cassette is None:
        return None
    key = (vcr_cassette.Cassette, libraries if type(libraries) is tuple else tuple(libraries))
    found = _prebuilt.get(key)
    return found if found is not None and found.pristine() else None


def _close_pristine(block: _Block, prebuilt: _Prebuilt) -> None:
    """End a block entered on pristine seams. Its patches reach every seam, so putting them
    back leaves every seam as found: nothing to restore from. A block opened inside it and
    never closed, or an exit after the seams were put back around it, takes the long way
    (:func:`_close`)."""
    try:
        if _open_blocks and _open_blocks[-1] is block:
            _open_blocks.pop()
            prebuilt.close()  # vcrpy's stub connections out of the pools; every seam back
        else:
            _close(block, prebuilt.close, blob_restorer(block.entry))
    finally:
        prebuilt.done()


def _close(block: _Block, close: Callable[[], None], restore: Callable[[], None]) -> None:
    """End ``block``: ``close`` undoes its patches (vcrpy's stub connections out of the
    pools first); a late block's are dropped instead (:meth:`_Prebuilt.done` forgets them)."""
    if block not in _open_blocks:  # a block around it closed first: keep what that one left
        keep = blob_restorer()
        close()  # vcrpy's stub connections out of the pools; its patches undone anew
        keep()
        return
    at = _open_blocks.index(block)
    above = _open_blocks[at + 1 : at + 2]
    if above and not same(above[0].entry, block.installed):  # late: its patches are gone
        del _open_blocks[at]  # and those open now are not inside it: leave them alone
        return  # what it installed is dropped, not undone (a stack's is garbage now)
    del _open_blocks[at:]  # itself, and any block opened inside it and never closed
    close()  # vcrpy's patches in reverse, and its stub connections out of the pools
    restore()
