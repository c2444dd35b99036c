"""The distribution builds without deprecation warnings and carries what users need.

setuptools turns today's deprecation warnings into build errors on announced dates (the
``license`` table stops building after 2027-02-18), so the sdist and wheel are built here
with every warning an error. The wheel must carry the bundled scenarios (``harness.bundled``),
the licence and the entry points, under the distribution name that is free on PyPI.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness import DIST_NAME

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (
    "harness",
    "scenarios",
    "examples",
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "LICENSE",
    "README.md",
)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist and wheel built offline from a copy of the sources (the checkout stays clean)."""
    pytest.importorskip("build", reason="the dev extra installs `build`")
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"build failed with warnings as errors:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_wheel_metadata_names_the_free_distribution_and_spdx_licence(
    dists: dict[str, Path],
) -> None:
    with zipfile.ZipFile(dists["wheel"]) as whl:
        (meta_name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(whl.read(meta_name))
        names = whl.namelist()
        entry_points = whl.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Name"] == DIST_NAME
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "harness = harness.cli.app:main" in entry_points
    assert "harness = harness.plugin.pytest_plugin" in entry_points
    assert "[harness.drivers]" in entry_points
    assert "openai" in meta.get_all("Provides-Extra", [])


def test_wheel_carries_every_bundled_scenario(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as whl:
        shipped = {Path(n).name for n in whl.namelist() if n.startswith("harness/bundled/")}
        assert "harness/vocab/schema/scenario.schema.json" in whl.namelist()
        assert {"harness/report/static/report.css", "harness/report/static/report.js"} <= set(
            whl.namelist()
        )
        assert not [n for n in whl.namelist() if n.startswith(("tests/", "scenarios/"))]
    expected = {p.name for p in (ROOT / "scenarios").glob("*.yaml")}
    assert expected and shipped == expected


def test_wheel_carries_the_reference_examples_under_harness(dists: dict[str, Path]) -> None:
    """The built-in drivers gateway-client and restream-app run them; ``harness init``'s
    starter suite runs the first. Never as a top-level ``examples`` package."""
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = whl.namelist()
    assert "harness/examples/gateway_client/client.py" in names
    assert "harness/examples/restream_app/app.py" in names
    assert not [n for n in names if n.startswith("examples/")]


def test_sdist_carries_scenarios_and_licence_not_tests(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        names = {Path(*Path(n).parts[1:]).as_posix() for n in tar.getnames()}
    assert "LICENSE" in names and "setup.py" in names
    assert {f"scenarios/{p.name}" for p in (ROOT / "scenarios").glob("*.yaml")} <= names
    assert not [n for n in names if n.startswith("tests/")]


@pytest.mark.slow
def test_installed_wheel_runs_the_bundled_scenarios_from_any_directory(
    dists: dict[str, Path], tmp_path: Path
) -> None:
    """A venv with only the wheel (its dependencies seen through a .pth line pointing at
    this interpreter's site-packages), run from an unrelated directory."""
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the wheel alone
    pip = [sys.executable, "-m", "pip", "--python", str(py), "install", "-q"]
    wheel = [*pip, "--no-deps", "--no-index", "--force-reinstall", str(dists["wheel"])]
    subprocess.run(wheel, check=True, timeout=300, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(py), "-c", "import harness.scenario.bundled as l; print(l.bundled_scenarios())"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(Path(site)), where
    proc = subprocess.run(
        [str(bindir / "harness"), "matrix", "--driver", "openai-sdk-chat", "--quiet"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert "no such scenario" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    assert "openai-sdk-chat" in proc.stdout and " pass" in proc.stdout, proc.stdout
    gateway = subprocess.run(
        [str(bindir / "harness"), "verdict", "--driver", "gateway-client"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert gateway.returncode == 0, gateway.stdout + gateway.stderr
    assert "gateway-client: PASS" in gateway.stdout and " pass" in gateway.stdout
    repo = elsewhere / "repo"
    repo.mkdir()
    subprocess.run([str(bindir / "harness"), "init"], cwd=repo, env=env, check=True)
    suite = subprocess.run(
        [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
    assert " passed" in suite.stdout and "harness/bundled/" not in suite.stderr
