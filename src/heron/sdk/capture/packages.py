"""The Python distributions installed where the run executes.

Read through ``importlib.metadata`` (no ``pip`` subprocess). Only the header block of
each ``METADATA`` file is parsed, which keeps a 150-package environment in the tens
of milliseconds. How a distribution was installed comes from its PEP 610
``direct_url.json``: editable and local-folder installs cannot be pinned by version
and become comments in ``requirements.txt``; VCS installs are pinned to their commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heron.sdk.capture.redact import strip_credentials

if TYPE_CHECKING:  # read on a cache miss only: a cached environment needs none of it
    from importlib import metadata

_NORMALIZE = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    # None: from an index or a wheel. Else "editable", "local", "vcs" or "url".
    source: str | None = None
    url: str | None = None
    commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.source:
            out["source"] = self.source
            out["url"] = self.url
        if self.commit:
            out["commit"] = self.commit
        return out

    def requirement(self) -> str:
        """One line of ``requirements.txt``."""
        if self.source == "vcs" and self.url and self.commit:
            return f"{self.name} @ {self.url}@{self.commit}"
        if self.source == "url" and self.url and not self.url.startswith("file:"):
            return f"{self.name} @ {self.url}"
        if self.source in ("editable", "local", "url"):
            return f"# {self.name}=={self.version} ({self.source} install from {self.url})"
        return f"{self.name}=={self.version}"


def installed_packages() -> list[Package]:
    """Every distribution importable from ``sys.path``, sorted by normalised name.

    When a name is installed twice on the path, the first copy (the one ``import``
    finds) wins.
    """
    from importlib import metadata

    found: dict[str, Package] = {}
    for dist in metadata.distributions():
        package = _package(dist)
        if package is not None:
            found.setdefault(normalize(package.name), package)
    return [found[key] for key in sorted(found)]


def cached_packages(cache_dir: Path | None) -> list[Package]:
    """:func:`installed_packages`, kept in ``cache_dir`` per environment: the key is
    ``sys.prefix``, ``sys.path`` and the modification times of its folders (an install
    or an uninstall changes its folder's), so a new environment or a changed one is
    read again. Without ``cache_dir``, or when the cache cannot be read or written,
    the packages are simply read."""
    if cache_dir is None:
        return installed_packages()
    path = cache_dir / f"packages-{_environment_key()}.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        return [Package(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    packages = installed_packages()
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps([asdict(p) for p in packages]), encoding="utf-8")
        os.replace(temp, path)
    return packages


def _environment_key() -> str:
    parts = [sys.prefix, sys.version]
    for entry in sys.path:
        try:
            parts.append(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(entry)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def list_packages() -> list[dict[str, Any]]:
    """:func:`installed_packages` as JSON-able dicts (``name``, ``version``, ...)."""
    return [p.to_dict() for p in installed_packages()]


def requirements_txt(packages: list[Package] | None = None) -> str:
    """A pinned ``requirements.txt`` of ``packages`` (default: everything installed)."""
    pkgs = installed_packages() if packages is None else packages
    header = "# Installed distributions recorded by heron; local installs are comments.\n"
    return header + "".join(p.requirement() + "\n" for p in pkgs)


def normalize(name: str) -> str:
    """PEP 503 normalised name: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return _NORMALIZE.sub("-", name).lower()


def _package(dist: metadata.Distribution) -> Package | None:
    try:
        name, version = _name_version(dist)
    except (OSError, UnicodeError):
        return None  # an unreadable install: pip would not list it either
    if not name or version is None:
        return None
    try:
        source, url, commit = _direct_url(dist.read_text("direct_url.json"))
    except (OSError, UnicodeError, ValueError, AttributeError, TypeError):
        source = url = commit = None  # a malformed direct_url.json: treat as a plain install
    return Package(name, version, source, url, commit)


def _direct_url(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(source, url, commit) from PEP 610 ``direct_url.json``; Nones for index installs."""
    if not text:
        return None, None, None
    info = json.loads(text)
    url = strip_credentials(str(info.get("url", ""))) or None
    if "vcs_info" in info:
        vcs = info["vcs_info"]
        return "vcs", f"{vcs.get('vcs', 'git')}+{url}", vcs.get("commit_id")
    if "dir_info" in info:
        return ("editable" if info["dir_info"].get("editable") else "local"), url, None
    if "archive_info" in info:
        return "url", url, None
    return None, None, None


def _name_version(dist: metadata.Distribution) -> tuple[str | None, str | None]:
    """Name and Version from the header block only (the body can be 100 kB of README)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if text is None:
        return None, None
    name = version = None
    for line in text.split("\n\n", 1)[0].splitlines():
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
        if name and version:
            break
    return name, version
