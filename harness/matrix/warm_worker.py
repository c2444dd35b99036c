"""The warm worker of one environment: imports once, then forks one child per driver's share.

Starting a worker process and importing an adapter costs seconds (3 s for the OpenAI SDK,
6-7 s for litellm and strands, measured) against milliseconds per cell. So the matrix starts
one warm worker per environment (:mod:`harness.matrix.pool`)::

    python -m harness.matrix.warm_worker --listen-fd FD [--import M]... [--warm DRIVER]...
        [--keep IDLE --since NS] PATH...

It imports harness's run machinery, loads the scenarios once and imports the adapter
modules of every driver it will serve (:mod:`harness.matrix.warming`; it compiles the
scenarios once per dialect, before the first child of that dialect), then serves requests
on the listening Unix socket ``FD``. A request (one JSON line: the driver, its scenarios'
paths, budget, where its stderr and hang dump go) is answered by a ``fork``: the child runs
that driver's cells exactly as a worker process (:func:`harness.matrix.worker.serve`),
sending ``{"pid": ...}`` and then its cell lines on the connection; when it has ended, the
warm worker reaps it and sends ``{"exit": status}``.

Isolation is the fork's: every child starts from the warm worker's state, which no cell ever
ran in, so what one driver's adapter patches or caches at module level (litellm's client
cache, langchain's lru_caches) cannot reach another driver's cells; within one driver the
cells share a process as they always did. A hung or crashed child is what a hung or crashed
worker process was: the matrix reports the cell and asks for a fresh child for the rest.

Warming is lazy where it matters: a request for a driver not yet warmed warms it first; the
others are warmed, one module at a time, while no request waits. A driver whose modules fail
to import is left cold (its child reports the failure, as its own worker would). The warm
worker ends when its stdin (a pipe from the matrix) closes; a kept one (``--keep IDLE``,
:mod:`harness.matrix.kept`) outlives the matrix, reloads scenarios whose files changed,
answers ``{"op": "hello" | "status" | "stop"}``, stops when what it imported changed on disk
(:mod:`harness.matrix.freshness`), and ends after ``IDLE`` seconds without a request. Linux
only (``fork``, ``pidfd_open``); elsewhere the matrix starts a worker process per driver.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import selectors
import socket
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

from harness.matrix.forked import leave
from harness.matrix.freshness import Snapshot, scenario_stamp
from harness.matrix.warming import compile_for, import_quietly, modules_of, prepare, warm_up

__all__ = ["main"]

REQUEST_TIMEOUT = 30.0
"""Seconds a connection may take to send its request line."""


def _read_request(conn: socket.socket) -> dict[str, Any] | None:
    conn.settimeout(REQUEST_TIMEOUT)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
    except OSError:
        return None
    finally:
        conn.settimeout(None)
    try:
        request = json.loads(data)
    except ValueError:
        return None
    return request if isinstance(request, dict) else None


def _child(conn: socket.socket, request: dict[str, Any], scenarios: list[Any] | Exception) -> int:
    """In the forked child: the matrix's directory and environment (a kept worker's may be
    another run's), stdio away from the matrix's pipes, then the driver's cells."""
    from harness.matrix.worker import serve
    from harness.transport.budget import Budget

    if "cwd" in request:
        os.chdir(request["cwd"])
    if isinstance(request.get("env"), dict):
        os.environ.clear()
        os.environ.update(request["env"])
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # adapters print there; results have their connection
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(stderr, 2)
    os.close(devnull)
    os.close(stderr)
    out = conn.makefile("w", encoding="utf-8")
    out.write(json.dumps({"pid": os.getpid()}) + "\n")
    out.flush()
    if isinstance(scenarios, Exception):  # loading them failed: as a worker of its own would
        raise scenarios
    only = request.get("only")
    wanted = set(only) if only is not None else None
    mine = [s for s in scenarios if wanted is None or s.id in wanted]
    budget = Budget(wall_seconds=request["wall"], virtual_seconds=request["virtual"])
    dump = open(request["dump"], "w", encoding="utf-8")  # noqa: SIM115
    return serve(
        request["driver"],
        mine,
        out,
        rechunk=bool(request.get("rechunk")),
        budget=budget,
        hard_stop=float(request["hard_stop"]),
        dump=dump,
    )


class _Scenarios:
    """The scenarios of each set of paths, loaded again when their files change."""

    def __init__(self) -> None:
        self.loaded: dict[tuple[str, ...], tuple[object, list[Any] | Exception]] = {}

    def get(self, paths: Sequence[str]) -> list[Any] | Exception:
        from harness.scenario.load import load_scenarios

        key = (os.getcwd(), *paths)
        stamp = scenario_stamp(key[1:])
        cached = self.loaded.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            got: list[Any] | Exception = load_scenarios(list(key[1:]))
        except Exception as exc:  # the child raises it, as a worker of its own would
            got = exc
        self.loaded[key] = (stamp, got)
        return got


