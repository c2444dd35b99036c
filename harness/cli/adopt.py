"""Commands that bring harness into another repository: ``harness scenarios`` lists what
the bundled scenarios check, ``harness init`` writes a starter suite.

``harness init`` writes three files and never overwrites one (``--force`` does): a
``conftest.py`` whose suite runs the reference gateway client shipped with harness (green
from the first ``pytest``, and the place to declare your own adapter), the pytest settings
(``pytest.ini``, or printed when the repository already configures pytest elsewhere) and a
GitHub Actions workflow running the suite with a report in the job summary.
"""

from __future__ import annotations

import argparse
import configparser
import shutil
import textwrap
from pathlib import Path
from typing import Any

from harness import DIST_NAME

__all__ = ["CONFTEST", "PYTEST_INI", "WORKFLOW", "add_commands", "init_repo", "scenario_rows"]

CONFTEST = '''\
"""The harness conformance suite of this repository (written by `harness init`).

`pytest` runs every bundled scenario of a suite's dialect against it (see
`harness scenarios`). The suite below runs the reference gateway client that ships with
harness, so the first run is green; declare your own adapter next to it:

    from harness.plugin.declare import conformance, openai_messages, openai_tools
    from mychat import AsyncChat  # your client (anything on httpx or httpx2)

    @conformance(dialect="openai-chat", normalize="openai-chat")
    async def mychat(request, ctx):
        client = AsyncChat(ctx.base_url + "/v1", ctx.api_key)
        messages, tools = openai_messages(request), openai_tools(request)
        async for chunk in client.create(request.model, messages, tools, stream=request.stream):
            yield chunk
"""

from harness.plugin.declare import suite

test_example_adapter = suite("gateway-client")
'''

PYTEST_INI = """\
[pytest]
# harness: where the suite's report goes, and (once you have one) the known failures
harness_report = harness-report.md
# harness_baseline = harness-baseline.json
"""

WORKFLOW = f"""\
name: conformance
on: [push, pull_request]
jobs:
  conformance:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{ python-version: "3.12" }}
      - run: pip install {DIST_NAME} pytest-xdist
      - name: conformance suite
        run: pytest -n 2 --harness-report=harness.md --harness-report=harness-junit.xml
      - name: job summary
        if: always()
        run: cat harness.md >> "$GITHUB_STEP_SUMMARY"
"""


def add_commands(sub: Any) -> None:
    """Add ``scenarios`` and ``init`` to the ``harness`` sub-command parser."""
    sc = sub.add_parser("scenarios", help="list the bundled scenarios and what each checks")
    sc.add_argument("--scenarios", type=Path, action="append", help="directory or file")
    sc.add_argument("--dialect", help="only scenarios this dialect can express")
    sc.set_defaults(func=_cmd_scenarios)
    it = sub.add_parser("init", help="write a starter conftest.py, pytest settings and CI")
    it.add_argument("directory", type=Path, nargs="?", default=Path("."))
    it.add_argument("--force", action="store_true", help="overwrite files that exist")
    it.set_defaults(func=_cmd_init)


def scenario_rows(paths: list[Path], dialect: str | None = None) -> list[tuple[str, str, str]]:
    """(id, dialects that express it, what it checks) for every scenario under ``paths``."""
    from harness.dialects import dialect_names, get_dialect
    from harness.scenario.load import load_scenarios

    rows = []
    for scenario in load_scenarios(paths):
        able = [d for d in dialect_names() if get_dialect(d).supports(scenario) is None]
        if dialect is not None and dialect not in able:
            continue
        rows.append((scenario.id, ",".join(able) or "-", _first_sentence(scenario.description)))
    return rows


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from harness.scenario.bundled import default_scenario_paths

    if args.dialect is not None:
        from harness.dialects import DialectError, get_dialect
        from harness.vocab.errors import HarnessError

        try:
            get_dialect(args.dialect)  # an unknown name is an error, not an empty list
        except DialectError as exc:
            raise HarnessError(str(exc)) from None
    rows = scenario_rows(args.scenarios or default_scenario_paths(), args.dialect)
    width = max((len(r[0]) for r in rows), default=2)
    dwidth = max((len(r[1]) for r in rows), default=8)
    room = max(shutil.get_terminal_size((100, 24)).columns - width - dwidth - 4, 30)
    print(f"{'id'.ljust(width)}  {'dialects'.ljust(dwidth)}  checks")
    for sid, dialects, what in rows:
        shown = what if len(what) <= room else what[: room - 1] + "…"
        print(f"{sid.ljust(width)}  {dialects.ljust(dwidth)}  {shown}")
    print(f"\n{len(rows)} scenario(s); `harness explain CODE` says what a finding means")
    return 0


def init_repo(directory: Path, force: bool = False) -> list[str]:
    """Write the starter files into ``directory``; one line per file saying what happened."""
    from harness.vocab.errors import HarnessError

    if not directory.is_dir():
        raise HarnessError(f"{directory}: no such directory")
    said: list[str] = []
    files = {
        directory / "conftest.py": CONFTEST,
        directory / ".github" / "workflows" / "conformance.yml": WORKFLOW,
    }
    configured = _pytest_configured(directory)
    if configured is None or (configured.name == "pytest.ini" and force):
        files[directory / "pytest.ini"] = PYTEST_INI
    else:
        said.append(
            f"kept {configured.name}: pytest is configured there; add the harness keys "
            "to its pytest section:\n" + textwrap.indent(PYTEST_INI.split("\n", 1)[1], "    ")
        )
    for path, text in files.items():
        if path.exists() and not force:
            said.append(f"kept {path} (exists; --force overwrites it)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        said.append(f"wrote {path}")
    return said


def _pytest_configured(directory: Path) -> Path | None:
    """The file that already holds this repository's pytest settings, if any."""
    if (directory / "pytest.ini").exists():
        return directory / "pytest.ini"
    pyproject = directory / "pyproject.toml"
    if pyproject.exists():
        import tomllib

        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            return pyproject  # never guess about a file we cannot read
        if "ini_options" in data.get("tool", {}).get("pytest", {}):
            return pyproject
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        cfg = configparser.ConfigParser(interpolation=None)
        try:
            cfg.read(directory / name, encoding="utf-8")
        except configparser.Error:
            return directory / name
        if cfg.has_section(section):
            return directory / name
    return None


def _cmd_init(args: argparse.Namespace) -> int:
    for line in init_repo(args.directory, force=args.force):
        print(line)
    print(
        "\nnext: pytest   (then declare your adapter in conftest.py; "
        "`harness scenarios` lists what runs)"
    )
    return 0
