"""The public surface: sorted, complete, lazily importable, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import harness


def test_all_is_sorted_and_resolves() -> None:
    assert harness.__all__ == sorted(harness.__all__, key=str)
    for name in harness.__all__:
        assert getattr(harness, name) is not None


def test_plugin_import_stays_light() -> None:
    code = (
        "import sys, harness.plugin.pytest_plugin\n"
        "heavy = [m for m in ('litellm', 'vcr', 'hypothesis', 'openai', 'anthropic', 'httpx2',"
        " 'strands', 'pydantic') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported by the plugin: {out.stdout}"
