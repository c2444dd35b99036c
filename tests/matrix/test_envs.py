"""Per-driver environments: naming, building once, refreshing, locking and errors, with a
fake pip (no network, no virtualenv); one slow test builds a real environment.

The slow test runs only with ``HARNESS_SLOW=1`` (it needs pip's cache or the network and
takes a minute or two); ``make conformance`` builds the real driver environments anyway.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.matrix import envs
from harness.matrix.envs import DriverEnvironmentError, Fingerprint, ensure_environment
from harness.matrix.progress import Progress

SLOW = os.environ.get("HARNESS_SLOW") == "1"
ROOT = Path(__file__).resolve().parents[2]


class FakePip:
    """Records commands; ``venv`` creates the interpreter file, pip "installs" nothing."""

    def __init__(self, *, fail: str | None = None, output: str = "", delay: float = 0) -> None:
        self.commands: list[list[str]] = []
        self.fail = fail
        self.output = output
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, command: Sequence[str]) -> tuple[int, str]:
        with self._lock:
            self.commands.append(list(command))
        if command[1:3] == ["-m", "venv"]:
            python = Path(command[3]) / "bin" / "python"
            python.parent.mkdir(parents=True, exist_ok=True)
            python.write_text("")
            return 0, ""
        time.sleep(self.delay)
        if self.fail is not None and self.fail in command:
            return 1, self.output
        return 0, ""

    def pip_commands(self) -> list[list[str]]:
        return [c for c in self.commands if "pip" in c]


@pytest.fixture(autouse=True)
def envs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(envs.ENVS_DIR_VARIABLE, str(tmp_path / "envs"))
    monkeypatch.setenv(envs.INSTALLER_VARIABLE, "pip")  # the uv tests below say so
    # `make test` exports the pins of `make conformance`; these tests set their own
    monkeypatch.delenv(envs.CONSTRAINTS_VARIABLE, raising=False)
    monkeypatch.delenv(envs.LATEST_VARIABLE, raising=False)
    return tmp_path / "envs"


class FakeUv(FakePip):
    """``uv venv ... TARGET`` creates the interpreter file; ``uv pip install`` nothing."""

    def __call__(self, command: Sequence[str]) -> tuple[int, str]:
        if command[1] == "venv":
            self.commands.append(list(command))
            python = Path(command[-1]) / "bin" / "python"
            python.parent.mkdir(parents=True, exist_ok=True)
            python.write_text("")
            return 0, ""
        return super().__call__(command)


def _fake_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    uv.write_text("")
    uv.chmod(0o755)
    monkeypatch.setenv(envs.INSTALLER_VARIABLE, "")
    monkeypatch.setattr(envs.sys, "executable", str(tmp_path / "bin" / "python"))
    return str(uv)


def test_uv_builds_the_environment_when_it_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uv = _fake_uv(tmp_path, monkeypatch)
    fake = FakeUv()
    python = ensure_environment(["six==1.16.0"], driver="d", run=fake)
    create, install = fake.commands
    assert create[:3] == [uv, "venv", "--seed"] and create[-1] == str(python.parents[1])
    assert install[:3] == [uv, "pip", "install"]
    assert install[install.index("--python") + 1] == str(python)
    assert install[-1] == "six==1.16.0"


def test_pip_is_the_fallback_and_can_be_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_uv(tmp_path, monkeypatch)
    monkeypatch.setenv(envs.INSTALLER_VARIABLE, "pip")
    assert envs.installer() is None
    monkeypatch.setenv(envs.INSTALLER_VARIABLE, "")
    monkeypatch.setattr(envs.sys, "executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert envs.installer() is None
    monkeypatch.setenv(envs.INSTALLER_VARIABLE, "uv")
    with pytest.raises(DriverEnvironmentError, match="no uv executable"):
        envs.installer()


def _fingerprint(monkeypatch: pytest.MonkeyPatch, source: str, deps: str = "d1") -> None:
    fp = Fingerprint(source=source, dependencies=deps, root=ROOT)
    monkeypatch.setattr(Fingerprint, "current", classmethod(lambda cls: fp))


# --------------------------------------------------------------------------- naming


def test_key_ignores_order_and_duplicates_and_follows_the_pins(envs_dir: Path) -> None:
    assert envs.env_key(["b==1", "a==2"]) == envs.env_key(["a==2", "b==1", "a==2"])
    assert envs.env_key(["a==2"]) != envs.env_key(["a==3"])
    assert envs.env_dir(["a==2"]).parent == envs_dir


def test_location_defaults_to_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(envs.ENVS_DIR_VARIABLE)
    assert envs.envs_root() == ROOT / ".harness-envs"
    monkeypatch.setattr(envs, "checkout_root", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert envs.envs_root() == Path("/somewhere/harness/envs")


def test_drivers_without_an_environment_use_this_python() -> None:
    assert envs.python_for("openai-sdk-chat") is None
    assert not envs.is_built("openai-sdk-chat")


def test_builtin_drivers_declare_their_environments() -> None:
    assert envs.requirements_of("hive-litellm") == ("aden-hive==1.0.12",)
    assert envs.requirements_of("openai3-sdk-chat") == ("openai>=3,<4",)


# --------------------------------------------------------------------------- building


def test_built_once_then_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fingerprint(monkeypatch, "s1")
    pip = FakePip()
    python = ensure_environment(["six==1.16.0"], driver="d", run=pip)
    assert python == envs.env_dir(["six==1.16.0"]) / "bin" / "python"
    assert [c[1:3] for c in pip.commands] == [["-m", "venv"], ["-m", "pip"]]
    install = pip.pip_commands()[0]
    assert install[0] == str(python)
    assert install[-3:] == ["-e", str(ROOT), "six==1.16.0"]
    assert ensure_environment(["six==1.16.0"], driver="d", run=pip) == python
    assert len(pip.commands) == 2


def test_harness_change_reinstalls_harness_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    _fingerprint(monkeypatch, "s1")
    pip = FakePip()
    ensure_environment(["six"], run=pip)
    _fingerprint(monkeypatch, "s2")
    ensure_environment(["six"], run=pip)
    refresh = pip.commands[2]
    assert "--no-deps" in refresh and refresh[-2:] == ["-e", str(ROOT)]
    assert len(pip.commands) == 3
    ensure_environment(["six"], run=pip)  # now current again
    assert len(pip.commands) == 3


def test_dependency_change_reinstalls_everything_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    _fingerprint(monkeypatch, "s1", deps="d1")
    pip = FakePip()
    ensure_environment(["six"], run=pip)
    _fingerprint(monkeypatch, "s2", deps="d2")
    ensure_environment(["six"], run=pip)
    refresh = pip.commands[2]
    assert "--no-deps" not in refresh and refresh[-3:] == ["-e", str(ROOT), "six"]
    assert sum(c[1:3] == ["-m", "venv"] for c in pip.commands) == 1


def test_half_built_environment_is_rebuilt_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    _fingerprint(monkeypatch, "s1")
    target = envs.env_dir(["six"])
    (target / "bin").mkdir(parents=True)
    (target / "leftover").write_text("from a killed build")
    pip = FakePip()
    ensure_environment(["six"], run=pip)
    assert not (target / "leftover").exists()
    assert (target / envs.STAMP).exists()


def test_is_built_reads_the_stamp_only(monkeypatch: pytest.MonkeyPatch) -> None:
    _fingerprint(monkeypatch, "s1")
    assert not envs.is_built("openai3-sdk-chat")
    ensure_environment(["openai>=3,<4"], run=FakePip())
    assert envs.is_built("openai3-sdk-chat")


def test_installed_copy_gets_dependencies_and_a_path_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fp = Fingerprint(source="v", dependencies="d", root=None)
    monkeypatch.setattr(Fingerprint, "current", classmethod(lambda cls: fp))
    monkeypatch.setattr(envs, "_installed_harness", lambda: ("0.1.0", ["pydantic>=2.7"]))
    pip = FakePip()
    ensure_environment(["six"], run=pip)
    assert pip.pip_commands()[0][-2:] == ["pydantic>=2.7", "six"]
    target = envs.env_dir(["six"])
    assert (target / "harness-lib" / "harness" / "matrix" / "envs.py").is_file()
    pth = list(target.rglob("harness-lib.pth"))
    assert len(pth) == 1 and pth[0].read_text().strip() == str(target / "harness-lib")


# --------------------------------------------------------------------------- errors


def test_pip_failure_names_driver_requirements_and_pips_last_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fingerprint(monkeypatch, "s1")
    noise = "WARNING: Location 'file:///opt/x/simple/six/' is ignored: it is neither a file"
    output = "\n".join(
        [*(f"line {i}" for i in range(30)), noise, "ERROR: No matching distribution for nope==9"]
    )
    pip = FakePip(fail="nope==9", output=output)
    with pytest.raises(DriverEnvironmentError) as info:
        ensure_environment(["nope==9"], driver="my-driver", run=pip)
    message = str(info.value)
    assert "'my-driver'" in message and "nope==9" in message
    assert str(envs.env_dir(["nope==9"])) in message
    assert "ERROR: No matching distribution for nope==9" in message
    assert "line 29" in message and "line 5" not in message and noise not in message
    assert "(exit status 1)" in message
    assert not (envs.env_dir(["nope==9"]) / envs.STAMP).exists()
    # the next run starts over rather than trusting the half-built directory
    ensure_environment(["nope==9"], driver="my-driver", run=FakePip())
    assert (envs.env_dir(["nope==9"]) / envs.STAMP).exists()


@pytest.mark.parametrize("bad", [["--index-url=http://evil"], [""], []])
def test_bad_requirements_are_refused(bad: list[str]) -> None:
    with pytest.raises(DriverEnvironmentError, match="'d' declares environment="):
        ensure_environment(bad, driver="d", run=FakePip())


def test_missing_interpreter_is_an_error_not_a_traceback() -> None:
    code, output = envs._subprocess(["/nonexistent/python", "-m", "venv", "x"])
    assert code == 127 and "FileNotFoundError" in output


# --------------------------------------------------------------------------- concurrency


def test_concurrent_callers_build_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _fingerprint(monkeypatch, "s1")
    pip = FakePip(delay=0.3)
    results: list[Path] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            results.append(ensure_environment(["six"], run=pip))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1 and len(results) == 4
    assert sum(c[1:3] == ["-m", "venv"] for c in pip.commands) == 1
    assert len(pip.pip_commands()) == 1


# --------------------------------------------------------------------------- real build


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="builds a real virtualenv: set HARNESS_SLOW=1")
def test_real_environment_with_a_small_requirement() -> None:
    try:
        python = ensure_environment(["six"], driver="test")
    except DriverEnvironmentError as exc:  # offline with a cold pip cache
        pytest.skip(f"cannot build an environment here: {str(exc).splitlines()[-2]}")
    out = subprocess.run(
        [str(python), "-c", "import six, harness.matrix.envs, pydantic; print(six.__name__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "six"
    assert ensure_environment(["six"], driver="test") == python  # reused, no pip


def test_a_build_reports_its_steps_as_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a first ``harness matrix`` shows while it builds a driver's environment."""
    _fingerprint(monkeypatch, "s1")
    out = io.StringIO()
    with Progress("matrix", ["d"], total=3, file=out, live=False):
        ensure_environment(["six==1.16.0"], driver="d", run=FakePip())
    assert out.getvalue().splitlines() == [
        "matrix: d: building its environment: python -m venv",
        "matrix: d: building its environment: installing six==1.16.0 and harness",
    ]


