"""The matrix's side of the warm workers: one per environment (Python), started on first use.

Each driver's share runs in a child the environment's warm worker forks
(:mod:`harness.matrix.warm_worker`), instead of a process of its own that imports everything
again. :meth:`WarmPool.connect` asks for a child and returns the connection its results come
on; ``None`` means no warm worker serves that Python (not Linux, or it failed to start or
died), and the matrix starts a worker process for the driver as before. With ``keep``
(``harness matrix --keep-workers``) the warm workers outlive the matrix and the next run
uses them (:mod:`harness.matrix.kept`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.matrix.kept import Kept, attach
from harness.vocab.errors import HarnessError

__all__ = ["MODULE", "WarmPool", "supported", "warm_pool"]

MODULE = "harness.matrix.warm_worker"
"""What a warm worker runs (``python -m MODULE``)."""


def supported() -> bool:
    """Whether warm workers can run here: ``fork``, Unix sockets and ``pidfd_open``."""
    if sys.platform != "linux" or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:  # a kernel before 5.3
        return False
    return True


@dataclass
class _Worker:
    path: str
    proc: subprocess.Popen[bytes] | None
    stderr: IO[str] | None
    broken: bool = False


@dataclass
class WarmPool:
    """The warm workers of one matrix, by Python; :meth:`close` ends them."""

    paths: Sequence[Path]
    preload: Sequence[str]
    peers: Callable[[str], list[str]]
    """The drivers that run with the same Python as this one (it first): what its warm
    worker warms."""
    env: dict[str, str]
    keep: float | None = None
    """Keep the warm workers for later runs, each ending after this many idle seconds."""
    kept: dict[str, Kept] = field(default_factory=dict)
    """The kept warm workers this matrix used, by Python."""
    _workers: dict[str, _Worker] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _tmp: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="harness-warm-"))

    def connect(self, python: str, request: dict[str, Any]) -> socket.socket | None:
        """A connection to a fresh child running ``request`` (see the warm worker), or None."""
        worker = self._worker(python, str(request["driver"]))
        if worker.broken:
            return None
        import json

        if self.keep is not None:  # a kept worker was started by another run, elsewhere
            request = {**request, "env": self.env}
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(worker.path)
            conn.sendall((json.dumps(request) + "\n").encode())
        except OSError:
            conn.close()
            self.mark_broken(python)
            return None
        return conn

    def mark_broken(self, python: str) -> None:
        """The warm worker of ``python`` is gone: later drivers start processes of their own."""
        with self._lock:
            self._workers[python].broken = True

    def _worker(self, python: str, driver: str) -> _Worker:
        with self._lock:
            if python not in self._workers:
                self._workers[python] = self._start(python, driver, len(self._workers))
            return self._workers[python]

    def _start(self, python: str, driver: str, number: int) -> _Worker:
        if self.keep is not None:
            return self._attach(python, driver, self.keep)
        path = os.path.join(self._tmp, f"w{number}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stderr = open(os.path.join(self._tmp, f"w{number}.stderr"), "w+", encoding="utf-8")  # noqa: SIM115
        try:
            listener.bind(path)
            listener.listen(128)
            cmd = [
                python,
                "-m",
                MODULE,
                "--listen-fd",
                str(listener.fileno()),
            ]
            for module in self.preload:
                cmd += ["--import", module]
            for peer in self.peers(driver):
                cmd += ["--warm", peer]
            cmd += [str(p) for p in self.paths]
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                pass_fds=(listener.fileno(),),
                env=self.env,
            )
        except OSError:
            stderr.close()
            return _Worker(path, None, None, broken=True)
        finally:
            listener.close()  # the warm worker holds it: when it dies, connecting fails
        return _Worker(path, proc, stderr)

    def _attach(self, python: str, driver: str, idle: float) -> _Worker:
        try:
            kept = attach(
                python, preload=self.preload, warm=self.peers(driver), env=self.env, idle=idle
            )
        except (HarnessError, OSError) as exc:  # the drivers run in processes of their own
            print(f"harness: {exc}", file=sys.stderr)
            return _Worker("", None, None, broken=True)
        self.kept[python] = kept
        return _Worker(kept.path, None, None)

    def close(self) -> None:
        """End every warm worker (its stdin closes; killed if it does not go); kept ones
        stay."""
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            if worker.proc is None:
                continue
            if worker.proc.stdin is not None:
                worker.proc.stdin.close()
            try:
                worker.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.proc.send_signal(signal.SIGKILL)
                worker.proc.wait()
            if worker.stderr is not None:
                worker.stderr.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def warm_pool(
    drivers: Sequence[str],
    paths: Sequence[Path],
    preload: Sequence[str],
    python: str | None,
    keep: float | None,
    env: dict[str, str],
) -> WarmPool | None:
    """The warm workers, one per Python; a warm worker warms the drivers that share it
    (the same declared requirements, or every driver when ``python`` is given); None where
    they cannot run."""
    if not supported():
        if keep is not None:
            print("harness: --keep-workers needs fork and pidfd_open (Linux)", file=sys.stderr)
        return None

    def group(driver: str) -> tuple[str, ...]:
        from harness.matrix.envs import LATEST_VARIABLE, latest_requirements, requirements_of

        if python is not None:
            return ()
        try:
            if os.environ.get(LATEST_VARIABLE) == "1":
                return latest_requirements(driver)
            return requirements_of(driver)
        except Exception:  # an unknown driver: its own cells say so
            return ("?", driver)

    def peers(driver: str) -> list[str]:
        mine = group(driver)
        return [driver, *(d for d in drivers if d != driver and group(d) == mine)]

    return WarmPool(list(paths), list(preload), peers, env, keep)
