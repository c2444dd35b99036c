"""The cassette commands of the CLI (``record``, ``import``, ``scan``, ``diff``).

``harness.cli.app`` declares their arguments and imports this module only when one of them
runs, so ``harness --help`` stays cheap.
"""

from __future__ import annotations

import argparse
import functools
import re
import runpy
import sys
from collections.abc import Callable
from pathlib import Path

from harness.vocab.errors import HarnessError

__all__ = ["run_diff", "run_import", "run_record", "run_scan"]

_Command = Callable[[argparse.Namespace], int]


def _one_line(name: str) -> Callable[[_Command], _Command]:
    """Bad input is one line (what, where) and exit 2, never a traceback: the errors a
    command's own checks did not anticipate (an unreadable file, JSON nested too deeply)
    become a :class:`HarnessError` naming the command."""

    def wrap(command: _Command) -> _Command:
        @functools.wraps(command)
        def run(args: argparse.Namespace) -> int:
            try:
                return command(args)
            except HarnessError:
                raise
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                raise HarnessError(f"{name}: {where}{exc.strerror or exc}") from None
            except RecursionError:
                raise HarnessError(f"{name}: input nested too deeply to read") from None
            except (UnicodeError, re.error) as exc:
                raise HarnessError(f"{name}: {exc}") from None

        return run

    return wrap


@_one_line("record")
def run_record(args: argparse.Namespace) -> int:
    """Run a Python script or module in-process with every httpx/httpx2 client recorded."""
    from harness.cassettes.record import recording
    from harness.cassettes.redact import Redactor

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    elif command[:1] and command[0].startswith("--"):
        raise HarnessError(
            f"record: options go before the cassette (got {command[0]} after it): "
            "harness record [--mode MODE] [--redact-...] CASSETTE -- script.py [ARGS]"
        )
    if not command:
        raise HarnessError(
            "record needs a command to run: harness record CASSETTE -- script.py [ARGS] "
            "(or -- -m module [ARGS])"
        )
    if command[0] != "-m" and not Path(command[0]).is_file():
        raise HarnessError(f"record: no such script {command[0]!r} (expected: -- script.py [ARGS])")
    redact: Redactor | bool = False
    if not args.no_redact:
        redact = Redactor(
            headers=frozenset(args.redact_header or ()),
            params=frozenset(args.redact_param or ()),
            json_paths=tuple(args.redact_json or ()),
            regexes=tuple(args.redact_regex or ()),
        )
    code = 0
    saved_argv = sys.argv
    with recording(args.cassette, args.mode, redact=redact) as recorder:
        try:
            if command[0] == "-m":
                if len(command) < 2:
                    raise HarnessError("record: -m needs a module name")
                sys.argv = command[1:]
                runpy.run_module(command[1], run_name="__main__", alter_sys=True)
            else:
                sys.argv = command
                runpy.run_path(command[0], run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:  # the script's own failure: keep what it recorded before it
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            sys.argv = saved_argv
    if recorder.replay is not None:
        served = len(recorder.replay.script.exchanges) - len(recorder.replay.remaining)
        print(
            f"replayed {served} interaction(s) from {args.cassette} (mode {args.mode})",
            file=sys.stderr,
        )
    else:
        print(
            f"recorded {len(recorder.interactions)} interaction(s) into {args.cassette}",
            file=sys.stderr,
        )
    return code


def run_import(args: argparse.Namespace) -> int:
    """One scenario file per importable interaction, of every cassette named (a directory:
    every ``*.yaml``, ``*.yml``, ``*.json`` and ``*.gz`` below it), in one process.

    A cassette that cannot be imported is one line on stderr and the others still are; the
    exit status is then 2. With a single cassette the error is raised, as before."""
    paths = _cassette_files(args.cassettes)
    if len(args.cassettes) == 1 and len(paths) == 1 and not args.cassettes[0].is_dir():
        return _import_one(_one(args, paths[0]))
    failed = 0
    for path in paths:
        try:
            _import_one(_one(args, path))
        except HarnessError as exc:
            failed += 1
            print(f"harness: {exc}", file=sys.stderr)
    print(f"imported {len(paths) - failed} of {len(paths)} cassette(s)")
    return 2 if failed else 0


CASSETTE_SUFFIXES = (".yaml", ".yml", ".json", ".gz")
"""What a directory given to ``harness import`` contributes (as ``harness scan`` reads)."""


def _cassette_files(items: list[Path]) -> list[Path]:
    """The files named, and the cassettes below each directory named, in order."""
    files: list[Path] = []
    for item in items:
        if item.is_dir():
            found = sorted(
                p for p in item.rglob("*") if p.is_file() and p.name.endswith(CASSETTE_SUFFIXES)
            )
            if not found:
                raise HarnessError(f"import: {item}: no cassette files (*.yaml, *.json, *.gz)")
            files += found
        else:
            files.append(item)
    return files


def _one(args: argparse.Namespace, path: Path) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "cassette": path})


@_one_line("import")
def _import_one(args: argparse.Namespace) -> int:
    """Import ``args.cassette``."""
    from harness.cassettes.format import load_cassette
    from harness.cassettes.import_ import import_cassette

    cassette_path: Path = args.cassette
    cassette = load_cassette(cassette_path)
    out_dir: Path = args.output
    written = 0
    force = bool(getattr(args, "force", False))
    for found, path in import_cassette(cassette, out_dir, portable=args.portable, force=force):
        n = found.interaction.index + 1
        if path is None:
            print(f"  #{n} {found.dialect}: skipped ({found.skipped})")
            continue
        written += 1
        print(f"  #{n} {found.dialect} -> {path}")
        for note in found.notes:
            print(f"      not carried over: {note}")
    total = len(cassette)
    print(
        f"{written} scenario(s) from {total} interaction(s) of {cassette_path} ({cassette.format})"
    )
    return 0


@_one_line("scan")
def run_scan(args: argparse.Namespace) -> int:
    """Exit 1 when a secret is found (a pre-commit hook fails the commit)."""
    from harness.cassettes.scan import scan_paths

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise HarnessError(f"scan: no such file or directory: {', '.join(map(str, missing))}")
    for regex in args.allow or ():
        try:
            re.compile(regex)
        except re.error as exc:
            raise HarnessError(
                f"scan: --allow {regex!r} is not a regular expression: {exc}"
            ) from None
    leaks = scan_paths(args.paths, allow=args.allow or ())
    for leak in leaks:
        print(leak.render())
    if leaks:
        files = len({leak.path for leak in leaks})
        print(
            f"{len(leaks)} secret(s) in {files} file(s): redact them (re-record with harness "
            "record, which redacts by default) or mark a false positive with --allow REGEX",
            file=sys.stderr,
        )
        return 1
    return 0


@_one_line("diff")
def run_diff(args: argparse.Namespace) -> int:
    """Exit 1 when the two recordings say different things."""
    from harness.cassettes.diff import diff_paths

    lines = diff_paths(args.a, args.b)
    if not lines:
        print("no semantic differences")
        return 0
    print("\n".join(lines))
    return 1