def test_a_driver_without_environment_runs_in_process() -> None:
    assert envs.run_in_environment("openai-sdk-chat", ["run", "x.yaml"]) is None


def test_harness_run_reruns_itself_with_the_driver_environments_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``harness run --driver openai3-sdk-chat`` must see openai 3.x, as the matrix does."""
    fake = tmp_path / "env" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "argv"}\nexit 3\n')
    fake.chmod(0o755)
    monkeypatch.setattr(envs, "python_for", lambda driver: str(fake))
    from harness.cli.app import main

    code = main(["run", "scenarios/text-plain.yaml", "--driver", "openai3-sdk-chat", "--json"])
    assert code == 3
    argv = (tmp_path / "argv").read_text().split()
    assert argv == [
        "-m",
        "harness.cli",
        "run",
        "scenarios/text-plain.yaml",
        "--driver",
        "openai3-sdk-chat",
        "--json",
    ]


def test_a_constraints_file_pins_the_environment_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make conformance`` builds driver environments with the pinned versions; another
    set of pins is another environment, never a silent reuse."""
    folder = tmp_path / "constraints"
    folder.mkdir()
    (folder / "d.txt").write_text("six==1.16.0\n")
    monkeypatch.setenv(envs.CONSTRAINTS_VARIABLE, str(folder))
    pins = envs.constraints_for("d")
    assert pins == (folder / "d.txt").resolve()
    assert envs.constraints_for("other") is None
    pip = FakePip()
    python = ensure_environment(["six"], driver="d", run=pip, constraints=pins)
    install = pip.pip_commands()[0]
    assert install[install.index("-c") + 1] == str(pins)
    (folder / "d.txt").write_text("six==1.17.0\n")
    assert ensure_environment(["six"], driver="d", run=pip, constraints=pins) != python


def test_latest_runs_each_driver_on_its_extra_unpinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``harness matrix --latest``: a fresh environment of the newest allowed releases,
    without the constraints file, even for drivers that run in harness's own venv."""
    folder = tmp_path / "constraints"
    folder.mkdir()
    (folder / "openai-sdk-chat.txt").write_text("openai==2.0.0\n")
    monkeypatch.setenv(envs.CONSTRAINTS_VARIABLE, str(folder))
    assert envs.python_for("openai-sdk-chat") is None  # pinned run: this venv
    monkeypatch.setenv(envs.LATEST_VARIABLE, "1")
    pip = FakePip()
    python = envs.python_for("openai-sdk-chat", run=pip)
    assert python is not None
    install = pip.pip_commands()[0]
    assert "-c" not in install
    assert install[-1] == "openai>=1.60,<3"
    assert envs.python_for("gateway-client", run=pip) is None  # nothing to install
