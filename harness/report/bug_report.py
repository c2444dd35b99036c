"""The Markdown bug report next to a reproducer, ready to paste into the library's tracker:
what happens, what should happen and why (the finding's catalogue entry), the versions,
and the reproducer inline.
"""

from __future__ import annotations

import json
import platform

from harness.report.repro_assertions import entry_for
from harness.report.reproducer import (
    Reproducer,
    asserted_findings,
    exchange_summary,
    reproducer_source,
)
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

__all__ = ["bug_report"]


def bug_report(r: Reproducer, source: str | None = None) -> str:
    """The report for ``r`` (``source``: its reproducer, written if not given)."""
    source = source if source is not None else reproducer_source(r)
    asserted = asserted_findings(r.findings, r.recipe)
    root = asserted[0] if asserted else None
    entry = entry_for(root) if root is not None else None
    title = entry.title if entry is not None else (root.message if root else r.scenario)
    versions = ", ".join(f"{k} {v}" for k, v in r.versions.items())
    pins = " ".join(f"{k}=={v}" for k, v in r.versions.items())
    lines = [
        f"<!-- file at {r.recipe.tracker} -->",
        f"# {r.recipe.library}: {_sentence(title)}",
        "",
        f"**Versions:** {versions}, Python {platform.python_version()}",
        "",
        "## What happens",
        "",
        " ".join(r.description.split()),
        "",
    ]
    for f in asserted:
        lines += [f"- {f.message}" + _expected_actual(f)]
    lines += ["", "The server's reply, as the client reads it:", ""]
    lines += [
        f"- request {n}: {exchange_summary(ex)}" for n, ex in enumerate(r.script.exchanges, start=1)
    ]
    lines += ["", "## What should happen", ""]
    for f in asserted:
        e = entry_for(f)
        if e is None:
            continue
        whose = (
            "The library's own documented behaviour (not only the protocol): "
            if f.breaks == "contract"
            else ""
        )
        lines += [f"**{_sentence(e.title)}** {whose}{e.why}", "", f"Suggested fix: {e.advice}", ""]
    lines += [
        "## Reproducer",
        "",
        f"Needs only `pip install {pins}`; no network (it serves the provider's reply itself, "
        "through the client's own transport). It prints what the library gave back and fails "
        "with:",
        "",
        "```text",
        f"AssertionError: {root.message}" if root is not None else "(nothing asserted)",
        "```",
        "",
        "```python",
        source.rstrip(),
        "```",
        "",
        f"<sub>Found with harness (scenario `{r.scenario}`); regenerate with `{r.command}`.</sub>",
    ]
    return "\n".join(lines) + "\n"


def _sentence(text: str) -> str:
    return text.rstrip(".") + "."


def _expected_actual(f: Finding) -> str:
    if f.expected is None and f.actual is None:
        return ""
    if f.code == Code.ADAPTER_HUNG:  # its actual is the stack in harness's run, not theirs
        return f" (expected {_short(f.expected)})"
    return f" (expected {_short(f.expected)}, got {_short(f.actual)})"


def _short(value: object, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if len(text) <= limit else f"`{text[: limit - 3]}...`"
