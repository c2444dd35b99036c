"""Turn pydantic validation errors into scenario-file messages: ``line: field: expected ...
(got ...)``, one per problem.

A pydantic ``loc`` mixes real keys with union tags (``'reply'``, ``'int'``, ``'EveryN'``). The
loc is walked through the model types, which say which segments are tags, and through the
YAML nodes, which give the line. A failed union is reported as the branch the value was
meant for (the one whose keys fit), not as one line per alternative.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Tag
from pydantic_core import ErrorDetails

from harness.scenario.model import Scenario

__all__ = ["Problem", "explain"]


class Problem(NamedTuple):
    """One line of a ScenarioError: where, which field, what is wrong."""

    line: int
    column: int | None
    field: str
    text: str

    def render(self, source: str) -> str:
        col = f":{self.column}" if self.column is not None else ""
        field = f"{self.field}: " if self.field else ""
        return f"{source}:{self.line}{col}: {field}{self.text}"


class _Located(NamedTuple):
    """Where one pydantic error points in the YAML, and which union branch it came from."""

    line: int
    path: tuple[str | int, ...]
    site: tuple[str | int, ...] | None  # path of the innermost union the error went through
    branch: str  # the union tag taken there
    deep: bool  # the error lies inside the branch (its type matched), not at the union
    error: ErrorDetails


def explain(errors: list[ErrorDetails], root: yaml.MappingNode) -> list[Problem]:
    """One problem per real mistake in ``root`` (the scenario's top mapping node)."""
    located = [_locate(error, root) for error in errors]
    problems: list[Problem] = []
    sites: dict[tuple[str | int, ...], list[_Located]] = {}
    for loc in located:
        if loc.site is None:
            problems.append(_problem(loc))
        else:
            sites.setdefault(loc.site, []).append(loc)
    for group in sites.values():
        problems += _union_problems(group)
    return problems


def _union_problems(group: list[_Located]) -> list[Problem]:
    """Report a failed union as the branch the value was meant for, not every alternative."""
    branches: dict[str, list[_Located]] = {}
    for loc in group:
        branches.setdefault(loc.branch, []).append(loc)
    deep = [b for b in branches.values() if any(loc.deep for loc in b)]
    if deep:
        best = min(deep, key=lambda b: sum(_is_key_error(loc.error) for loc in b))
        return [_problem(loc) for loc in best]
    # no branch accepted the value's type: one line saying what any branch would take
    first = group[0]
    wanted: list[str] = []
    for loc in group:
        phrase = _expected(loc.error)
        if phrase and phrase not in wanted:
            wanted.append(phrase)
    if not wanted:
        return [_problem(first)]
    value = first.error.get("input")
    text = f"expected {' or '.join(wanted)} (got {_show(value)})" + _literal_hint(group, value)
    return [Problem(first.line, None, _dotted(first.path), text)]


def _is_key_error(error: ErrorDetails) -> bool:
    return error["type"] in ("missing", "extra_forbidden")


def _locate(error: ErrorDetails, root: yaml.MappingNode) -> _Located:
    tp: Any = Scenario
    node: yaml.Node | None = root
    line = root.start_mark.line + 1
    path: list[str | int] = []
    site: tuple[str | int, ...] | None = None
    branch, deep = "", False
    for seg in error["loc"]:
        members = _union_members(tp)
        if members is not None or (tp is None and _child(node, seg) is None):
            # a union tag pydantic puts in the loc: no key in the YAML
            site, branch, deep = tuple(path), str(seg), False
            tp = members.get(str(seg)) if members is not None else None
            continue
        deep = site is not None
        path.append(seg)
        child = _child(node, seg)
        if child is None:
            node = None
        else:
            line, node = child
        tp = _field_type(tp, seg)
    return _Located(line, tuple(path), site, branch, deep, error)


def _child(node: yaml.Node | None, seg: str | int) -> tuple[int, yaml.Node] | None:
    """The line and node of ``node[seg]``: a key's own line, or a list item's."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(seg):
                return key.start_mark.line + 1, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) and seg < len(node.value):
        item = node.value[seg]
        return item.start_mark.line + 1, item
    return None


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        members = [m for m in get_args(tp) if m is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return tp


def _union_members(tp: Any) -> dict[str, Any] | None:
    """For a union of several types: the tag pydantic uses for each member, to its type."""
    tp = _strip(tp)
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    members: dict[str, Any] = {}
    for member in get_args(tp):
        if member is type(None):
            continue
        tags = [m.tag for m in getattr(member, "__metadata__", ()) if isinstance(m, Tag)]
        inner = _strip(member)
        name = tags[0] if tags else getattr(inner, "__name__", None)
        if name is not None:
            members[name] = inner
    return members


def _field_type(tp: Any, seg: str | int) -> Any:
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(seg))
        return field.annotation if field is not None else None
    origin, args = get_origin(tp), get_args(tp)
    if origin is list and args and isinstance(seg, int):
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _model_at(path: tuple[str | int, ...], error: ErrorDetails) -> type[BaseModel] | None:
    """The model class an error's loc (minus its last segment) lands on, for key hints."""
    tp: Any = Scenario
    for seg in error["loc"][:-1]:
        members = _union_members(tp)
        tp = members.get(str(seg)) if members is not None else _field_type(tp, seg)
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


# --------------------------------------------------------------------------- wording


_PHRASES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}
_BOUNDS = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"),
           "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}  # fmt: skip


