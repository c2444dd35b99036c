"""The space form of harness's path options (``--harness-scenarios /abs/path``).

pytest chooses its rootdir and ini file before any plugin has registered its options, so
an option value given as a separate argument is taken for a test path: a scenario folder
outside the project made pytest adopt that folder's ``pyproject.toml`` (and crash on its
settings). Once harness's options are known, the setup is determined again from the real
test paths and, when it differs, replaces the one pytest guessed. Only runs when a harness
path option was given in the space form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["PATH_OPTIONS", "redo_rootdir"]

PATH_OPTIONS = ("--harness-scenarios", "--harness-baseline", "--harness-report")


def redo_rootdir(config: pytest.Config) -> None:
    """Recompute rootdir and ini file from the test paths alone (private pytest state:
    skipped, leaving pytest's choice, if this pytest's internals differ)."""
    try:
        from _pytest.config.findpaths import determine_setup

        ns = config.known_args_namespace
        setup: Any = determine_setup(
            inifile=ns.inifilename,
            override_ini=ns.override_ini,
            args=list(ns.file_or_dir),
            rootdir_cmd_arg=ns.rootdir or None,
            invocation_dir=config.invocation_params.dir,
        )
        rootpath, inipath, inicfg = setup[0], setup[1], setup[2]
        if rootpath == config.rootpath and inipath == config.inipath:
            return
        guessed_cut = str(config.inipath.parent if config.inipath else config.rootpath)
        config._rootpath = rootpath  # type: ignore[attr-defined]
        config._inipath = inipath  # type: ignore[attr-defined]
        config._inicfg = inicfg  # type: ignore[attr-defined]
        config._inicache.clear()  # type: ignore[attr-defined]
        config._parser.extra_info["rootdir"] = str(rootpath)  # type: ignore[attr-defined]
        config._parser.extra_info["inifile"] = str(inipath)  # type: ignore[attr-defined]
        if ns.confcutdir == guessed_cut:  # pytest's default, derived from the wrong guess
            ns.confcutdir = str(Path(inipath).parent if inipath else rootpath)
    except (ImportError, TypeError, AttributeError, IndexError):
        return
