"""``python -m examples.local_provider DIALECT [SCENARIO]``: serve SCENARIO (a bundled
scenario id or a file) in DIALECT on 127.0.0.1, call it with the dialect's reference client
and print what the client got as one JSON line.

``--offline`` starts no server and calls ``http://127.0.0.1:9`` (where nothing listens):
under ``harness record --mode none`` the cassette answers instead, which proves a replay
needs neither the server nor the network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from examples.local_provider.clients import CLIENTS, DEFAULT_SCENARIOS, call
from examples.local_provider.server import serving


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.local_provider")
    parser.add_argument("dialect", choices=sorted(CLIENTS))
    parser.add_argument("scenario", nargs="?", help="a bundled scenario id or a file")
    parser.add_argument("--offline", action="store_true", help="no server: replay only")
    args = parser.parse_args(argv)
    tools = False
    if args.offline:
        result = call(args.dialect, "http://127.0.0.1:9")
    else:
        from harness.dialects import get_dialect
        from harness.scenario.load import load_scenario

        name = args.scenario or DEFAULT_SCENARIOS[args.dialect]
        path = Path(name)
        if not path.is_file():
            path = Path(__file__).resolve().parents[2] / "scenarios" / f"{name}.yaml"
        scenario = load_scenario(path)
        tools = bool(scenario.request.tools)
        with serving(get_dialect(args.dialect).synthesize(scenario)) as base:
            result = call(args.dialect, base, tools=tools)
    print(result.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