class _Server:
    def __init__(
        self,
        listener: socket.socket,
        paths: list[str],
        warm: list[str],
        *,
        keep: float | None = None,
        snapshot: Snapshot | None = None,
    ):
        self.listener = listener
        self.paths = paths
        self.scenarios = _Scenarios()
        self.pending = list(warm)
        self.todo: list[str] = []  # modules of pending[0] not yet imported
        self.warmed: set[str] = set()
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd: (pid, connection)
        self.keep = keep
        self.snapshot = snapshot
        self.served = 0
        self.stopping = False
        self.active = time.monotonic()

    def warm(self, driver: str) -> None:
        if driver in self.warmed:
            return
        if self.pending and self.pending[0] == driver:
            self.todo = []
        if driver in self.pending:
            self.pending.remove(driver)
        warm_up(driver)
        self.warmed.add(driver)

    def warm_next(self) -> None:
        """One step of warming the next driver no request asked for yet: one import."""
        if not self.todo:
            self.todo = [*modules_of(self.pending[0]), ""]
        module = self.todo.pop(0)
        if module:
            import_quietly(module)
        else:  # its last module is in
            self.warmed.add(self.pending.pop(0))

    def timeout(self) -> float | None:
        if self.pending and not self.stopping:
            return 0
        if self.keep is None or self.children:
            return None
        return max(0.0, self.active + self.keep - time.monotonic())

    def serve_forever(self) -> int:
        self.selector.register(self.listener, selectors.EVENT_READ, "listen")
        if self.keep is None:
            self.selector.register(0, selectors.EVENT_READ, "stdin")
        while True:
            events = self.selector.select(self.timeout())
            for key, _ in events:
                if key.data == "stdin":
                    if not os.read(0, 4096):
                        return 0  # the matrix is done (or gone)
                elif key.data == "listen":
                    self.accept()
                else:
                    self.reap(key.fd)
            if self.stopping and not self.children:
                return 0
            if not events and self.pending and not self.stopping:
                self.warm_next()
            elif not events and self.timeout() == 0:
                return 0  # a kept worker, idle for long enough: nothing lingers

    def info(self) -> dict[str, Any]:
        stale = self.snapshot.stale() if self.snapshot is not None else None
        return {
            "pid": os.getpid(),
            "python": sys.executable,
            "started_ns": self.snapshot.since_ns if self.snapshot is not None else None,
            "served": self.served,
            "running": len(self.children),
            "warmed": sorted(self.warmed),
            "idle_seconds": self.keep,
            "stale": stale,
        }

    def answer(self, conn: socket.socket, request: dict[str, Any]) -> None:
        """A question about this worker: ``hello`` (a matrix run will use it, if it is not
        stale: these drivers to warm, this idle timeout), ``status``, or ``stop``."""
        op = request["op"]
        reply = self.info()
        if op == "hello":
            if isinstance(request.get("idle"), int | float):
                self.keep = float(request["idle"])
            wanted = [str(d) for d in request.get("warm", ())]
            self.pending += [d for d in wanted if d not in self.warmed and d not in self.pending]
        if op == "stop" or (op == "hello" and reply["stale"] is not None):
            self.stop()
        with contextlib.suppress(OSError):
            conn.sendall((json.dumps(reply) + "\n").encode())
        conn.close()

    def stop(self) -> None:
        """No new requests; the children still running finish and are reported first."""
        if not self.stopping:
            self.stopping = True
            self.selector.unregister(self.listener)
            self.listener.close()

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        request = _read_request(conn)
        if request is None:
            conn.close()
            return
        if request.get("op") in ("status", "stop"):  # asking does not keep it alive
            self.answer(conn, request)
            return
        self.active = time.monotonic()
        if "op" in request:
            self.answer(conn, request)
            return
        self.served += 1
        self.warm(str(request.get("driver", "")))
        if "cwd" in request:  # the scenarios' paths are as the matrix spelled them
            with contextlib.suppress(OSError):
                os.chdir(request["cwd"])
        scenarios = self.scenarios.get(request.get("paths") or self.paths)
        if not isinstance(scenarios, Exception):  # once per dialect, for every child of it
            compile_for(str(request.get("driver", "")), scenarios)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        # what is imported so far stays out of the children's garbage collections: they
        # would walk every adapter's objects (and copy their pages) on each full collection
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # the child never comes back into this loop
            code = 1
            try:
                self.selector.close()
                self.listener.close()
                for _, (_, other) in self.children.items():
                    other.close()
                for pidfd in self.children:
                    os.close(pidfd)
                code = _child(conn, request, scenarios)
            except BaseException:
                traceback.print_exc()
            finally:
                leave(code)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "child")

    def reap(self, pidfd: int) -> None:
        pid, conn = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        self.active = time.monotonic()
        _, status = os.waitpid(pid, 0)
        # a newline first: a child killed mid-line leaves a fragment the reader skips
        message = "\n" + json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n"
        with contextlib.suppress(OSError):
            conn.sendall(message.encode())
        conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.matrix.warm_worker")
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--import", dest="imports", action="append", default=[])
    parser.add_argument("--warm", action="append", default=[], help="a driver to warm")
    parser.add_argument("--keep", type=float, help="outlive the matrix; end after IDLE seconds")
    parser.add_argument("--since", type=int, help="when the matrix started it (time.time_ns())")
    parser.add_argument("--socket", help="a kept worker's socket, removed when it ends")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args(argv)
    if args.keep is not None and os.fork() > 0:
        os._exit(0)  # detached: the matrix that started it does not wait for it
    listener = socket.socket(fileno=args.listen_fd)
    snapshot = Snapshot(args.since or time.time_ns()) if args.keep is not None else None
    for module in args.imports:  # modules that register drivers
        __import__(module)
    prepare()
    server = _Server(listener, args.paths, args.warm, keep=args.keep, snapshot=snapshot)
    if args.paths:
        server.scenarios.get(args.paths)
    try:
        return server.serve_forever()
    finally:
        if args.socket:
            from harness.matrix.kept import release

            server.stop()
            release(args.socket)


if __name__ == "__main__":
    code = main()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
