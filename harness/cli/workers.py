"""``harness workers``: the warm workers ``harness matrix --keep-workers`` left running
(:mod:`harness.matrix.kept`): which there are, and stopping them."""

from __future__ import annotations

import argparse
import time
from typing import Any

__all__ = ["add_command"]


def add_command(sub: Any) -> None:
    """Add ``workers`` to the ``harness`` sub-command parser."""
    wk = sub.add_parser(
        "workers",
        help="the warm workers kept by harness matrix --keep-workers: status, stop",
        description="Kept warm workers end on their own after their idle timeout; 'stop' "
        "ends them now (each finishes the drivers it is running first).",
    )
    wk.add_argument("action", choices=["status", "stop"])
    wk.set_defaults(func=_cmd_workers)


def _cmd_workers(args: argparse.Namespace) -> int:
    from harness.matrix.kept import runtime_dir, statuses, stop_all

    if args.action == "stop":
        stopped = stop_all()
        for reply in stopped:
            print(f"stopping pid {reply.get('pid')} ({reply.get('python')})")
        if not stopped:
            print(f"no kept warm workers (in {runtime_dir()})")
        return 0
    found = statuses()
    for status in found:
        print(_describe(status))
    if not found:
        print(f"no kept warm workers (in {runtime_dir()})")
    return 0


def _describe(status: dict[str, Any]) -> str:
    if "gone" in status:
        return f"gone (killed or crashed; its socket removed): {status['gone']}"
    started = status.get("started_ns")
    age = f", up {(time.time_ns() - started) / 1e9:.0f} s" if isinstance(started, int) else ""
    line = (
        f"pid {status.get('pid')}: {status.get('python')}{age}, served {status.get('served')} "
        f"driver runs ({status.get('running')} running), {len(status.get('warmed', []))} "
        f"drivers warm, ends after {status.get('idle_seconds'):g} s idle"
    )
    if status.get("stale"):
        line += f"; stale, the next run replaces it: {status['stale']}"
    return line
