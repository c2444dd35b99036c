"""Warm workers kept between matrix runs (``harness matrix --keep-workers``).

Without it, each ``harness matrix`` starts one warm worker per environment and ends it when
the matrix is done, so every run imports the adapters again (seconds each). A kept warm worker
(:mod:`harness.matrix.warm_worker` with ``--keep``) stays, detached, listening on a Unix
socket in a directory of the user's own (:func:`runtime_dir`), named by a key of what it was
started with (:func:`worker_key`): the interpreter, this checkout of harness and its version,
the modules that register drivers, and the environment variables. A run with anything
different gets a worker of its own. The next run's matrix :func:`attach`es to it:

- alive and current: its drivers are forked from it, no import repeated;
- stale (a file it imported changed on disk, or the installed packages did, see
  :mod:`harness.matrix.freshness`): it is told to stop (children still running finish), the
  user is told why, and a new one starts;
- gone (killed, crashed): the user is told, and a new one starts.

A kept worker ends after ``idle`` seconds without a request (default :data:`IDLE_SECONDS`),
or on ``harness workers stop`` (:func:`stop_all`). Whoever replaces one does so holding the
socket's lock file, and a worker removes its socket only if nobody else listens on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.matrix.file_lock import locked
from harness.vocab.errors import HarnessError

__all__ = [
    "DIR_VARIABLE",
    "IDLE_SECONDS",
    "Kept",
    "ask",
    "attach",
    "release",
    "runtime_dir",
    "statuses",
    "stop_all",
    "worker_key",
]

IDLE_SECONDS = 600.0
"""How long a kept warm worker waits for a request before it ends."""
DIR_VARIABLE = "HARNESS_WORKERS_DIR"
"""Where kept warm workers' sockets go, instead of ``$XDG_RUNTIME_DIR/harness-workers``
(or ``<tmp>/harness-workers-<uid>``); keep it short, a socket's path is at most 107 bytes."""
HELLO_SECONDS = 120.0
"""How long a kept worker may take to answer: it may be starting, or in an import."""
_VOLATILE = frozenset(
    {"PWD", "OLDPWD", "_", "SHLVL", "PYTEST_CURRENT_TEST", "COLUMNS", "LINES", "TERM"}
)
"""Environment variables that differ between shells and runs without changing a verdict;
every other variable is part of the key (an adapter may read it at import)."""


@dataclass(frozen=True)
class Kept:
    """A kept warm worker a matrix run uses: its socket, pid, and whether it was there."""

    path: str
    pid: int | None
    reused: bool


def runtime_dir() -> Path:
    """The user's directory of kept workers' sockets, readable by the user alone."""
    explicit = os.environ.get(DIR_VARIABLE)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if explicit:
        base = Path(explicit)
    elif runtime and os.path.isdir(runtime):
        base = Path(runtime) / "harness-workers"
    else:
        base = Path(tempfile.gettempdir()) / f"harness-workers-{os.getuid()}"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = base.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise HarnessError(
            f"{base}: kept warm workers need a directory only you can use (it is owned by "
            f"uid {st.st_uid} with mode {st.st_mode & 0o777:o}); fix it, or set "
            f"{DIR_VARIABLE} to another directory"
        )
    return base


