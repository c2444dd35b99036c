"""Load scenario files: safe YAML in, a validated ``Scenario`` out, or one ``ScenarioError``
that lists every problem as ``file:line: field: expected ... (got ...)``.

Scenarios are written by hand, so a mistake must point at the line to fix, not at a
pydantic ``loc`` tuple. The YAML is composed into a node tree (which keeps line numbers)
and constructed with a safe loader; ``harness.scenario.messages`` maps validation errors back
onto the nodes. The happy path adds only a duplicate-key scan to a ``yaml.CSafeLoader`` load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harness.scenario.messages import Problem, explain
from harness.scenario.model import Scenario
from harness.scenario.yaml_budget import MAX_EXPANDED_NODES, expanded_size
from harness.vocab.errors import ScenarioError

__all__ = ["load_scenario", "load_scenarios", "parse_scenario"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SUFFIXES = (".yaml", ".yml")
_NON_PRINTABLE = re.compile(  # what YAML 1.1 readers refuse (PyYAML's Reader.NON_PRINTABLE)
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

StrPath = str | PathLike[str]


def _fail(source: str, problems: Sequence[Problem]) -> ScenarioError:
    lines = [p.render(source) for p in problems]
    first = problems[0]
    return ScenarioError(
        "\n".join(lines),
        file=source,
        line=first.line,
        column=first.column,
        field=first.field or None,
        problems=lines,
    )


# --------------------------------------------------------------------------- public API


def load_scenario(path: StrPath) -> Scenario:
    """Load one scenario file; the result remembers ``path`` and its line for messages."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError(f"{path}: cannot read: {reason}", file=str(path)) from None
    return parse_scenario(data, source=str(path))


def load_scenarios(dir_or_paths: StrPath | Iterable[StrPath]) -> list[Scenario]:
    """Load a directory's ``*.yaml`` files (or the given files), sorted by file name.

    Problems in all files are reported together, and an id used twice is an error naming
    both files, because runs and reports key everything by id.
    """
    scenarios: list[Scenario] = []
    errors: list[ScenarioError] = []
    by_id: dict[str, Scenario] = {}
    for path in _expand(dir_or_paths):
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            errors.append(exc)
            continue
        if (first := by_id.get(scenario.id)) is not None:
            errors.append(
                ScenarioError(
                    f"{scenario.where()}: id: duplicate scenario id {scenario.id!r}"
                    f" (also in {first.where()})",
                    file=scenario.source,
                    field="id",
                )
            )
            continue
        by_id[scenario.id] = scenario
        scenarios.append(scenario)
    if errors:
        lines = [line for exc in errors for line in exc.problems]
        e = errors[0]
        raise ScenarioError(
            "\n".join(lines),
            file=e.file,
            line=e.line,
            column=e.column,
            field=e.field,
            problems=lines,
        )
    return scenarios


def parse_scenario(text: str | bytes, source: str = "<string>") -> Scenario:
    """Parse and validate scenario YAML text; ``source`` names it in messages."""
    if isinstance(text, bytes):
        text = _decode(text, source)
    node, data = _compose(text, source)
    problems = _duplicate_keys(node)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += explain(exc.errors(include_url=False), node)
    except RecursionError:
        problems.append(Problem(node.start_mark.line + 1, None, "", "nested too deeply"))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise _fail(source, problems)
    return scenario.located(source, node.start_mark.line + 1)


# --------------------------------------------------------------------------- reading YAML


def _expand(dir_or_paths: StrPath | Iterable[StrPath]) -> list[Path]:
    items = [dir_or_paths] if isinstance(dir_or_paths, str | PathLike) else dir_or_paths
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files += [p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file()]
        elif path.exists():
            files.append(path)
        else:
            raise ScenarioError(f"{path}: no such scenario file or directory", file=str(path))
    return sorted(files, key=lambda p: (p.name, str(p)))


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        text = (
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded"
            " (save the file as UTF-8)"
        )
        raise _fail(source, [Problem(line, column, "", text)]) from None


def _compose(text: str, source: str) -> tuple[yaml.MappingNode, Any]:
    """The top mapping node (for lines) and the plain data built from it."""
    try:
        loader = _Loader(text)
    except yaml.YAMLError:
        raise _fail(source, [_unprintable(text)]) from None
    try:
        node = loader.get_single_node()
        if node is None or (node.tag == _NULL_TAG and node.value == ""):  # nothing, or "---"
            raise _fail(source, [Problem(1, None, "", _EMPTY)])
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            line = node.start_mark.line + 1
            raise _fail(source, [Problem(line, None, "", f"{_TOP} (got {kind})")])
        if expanded_size(node) > MAX_EXPANDED_NODES:
            line = node.start_mark.line + 1
            problem = (
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)"
            )
            raise _fail(source, [Problem(line, None, "", problem)])
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _fail(source, [_syntax(exc)]) from None
    except yaml.YAMLError:
        raise _fail(source, [_unprintable(text)]) from None
    except RecursionError:
        raise _fail(source, [Problem(1, None, "", "nested too deeply")]) from None
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        # e.g. a timestamp-looking scalar such as 2024-13-45 that is no real date
        raise _fail(source, [Problem(1, None, "", f"YAML value error: {exc}")]) from None
    finally:
        loader.dispose()


_NULL_TAG = "tag:yaml.org,2002:null"
_TOP = "expected a mapping with the keys id, request, attempts, expect"
_EMPTY = f"the scenario is empty ({_TOP})"


def _syntax(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, None)
    what = (
        "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    )
    problem, context = exc.problem or "", exc.context or ""
    where = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
    if problem.startswith("but ") and context:  # "expected a single document, but found ..."
        text = f"{what}: {context}, {problem}"
    elif problem and context:
        text = f"{what}: {problem} ({context}{where})"
    else:
        text = f"{what}: {problem or context or 'invalid YAML'}"
    return Problem(line, column, "", text)


def _unprintable(text: str) -> Problem:
    match = _NON_PRINTABLE.search(text)
    if match is None:
        return Problem(1, None, "", "YAML cannot read this text")
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    char = f"U+{ord(match.group()):04X}"
    return Problem(line, column, "", f"control character {char} is not allowed in YAML")


def _duplicate_keys(root: yaml.Node) -> list[Problem]:
    """YAML keeps the last of two equal keys silently; a hand-written scenario means neither."""
    problems: list[Problem] = []
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    seen_nodes: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                line = key.start_mark.line + 1
                if key.value in first:
                    text = f"duplicate key {key.value!r} (first at line {first[key.value]})"
                    problems.append(Problem(line, None, path, text))
                first.setdefault(key.value, line)
                stack.append((value, f"{path}.{key.value}" if path else str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    return problems
