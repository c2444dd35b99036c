"""The seams of httpx and httpx2 that replay and recording patch, and the one way to patch.

Replay (:func:`harness.transport.serving`, :func:`harness.transport.record.install_replay`)
and recording (:func:`harness.transport.record.install_recorder`) both reach a client by
replacing a method of an HTTP library's class for the duration of a ``with`` block:
:func:`patched` does it and puts back exactly what was there (an inherited method or the
class's own); :func:`restorer` undoes what a block that never exited left behind.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import is_
from types import ModuleType
from typing import Any

__all__ = [
    "ABSENT",
    "BLOB_SEAMS",
    "LIBRARIES",
    "SEAMS",
    "PatchSet",
    "blob_owners",
    "blob_restorer",
    "blob_state",
    "in_place",
    "install",
    "installed",
    "lift",
    "load_library",
    "patched",
    "put",
    "put_back",
    "release",
    "restorer",
    "same",
    "stand",
]

LIBRARIES = ("httpx", "httpx2")

SEAMS = (
    ("Client", "_init_transport"),
    ("Client", "_init_proxy_transport"),
    ("AsyncClient", "_init_transport"),
    ("AsyncClient", "_init_proxy_transport"),
    ("Client", "_get_proxy_map"),
    ("AsyncClient", "_get_proxy_map"),
    ("HTTPTransport", "__init__"),
    ("HTTPTransport", "handle_request"),
    ("AsyncHTTPTransport", "__init__"),
    ("AsyncHTTPTransport", "handle_async_request"),
)
"""(class, attribute) of each library that replay and recording may patch."""

BLOB_SEAMS = (
    ("http.client", "", "HTTPConnection"),
    ("http.client", "", "HTTPSConnection"),
    ("urllib3.connection", "", "HTTPConnection"),
    ("urllib3.connection", "", "HTTPSConnection"),
    ("urllib3.connection", "", "VerifiedHTTPSConnection"),
    ("urllib3.connectionpool", "", "is_connection_dropped"),
    *(
        ("urllib3.connectionpool", pool, name)
        for pool in ("HTTPConnectionPool", "HTTPSConnectionPool")
        for name in ("ConnectionCls", "_get_conn", "_new_conn")
    ),
    *(
        ("urllib3.contrib.socks", pool, name)
        for pool in ("SOCKSHTTPConnectionPool", "SOCKSHTTPSConnectionPool")
        for name in ("ConnectionCls", "_new_conn")
    ),
    ("aiohttp.client", "ClientSession", "_request"),
)
"""(module, class or "" for the module itself, attribute) that vcrpy's stubs replace while
:func:`harness.transport.blob.serving_blob` serves requests, urllib3 and aiohttp clients."""

ABSENT = object()
"""What :func:`install` notes for an attribute its owner did not hold itself (inherited)."""


def load_library(library: str) -> ModuleType:
    """Import ``httpx`` or ``httpx2`` (only when asked: httpx2 is optional)."""
    if library not in LIBRARIES:
        raise ValueError(f"unknown HTTP library {library!r}; expected one of {LIBRARIES}")
    return importlib.import_module(library)


def installed(libraries: Iterable[str]) -> Iterator[tuple[str, ModuleType]]:
    """(name, module) of each of ``libraries`` that is installed; an unknown name raises."""
    for library in libraries:
        try:
            lib = load_library(library)
        except ImportError:
            continue
        yield library, lib


@contextmanager
def patched(
    cls: type[Any], name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> Iterator[None]:
    """Replace ``cls.name`` by ``wrap(current)``; put back exactly what was there."""
    own = name in cls.__dict__
    saved = cls.__dict__.get(name)
    setattr(cls, name, wrap(getattr(cls, name)))
    try:
        yield
    finally:
        if own:
            setattr(cls, name, saved)
        elif name in cls.__dict__:  # a restorer may have put the inherited one back first
            delattr(cls, name)


def install(patches: Sequence[tuple[Any, str, object]]) -> Callable[[], None]:
    """Set each (owner, attribute, value) in order, by plain assignment; the function
    returned undoes them in reverse, putting back exactly what was there (an inherited
    attribute is deleted again), as leaving nested :func:`patched` blocks does. For patches
    built once and installed around every test (the guard's, ``serving``'s, vcrpy's): no
    generator, no closure per patch, and what was there kept in one flat list (a tuple per
    patch made work for the garbage collector in every test)."""
    saved = [vars(owner).get(name, ABSENT) for owner, name, _ in patches]
    put(patches)
    return functools.partial(put_back, patches, saved)


def put(patches: Sequence[tuple[Any, str, object]]) -> None:
    """Set each (owner, attribute, value) of ``patches`` in order, by plain assignment."""
    for owner, name, value in patches:
        setattr(owner, name, value)


def put_back(patches: Sequence[tuple[Any, str, object]], saved: Sequence[object]) -> None:
    """Undo :func:`put`: in reverse, each attribute set to what ``saved`` says its owner held
    as its own (:data:`ABSENT`: nothing, an inherited attribute, so it is deleted again)."""
    for (owner, name, _), value in zip(reversed(patches), reversed(saved), strict=True):
        if value is not ABSENT:
            setattr(owner, name, value)
        elif name in vars(owner):  # a restorer may have put the inherited one back first
            delattr(owner, name)


def in_place(patches: Sequence[tuple[Any, str, object]]) -> bool:
    """Whether every (owner, attribute, value) of ``patches`` is what its owner holds now."""
    return all(getattr(owner, name, ABSENT) is value for owner, name, value in patches)


class PatchSet:
    """Patches built once (owner, attribute, value), not installed yet, and ``found``: what
    each attribute reads as now, which they wrap. Kept in columns too: whether they can be
    used again is then one pass in C per question, not a Python loop per patch (asked around
    every test, for every set)."""

    __slots__ = ("_names", "_owners", "_values", "found", "patches")

    def __init__(self, patches: list[tuple[Any, str, object]]) -> None:
        self.patches = patches
        self._owners = tuple(owner for owner, _, _ in patches)
        self._names = tuple(name for _, name, _ in patches)
        self._values = tuple(value for _, _, value in patches)
        self.found = tuple(map(getattr, self._owners, self._names))

    def holding(self, values: Sequence[object]) -> bool:
        """Whether each attribute reads (inherited or not) as the one at its place in
        ``values``: :attr:`found`, or the patches' own values."""
        try:
            return all(map(is_, map(getattr, self._owners, self._names), values))
        except AttributeError:  # something deleted one
            return False

    def ready(self) -> bool | None:
        """Whether the patches can be used again: True when they are in place already (an
        outer block's, or standing), False when what they wrap is still there (install
        them), None when something else replaced it since (build them anew around that)."""
        if self.holding(self._values):
            return True
        if self.holding(self.found):
            return False
        return None


def release(
    patches: Sequence[tuple[Any, str, object]], undo: Callable[[], None] | None, *, stay: bool
) -> None:
    """End a block that installed ``patches`` (``undo``; None: it found them in place and
    leaves them so): undo them, or with ``stay`` leave them standing (:func:`stand`)."""
    if undo is None:
        return
    if stay:
        stand(patches, undo)
    else:
        undo()


_standing: list[tuple[Sequence[tuple[Any, str, object]], Callable[[], None]]] = []
"""Patches left in place after their block (:func:`stand`), oldest first, with their undo."""


def stand(patches: Sequence[tuple[Any, str, object]], undo: Callable[[], None]) -> None:
    """Leave ``patches`` (installed by :func:`install`, which gave ``undo``) in place after
    the block that installed them, for the blocks that follow to reuse, until :func:`lift`.
    Only for patches that call straight through while no block is open (the guard's,
    ``serving``'s): in place between two tests they change nothing."""
    _standing.append((patches, undo))


def lift() -> None:
    """Undo every standing patch set, newest first, so code outside harness's blocks finds
    the very functions it found before (``harness_replay``'s are lifted at the end of the
    pytest session). A set something else replaced since (a patch of its own on top) is
    left to it: undoing ours would undo theirs too."""
    while _standing:
        patches, undo = _standing.pop()
        if in_place(patches):
            undo()


def restorer() -> Callable[[], None]:
    """Remember every seam now; the function returned puts back whatever changed since.

    A driver's ``with serving(...)`` exits when its generator is closed; an adapter ended
    by its budget may never be, and the patch would then hand every later client (in the
    next cells) this cell's replay. The HTTP libraries are imported here, before the cell,
    so the originals are known; so are vcrpy's seams (:data:`BLOB_SEAMS`) of the libraries
    already imported (the driver of a blob-served library imports them in its first cell).
    """
    saved: list[object] = []
    for module in _installed():
        for owner, name in SEAMS:
            cls = getattr(module, owner)
            saved += (cls, name, vars(cls).get(name, ABSENT))
    return _restore_function(saved + _blob_seams())


def blob_restorer(state: list[object] | None = None) -> Callable[[], None]:
    """:func:`restorer` for vcrpy's seams only (:data:`BLOB_SEAMS` of the libraries imported
    by now, or as ``state``, a :func:`blob_state`, found them):
    :func:`harness.transport.blob.serving_blob` puts them back with it on exit, so no stub
    outlives its block even when a patch inside it was never undone."""
    return _restore_function(_blob_seams() if state is None else state)


def blob_state() -> list[object]:
    """Owner, attribute and value of each of vcrpy's seams now (:data:`BLOB_SEAMS` of the
    libraries imported by now), one after the other in one list (a block takes one on entry
    and one on exit: a tuple per seam made garbage-collector work in every test): what a
    block found, or left, to compare with :func:`same`."""
    return _blob_seams()


def same(one: list[object], other: list[object]) -> bool:
    """Whether two :func:`blob_state` snapshots hold the very same objects."""
    return len(one) == len(other) and all(a is b for a, b in zip(one, other, strict=True))


def _blob_seams() -> list[object]:
    saved: list[object] = []
    add = saved.append  # three appends, not a tuple per seam: run around every test
    for where, name in blob_owners():  # those of libraries imported by now
        add(where)
        add(name)
        add(vars(where).get(name, ABSENT))
    return saved


_BLOB_MODULES = tuple(dict.fromkeys(module for module, _, _ in BLOB_SEAMS))
_owners: list[Any] = [(), []]
"""[the modules of :data:`BLOB_SEAMS` as ``sys.modules`` held them, (owner, attribute) of
each seam they have]: looked up again only when one of those modules is imported (anew)."""


def blob_owners() -> list[tuple[Any, str]]:
    """(owner, attribute) of each of vcrpy's seams (:data:`BLOB_SEAMS`) in the libraries
    imported by now: the very same list while none of their modules is imported (anew), so a
    block can tell by identity that nothing was."""
    modules = sys.modules
    now = tuple(map(modules.get, _BLOB_MODULES))
    found, owners = _owners
    if now == found:  # modules compare by identity
        return owners  # type: ignore[no-any-return]
    owners = []
    for module_name, owner, name in BLOB_SEAMS:
        where: Any = modules.get(module_name)
        if where is not None and owner:
            where = getattr(where, owner, None)
        if where is not None:
            owners.append((where, name))
    _owners[:] = [now, owners]
    return owners


def _restore_function(saved: list[object]) -> Callable[[], None]:
    def restore() -> None:
        each = iter(saved)
        for cls, name, value in zip(each, each, each, strict=True):  # triples
            assert isinstance(name, str)
            if vars(cls).get(name, ABSENT) is value:
                continue
            if value is ABSENT:
                delattr(cls, name)
            else:
                setattr(cls, name, value)

    return restore


@functools.cache
def _installed() -> tuple[ModuleType, ...]:
    """The installed HTTP libraries the replay serves (imported once)."""
    found = [name for name in LIBRARIES if importlib.util.find_spec(name) is not None]
    return tuple(importlib.import_module(name) for name in found)
