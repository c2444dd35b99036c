"""``harness bisect`` and ``harness sweep`` on releases built here: a tiny chat client,
``toychat``, released as wheels 1.0.0 to 1.0.7 into a temporary folder, with a behaviour
change planted at one release (from there on it no longer retries a 429). A driver for it is
registered from a temporary folder as an entry point, as an outside package would. The
releases are offered with ``--find-links DIR --no-index``: nothing comes from the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import main
from harness.drivers import base as drivers

ROOT = Path(__file__).resolve().parents[2]
RELEASES = [f"1.0.{n}" for n in range(8)]
PLANTED = "1.0.5"
"""The first release that gives up on a 429 instead of waiting and retrying."""

CLIENT = '''
"""toychat VERSION: a minimal OpenAI-compatible streaming chat client on httpx."""
import asyncio
import json

import httpx

RETRIES_429 = RETRY


async def chat(request, ctx):
    client = httpx.AsyncClient(transport=ctx.transport())
    body = {
        "model": request.model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    for attempt in range(3):
        url = ctx.base_url + "/v1/chat/completions"
        async with client.stream("POST", url, json=body, timeout=30) as resp:
            retry = resp.status_code in (500, 502, 503) or (
                resp.status_code == 429 and RETRIES_429
            )
            if retry and attempt < 2:
                await resp.aread()
                await asyncio.sleep(float(resp.headers.get("retry-after", "1")))
                continue
            if resp.status_code >= 400:
                raise RuntimeError(f"HTTP {resp.status_code}")
            async for line in resp.aiter_lines():
                payload = line[5:].strip() if line.startswith("data:") else ""
                if payload and payload != "[DONE]":
                    yield json.loads(payload)
            return
'''

DRIVER = '''
"""The harness driver of toychat (whichever release is installed)."""
from harness.plugin.declare import conformance


@conformance("openai-chat", name="toy-chat", normalize="openai-chat")
async def toy_chat(request, ctx):
    import toychat

    async for chunk in toychat.chat(request, ctx):
        yield chunk
'''


def wheel(folder: Path, version: str) -> Path:
    """``toychat-VERSION-py3-none-any.whl``, as a build backend would write it."""
    info = f"toychat-{version}.dist-info"
    retry = "True" if tuple(map(int, version.split("."))) < (1, 0, 5) else "False"
    files = {
        "toychat/__init__.py": CLIENT.replace("VERSION", version).replace("RETRY", retry),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: toychat\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{name},sha256={encoded},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    path = folder / f"toychat-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def releases(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    for version in RELEASES:
        wheel(folder, version)
    return folder


@pytest.fixture
def toy_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``toy-chat``, a ``harness.drivers`` entry point of a package in a temporary folder,
    on the path of this process and of the matrix workers."""
    folder = tmp_path / "driver"
    folder.mkdir()
    (folder / "toy_driver.py").write_text(textwrap.dedent(DRIVER))
    info = folder / "toy_driver-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy_driver\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[harness.drivers]\ntoy-chat = toy_driver:toy_chat\n")
    monkeypatch.syspath_prepend(str(folder))
    # the workers run in the releases' environments: this checkout's harness and the driver
    path = [str(folder), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    monkeypatch.setenv("HARNESS_ENVS_DIR", str(tmp_path / "envs"))
    drivers._entry_points.cache_clear()
    yield "toy-chat"
    drivers._entry_points.cache_clear()


def test_bisect_finds_the_planted_release_in_log_n_builds_and_prints_the_diff(
    releases: Path, toy_driver: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["bisect", "--driver", toy_driver, "--scenario", "retry-429-seconds"]
    argv += ["--package", "toychat", "--good", RELEASES[0], "--bad", RELEASES[-1]]
    argv += ["--find-links", str(releases), "--no-index", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"first bad release: {PLANTED} (last good: 1.0.4)" in out
    runs = out.split("run(s): ")[1].splitlines()[0].split(", ")
    assert len(runs) <= math.ceil(math.log2(len(RELEASES))) + 1
    built = [p for p in (tmp_path / "envs").iterdir() if p.is_dir()]
    assert len(built) == len(runs)  # one environment per release run, no more
    # the diff: the retry request is gone, and so is the wait before it
    assert "  outcome: pass -> fail" in out
    assert "  - request 2: POST /v1/chat/completions at 2s" in out
    assert "  - waits between requests: [2s]\n  + waits between requests: (one request)" in out
    assert "  + events.error: " in out and "  - events.finish: 'stop'" in out


def test_bisect_says_when_good_and_bad_behave_the_same(
    releases: Path, toy_driver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bisect", "--driver", toy_driver, "--scenario", "text-plain", "--package", "toychat"]
    argv += ["--good", "1.0.0", "--bad", "1.0.2", "--find-links", str(releases), "--no-index"]
    assert main([*argv, "--quiet"]) == 1
    assert "behave the same for this cell (pass)" in capsys.readouterr().out
    assert main([*argv[:-5], "--good", "1.0.0", "--bad", "9.9", *argv[-3:]]) == 2


def test_sweep_shows_where_each_cell_changed_and_reuses_the_environments(
    releases: Path, toy_driver: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenarios = ROOT / "scenarios"
    argv = ["sweep", "--driver", toy_driver, "--package", "toychat", "--last", "3"]
    argv += ["--scenarios", str(scenarios / "retry-429-seconds.yaml")]
    argv += ["--scenarios", str(scenarios / "text-plain.yaml")]
    argv += ["--find-links", str(releases), "--no-index", "--quiet"]
    report = tmp_path / "sweep.json"
    assert main([*argv, "--json", str(report), "--markdown", str(tmp_path / "sweep.md")]) == 0
    out = capsys.readouterr().out
    assert "1.0.5: built now" in out
    assert "no cell changed its outcome across these releases" in out  # all after the change
    data = json.loads(report.read_text())
    assert data["versions"] == ["1.0.5", "1.0.6", "1.0.7"]
    assert data["changes"] == []  # the last 3 all fail the same way

    argv[argv.index("--last") : argv.index("--last") + 2] = ["--versions", "1.0.6,1.0.3,1.0.5"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "1.0.5: cached" in out and "1.0.6: cached" in out and "1.0.3: built now" in out
    assert "retry-429-seconds: pass at 1.0.3 -> fail " in out and " at 1.0.5" in out
    assert "1 cell(s) the same on every release (1 pass)" in out
    markdown = (tmp_path / "sweep.md").read_text()
    assert "| cell | 1.0.5 | 1.0.6 | 1.0.7 |" in markdown