def worker_key(python: str, preload: Sequence[str], env: Mapping[str, str]) -> str:
    """What a kept worker is for: runs that agree on it share the worker."""
    import harness

    data = {
        "python": python,
        "harness": str(Path(harness.__file__).resolve().parent),
        "version": harness.__version__,
        "preload": list(preload),
        "env": {k: v for k, v in env.items() if k not in _VOLATILE},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def ask(path: str, message: Mapping[str, Any], timeout: float = HELLO_SECONDS) -> Any:
    """Send ``message`` to the kept worker at ``path``; its answer, or None (none there)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    data = b""
    try:
        conn.connect(path)
        conn.sendall((json.dumps(message) + "\n").encode())
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        return json.loads(data)
    except (OSError, ValueError):
        return None
    finally:
        conn.close()


def _say(text: str) -> None:
    print(f"harness: {text}", file=sys.stderr, flush=True)


def attach(
    python: str,
    *,
    preload: Sequence[str],
    warm: Sequence[str],
    env: Mapping[str, str],
    idle: float = IDLE_SECONDS,
    say: Callable[[str], None] = _say,
) -> Kept:
    """The kept warm worker for ``python``: the one already running when it is current,
    else a new one (``say`` tells why the old one was not used)."""
    directory = runtime_dir()
    key = worker_key(python, preload, env)
    sock = directory / f"{key}.sock"
    with locked(directory / f"{key}.lock"):
        if sock.exists():
            reply = ask(str(sock), {"op": "hello", "warm": list(warm), "idle": idle})
            if isinstance(reply, dict) and reply.get("stale") is None:
                return Kept(str(sock), reply.get("pid"), reused=True)
            if isinstance(reply, dict):
                say(
                    f"restarting the kept warm worker for {python} (pid {reply.get('pid')}):"
                    f" {reply['stale']}"
                )
            else:
                say(
                    f"the kept warm worker for {python} did not answer (killed, crashed, or "
                    "ending): starting a new one"
                )
            sock.unlink(missing_ok=True)
        return _start(python, sock, preload, warm, env, idle)


def _start(
    python: str,
    sock: Path,
    preload: Sequence[str],
    warm: Sequence[str],
    env: Mapping[str, str],
    idle: float,
) -> Kept:
    """A new kept worker, listening at ``sock`` (bound here, so requests queue at once)."""
    since = time.time_ns()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(sock))
        listener.listen(128)
        cmd = [python, "-m", "harness.matrix.warm_worker", "--listen-fd", str(listener.fileno())]
        cmd += ["--keep", str(idle), "--since", str(since), "--socket", str(sock)]
        for module in preload:
            cmd += ["--import", module]
        for driver in warm:
            cmd += ["--warm", driver]
        with open(sock.with_suffix(".log"), "ab") as log:
            # it detaches (forks, and its parent exits at once): no process of ours lingers
            subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                pass_fds=(listener.fileno(),),
                env=dict(env),
                start_new_session=True,
                check=True,
            )
    except (OSError, subprocess.CalledProcessError) as exc:
        sock.unlink(missing_ok=True)
        raise HarnessError(f"cannot start a kept warm worker for {python}: {exc}") from exc
    finally:
        listener.close()
    _say(f"keeping a warm worker for {python} (ends after {idle:g} s idle; harness workers stop)")
    return Kept(str(sock), None, reused=False)


def statuses() -> list[dict[str, Any]]:
    """Every kept worker of this user: what it says about itself (``status``), or
    ``{"gone": ...}`` for a socket nobody answers on (removed)."""
    return [
        {"socket": str(sock), **(reply if reply is not None else {"gone": str(sock)})}
        for sock, reply in _ask_each("status")
    ]


def stop_all() -> list[dict[str, Any]]:
    """Tell every kept worker to stop (each finishes the children it runs, then ends)."""
    return [reply for _, reply in _ask_each("stop") if reply is not None]


def _ask_each(op: str) -> list[tuple[Path, dict[str, Any] | None]]:
    """Ask every kept worker of this user ``op``, each under its socket's lock: its answer,
    or None for a socket nobody answers on (removed)."""
    answers: list[tuple[Path, dict[str, Any] | None]] = []
    for sock in sorted(runtime_dir().glob("*.sock")):
        with locked(sock.with_suffix(".lock")):
            reply = ask(str(sock), {"op": op})
            if not isinstance(reply, dict):
                sock.unlink(missing_ok=True)
                reply = None
        answers.append((sock, reply))
    return answers


def release(sock: str) -> None:
    """What a kept worker does as it ends, its own listener closed: remove its socket,
    unless another worker listens there now (a run replaced it; file names and inode
    numbers are reused, so only asking tells)."""
    path = Path(sock)
    with contextlib.suppress(OSError), locked(path.with_suffix(".lock")):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(sock)
        except OSError:  # nobody listens: it is this worker's (or a dead one's)
            path.unlink(missing_ok=True)
        finally:
            probe.close()
