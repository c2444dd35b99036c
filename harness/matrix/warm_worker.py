"""The warm worker of one environment: imports once, then forks one child per driver's share.

Starting a worker process and importing an adapter costs seconds (3 s for the OpenAI SDK,
6-7 s for litellm and strands, measured) against milliseconds per cell. So the matrix starts
one warm worker per environment (:mod:`harness.matrix.pool`)::

    python -m harness.matrix.warm_worker --listen-fd FD [--import M]... [--warm DRIVER]... PATH...

It imports harness's run machinery, loads the scenarios once and imports the adapter
modules of every driver it will serve (each driver's ``requires``, and the adapter modules
its module imports lazily), compiles the scenarios once per dialect of those drivers (their
scripts: :func:`compile_for`), then serves requests on the listening Unix socket ``FD``. A
request (one JSON line: the driver, its scenarios, budget, where its stderr and hang dump
go) is answered by a ``fork``: the child runs that driver's cells exactly as a worker process
(:func:`harness.matrix.worker.serve`), sending ``{"pid": ...}`` and then its cell lines on the
connection; when it has ended, the warm worker reaps it and sends ``{"exit": status}``.

Isolation is the fork's: every child starts from the warm worker's state, which no cell ever
ran in, so what one driver's adapter patches or caches at module level (litellm's client
cache, langchain's lru_caches) cannot reach another driver's cells; within one driver the
cells share a process as they always did. A hung or crashed child is what a hung or crashed
worker process was: the matrix reports the cell and asks for a fresh child for the rest.

Warming is lazy where it matters: a request for a driver not yet warmed warms it first; the
others are warmed while no request waits. A driver whose modules fail to import is left cold
(its child reports the failure, as its own worker would). The warm worker ends when its
stdin (a pipe from the matrix) closes. Linux only (``fork``, ``pidfd_open``); elsewhere the
matrix starts a worker process per driver.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import importlib
import json
import os
import selectors
import socket
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["adapter_modules", "compile_for", "main", "prepare", "warm_up"]

REQUEST_TIMEOUT = 30.0
"""Seconds a connection may take to send its request line."""


def adapter_modules(driver_name: str) -> list[str]:
    """What warming ``driver_name`` imports: its ``requires``, then the modules of those
    packages its driver module imports inside functions (adapters are imported lazily)."""
    from harness.drivers.base import get_driver

    driver = get_driver(driver_name)
    wanted = list(driver.requires)
    tops = {m.split(".")[0] for m in wanted}
    module = sys.modules.get(type(driver).__module__)
    source = getattr(module, "__file__", None)
    if source is None or not source.endswith(".py"):
        return wanted
    tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        wanted += [n for n in names if n.split(".")[0] in tops and n not in wanted]
    return wanted


def prepare() -> None:
    """Import what every child runs: harness's run machinery and its checks (the schema
    check's validators built)."""
    import harness.run.cell
    import harness.run.rechunk
    import harness.run.runner  # noqa: F401
    from harness.checks import default_checks
    from harness.checks.schema import load_validators

    default_checks()
    load_validators()


def warm_up(driver_name: str) -> None:
    """Import what running ``driver_name`` imports: its dialect's modules and its adapter's
    (:func:`adapter_modules`). What fails to import is left for the child to report, as a
    worker of its own would."""
    try:
        from harness.dialects import get_dialect
        from harness.drivers.base import get_driver

        package = type(get_dialect(get_driver(driver_name).dialect)).__module__
        modules = [f"{package}.{part}" for part in ("read", "synthesize", "normalize")]
        modules += adapter_modules(driver_name)
    except Exception:  # an unknown driver or dialect: its child says so
        return
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # absent (a dialect without normalize), not installed, or broken
            continue


def compile_for(driver_name: str, scenarios: Sequence[Any]) -> None:
    """Compile ``scenarios`` on ``driver_name``'s dialect once, for every child of that
    dialect (:func:`harness.dialects.compiled.precompile`); nothing if that fails."""
    try:
        from harness.dialects import get_dialect
        from harness.dialects.compiled import precompile
        from harness.drivers.base import get_driver

        precompile(get_dialect(get_driver(driver_name).dialect), scenarios)
    except Exception:  # an unknown driver or dialect: its child says so
        return


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


def _child(conn: socket.socket, request: dict[str, Any], scenarios: Sequence[Any]) -> int:
    """In the forked child: stdio away from the matrix's pipes, then the driver's cells."""
    from harness.matrix.worker import serve
    from harness.transport.budget import Budget

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


class _Server:
    def __init__(self, listener: socket.socket, scenarios: Sequence[Any], warm: list[str]):
        self.listener = listener
        self.scenarios = scenarios
        self.pending = list(warm)
        self.warmed: set[str] = set()
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd: (pid, connection)

    def warm(self, driver: str) -> None:
        if driver in self.warmed:
            return
        self.warmed.add(driver)
        if driver in self.pending:
            self.pending.remove(driver)
        warm_up(driver)
        compile_for(driver, self.scenarios)

    def serve_forever(self) -> int:
        self.selector.register(self.listener, selectors.EVENT_READ, "listen")
        self.selector.register(0, selectors.EVENT_READ, "stdin")
        while True:
            events = self.selector.select(0 if self.pending else None)
            for key, _ in events:
                if key.data == "stdin":
                    if not os.read(0, 4096):
                        return 0  # the matrix is done (or gone)
                elif key.data == "listen":
                    self.accept()
                else:
                    self.reap(key.fd)
            if not events and self.pending:
                self.warm(self.pending[0])

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        request = _read_request(conn)
        if request is None:
            conn.close()
            return
        self.warm(str(request.get("driver", "")))
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
                code = _child(conn, request, self.scenarios)
            except BaseException:
                traceback.print_exc()
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                # threads an adapter left running must not keep the child alive
                os._exit(code)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "child")

    def reap(self, pidfd: int) -> None:
        pid, conn = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
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
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    listener = socket.socket(fileno=args.listen_fd)
    for module in args.imports:  # modules that register drivers
        __import__(module)
    prepare()
    from harness.scenario.load import load_scenarios

    scenarios = load_scenarios(args.paths)
    return _Server(listener, scenarios, args.warm).serve_forever()


if __name__ == "__main__":
    code = main()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