def _expected(error: ErrorDetails) -> str | None:
    """What the field takes, as a phrase after 'expected', or None for free-form errors."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _PHRASES:
        return _PHRASES[kind]
    if kind == "literal_error":
        values = _literal_values(error)
        return "one of " + ", ".join(map(repr, values)) if len(values) > 1 else repr(values[0])
    if kind in _BOUNDS:
        op, key = _BOUNDS[kind]
        return f"a number {op} {ctx.get(key)}"
    if kind == "string_pattern_mismatch":
        return f"text matching {ctx.get('pattern')!r}"
    if kind in ("too_short", "string_too_short"):
        n = ctx.get("min_length")
        unit = "item" if kind == "too_short" else "character"
        return f"at least {n} {unit}{'' if n == 1 else 's'}"
    return None


def _literal_values(error: ErrorDetails) -> list[str]:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'((?:[^'\\]|\\.)*)'", expected) or [expected]


def _literal_hint(group: Sequence[_Located], value: object) -> str:
    if not isinstance(value, str):
        return ""
    values = [v for loc in group if loc.error["type"] == "literal_error"
              for v in _literal_values(loc.error)]  # fmt: skip
    close = difflib.get_close_matches(value, values, n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


def _problem(loc: _Located) -> Problem:
    error, field = loc.error, _dotted(loc.path)
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return Problem(loc.line, None, field, "required key is missing")
    if kind == "extra_forbidden":
        text = f"unknown key {str(loc.path[-1])!r}" if loc.path else "unknown key"
        model = _model_at(loc.path, error)
        if model is not None and loc.path:
            allowed = list(model.model_fields)
            close = difflib.get_close_matches(str(loc.path[-1]), allowed, n=1, cutoff=0.7)
            text += (
                f"; did you mean {close[0]!r}?"
                if close
                else (f" (expected one of: {', '.join(allowed)})")
            )
        return Problem(loc.line, None, field, text)
    phrase = _expected(error)
    if phrase is None:
        message = error["msg"].removeprefix("Value error, ")
        if kind.endswith("_kind") and isinstance(value, dict):  # our union discriminators
            message += f" (got {_show(value)})"
        return Problem(loc.line, None, field, message)
    text = f"expected {phrase} (got {_show(value)})"
    if kind == "string_type" and isinstance(value, bool | int | float | datetime.date):
        text += "; quote it to keep it text"
    elif kind == "literal_error":
        text += _literal_hint([loc], value)
    return Problem(loc.line, None, field, text)


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif not seg.isprintable():  # a key with a line break: keep one problem per line
            out += f"[{seg!r}]"
        else:
            out += f".{seg}" if out else seg
    return out


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        if not value:
            return "an empty mapping"
        keys = ", ".join(repr(str(k)) for k in list(value)[:6])
        return f"a mapping with keys {keys}{', ...' if len(value) > 6 else ''}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    return str(value)
