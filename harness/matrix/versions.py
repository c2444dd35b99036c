"""The released versions of a package, for ``harness sweep`` and ``harness bisect``: from
local folders of wheels and sdists (``--find-links DIR``, no network) and, unless
``--no-index``, from the package index's JSON API (PEP 691: ``$UV_INDEX_URL``, else
``$PIP_INDEX_URL``, else PyPI). Pre-releases, yanked files and files this Python cannot
install (their ``requires-python``) are left out.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from harness.vocab.errors import HarnessError

__all__ = [
    "DEFAULT_INDEX",
    "VersionError",
    "available_versions",
    "between",
    "last",
    "sort_versions",
]

DEFAULT_INDEX = "https://pypi.org/simple"
_ACCEPT = "application/vnd.pypi.simple.v1+json"
TIMEOUT_SECONDS = 30.0


class VersionError(HarnessError, ValueError):
    """No such package or version, or an index that cannot be read."""


def available_versions(
    package: str,
    *,
    find_links: Sequence[Path] = (),
    no_index: bool = False,
    pre: bool = False,
) -> list[str]:
    """Every installable release of ``package``, oldest first."""
    found: set[Version] = set()
    for folder in find_links:
        found |= _local_versions(package, folder)
    if not no_index:
        found |= _index_versions(package)
    if not pre:
        found = {v for v in found if not v.is_prerelease and not v.is_devrelease}
    if not found:
        where = ", ".join(map(str, find_links)) or ""
        where = (where + ("" if no_index else (", " if where else "") + _index_url())) or "?"
        raise VersionError(f"no installable release of {package} found in {where}")
    return [str(v) for v in sorted(found)]


def sort_versions(versions: Sequence[str]) -> list[str]:
    try:
        return [str(v) for v in sorted({Version(v) for v in versions})]
    except InvalidVersion as exc:
        raise VersionError(str(exc)) from None


def last(versions: Sequence[str], count: int) -> list[str]:
    """The newest ``count`` of ``versions`` (oldest first)."""
    if count < 1:
        raise VersionError(f"--last {count}: give at least 1")
    return list(versions[-count:])


def between(versions: Sequence[str], good: str, bad: str) -> list[str]:
    """``good``, ``bad`` and every release between them, oldest first."""
    lo, hi = Version(good), Version(bad)
    for given in (good, bad):
        if Version(given) not in {Version(v) for v in versions}:
            raise VersionError(
                f"{given} is not a release found (releases: {', '.join(versions[-12:])})"
            )
    if lo == hi:
        raise VersionError(f"--good and --bad are the same release ({good})")
    low, high = min(lo, hi), max(lo, hi)
    return [v for v in versions if low <= Version(v) <= high]


def _local_versions(package: str, folder: Path) -> set[Version]:
    if not folder.is_dir():
        raise VersionError(f"--find-links {folder}: not a directory")
    name = canonicalize_name(package)
    found: set[Version] = set()
    for path in folder.iterdir():
        try:
            if path.name.endswith(".whl"):
                dist, version, _, _ = parse_wheel_filename(path.name)
            elif path.name.endswith((".tar.gz", ".zip")):
                dist, version = parse_sdist_filename(path.name)
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue
        if dist == name:
            found.add(version)
    return found


def _index_url() -> str:
    for variable in ("UV_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(variable):
            return os.environ[variable].rstrip("/")
    return DEFAULT_INDEX


def _index_versions(package: str) -> set[Version]:
    url = f"{_index_url()}/{canonicalize_name(package)}/"
    request = urllib.request.Request(url, headers={"Accept": _ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise VersionError(f"no package {package!r} on {_index_url()}") from None
        raise VersionError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise VersionError(
            f"{url}: cannot read the index ({exc}); offline, give --find-links DIR --no-index"
        ) from None
    here = ".".join(map(str, sys.version_info[:3]))
    found: set[Version] = set()
    for file in data.get("files", []):
        if file.get("yanked"):
            continue
        needs = file.get("requires-python")
        try:
            if needs and here not in SpecifierSet(needs):
                continue
        except InvalidSpecifier:
            pass
        version = _version_of(str(file.get("filename", "")), package)
        if version is not None:
            found.add(version)
    return found


def _version_of(filename: str, package: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            dist, version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            dist, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        # old sdists spell the name loosely: take the version after it
        found = re.match(rf"(?i){re.escape(package)}[-_](.+?)\.(tar\.gz|zip)$", filename)
        try:
            return Version(found[1]) if found else None
        except InvalidVersion:
            return None
    return version if dist == canonicalize_name(package) else None
