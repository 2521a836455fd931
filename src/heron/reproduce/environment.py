"""The Python a reproduction runs with: a virtual environment holding the recorded
packages, or an interpreter the user names (``--python``).

The recorded package list (``system.packages``, every distribution the run could
import) is turned into a plan, one requirement per package:

- ``name==version`` from the package index (pip's or uv's configuration: an
  ``--index-url`` or ``PIP_INDEX_URL`` / ``UV_INDEX_URL`` set here applies);
- a VCS install, pinned to its commit (``name @ git+url@commit``);
- a build with a local version label for CUDA or ROCm (``torch==2.3.1+cu121``) on a
  machine without a GPU of that kind: the public version instead (``torch==2.3.1``,
  the CPU build), reported as a substitute;
- an editable or local-folder install: that folder if it still exists here (as it is
  *now*, reported), else the same version from the index, reported.

Everything is installed with ``--no-deps``: the list already holds every dependency
at the version the run had, so no resolver picks other versions. What the installer
refuses (a version the index does not have, a folder that is gone) is taken out and
named, and the rest is installed: the report says what is missing and why, in one
line each, never with the installer's traceback. ``uv`` is used when it is on the
PATH (much faster), else ``python -m venv`` and pip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from heron.errors import InvalidInput

Installer = Literal["auto", "uv", "pip"]
INSTALL_TIMEOUT = 3600.0
SKIPPED = frozenset({"pip"})  # the installer itself (the venv brings its own)
_GPU_LABEL = re.compile(r"^(cu|rocm)(\d[\w.]*)$")
_NORMALIZE = re.compile(r"[-_.]+")
# Where pip and uv name a requirement they cannot satisfy.
_REFUSED = (
    re.compile(r"No matching distribution found for ([^\s;]+)"),
    re.compile(r"Cannot install ([^\s;]+) because"),
    re.compile(r"Because ([A-Za-z0-9][\w.\-]*) was not found in the package registry"),
    re.compile(r"Because there is no version of ([A-Za-z0-9][\w.\-]*==[^\s,]+)"),
)


def normalize(name: str) -> str:
    return _NORMALIZE.sub("-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str
    spec: str  # what the installer is given
    recorded: str  # what the run had, for the report


@dataclass(frozen=True)
class PackageIssue:
    """A recorded package that cannot be installed here as it was."""

    name: str
    recorded: str
    reason: str
    substitute: str | None = None  # what is installed instead (None: nothing)

    def describe(self) -> str:
        instead = f"; installing {self.substitute} instead" if self.substitute else ""
        return f"{self.recorded}: {self.reason}{instead}"


@dataclass
class EnvironmentReport:
    python: str  # the interpreter the reproduction runs with
    venv: Path | None = None  # the environment created (None: --python)
    installer: str = "none"  # "uv", "pip" or "none"
    installed: list[str] = field(default_factory=list)
    issues: list[PackageIssue] = field(default_factory=list)  # substitutes included
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[PackageIssue]:
        """Recorded packages with nothing installed in their place."""
        return [i for i in self.issues if i.substitute is None]

    @property
    def complete(self) -> bool:
        return not self.issues


def has_gpu(kind: str) -> bool:
    """Whether this machine has a GPU driver for ``kind`` ("cu": NVIDIA, "rocm": AMD)."""
    if kind == "cu":
        return Path("/proc/driver/nvidia/version").exists() or bool(shutil.which("nvidia-smi"))
    return Path("/dev/kfd").exists() or bool(shutil.which("rocm-smi"))


def _local_path(url: str | None) -> Path | None:
    if not url or not url.startswith("file:"):
        return None
    return Path(unquote(urlparse(url).path))


def plan(
    packages: object, gpu: Mapping[str, bool] | None = None
) -> tuple[list[Requirement], list[PackageIssue]]:
    """The requirements to install for the recorded ``packages`` and the packages that
    cannot be installed as they were (see the module doc). ``gpu``: which GPU kinds
    this machine has (default: looked up)."""
    reqs: list[Requirement] = []
    issues: list[PackageIssue] = []
    if not isinstance(packages, list):
        return reqs, issues
    for p in packages:
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            continue
        name, version = p["name"], str(p.get("version") or "")
        if normalize(name) in SKIPPED:
            continue
        source, url = p.get("source"), p.get("url")
        recorded = f"{name}=={version}"
        if source == "vcs" and isinstance(url, str) and p.get("commit"):
            reqs.append(Requirement(name, f"{name} @ {url}@{p['commit']}", recorded))
        elif source in ("editable", "local", "url") and _local_path(url) is not None:
            folder = _local_path(url)
            assert folder is not None
            where = f"installed from a local path ({folder})"
            if folder.exists():
                spec = f"{name} @ {folder.as_uri()}"
                issues.append(PackageIssue(name, recorded, f"{where}: as it is now", spec))
                reqs.append(Requirement(name, spec, recorded))
            else:
                issues.append(
                    PackageIssue(name, recorded, f"{where}, not on this machine", recorded)
                )
                reqs.append(Requirement(name, recorded, recorded))
        elif source == "url" and isinstance(url, str):
            reqs.append(Requirement(name, f"{name} @ {url}", recorded))
        else:
            public, _, label = version.partition("+")
            found = _GPU_LABEL.match(label)
            have = (gpu or {}).get(found.group(1)) if found and gpu is not None else None
            if found and not (have if have is not None else has_gpu(found.group(1))):
                what = "CUDA" if found.group(1) == "cu" else "ROCm"
                substitute = f"{name}=={public}"
                reason = f"a {what} build (+{label}); this machine has no {what} GPU"
                issues.append(PackageIssue(name, recorded, reason, substitute))
                reqs.append(Requirement(name, substitute, recorded))
            else:
                reqs.append(Requirement(name, recorded, recorded))
    return reqs, issues


def interpreter_packages(python: str) -> dict[str, str]:
    """Normalised name -> version of what ``python`` can import."""
    code = (
        "import json, importlib.metadata as m\n"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions() "
        "if d.metadata['Name']}))"
    )
    try:
        done = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput(f"--python {python} cannot be run: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InvalidInput(f"--python {python} cannot be run: {last}")
    found: dict[str, str] = json.loads(done.stdout)
    return {normalize(k): v for k, v in found.items()}


def use_interpreter(python: str, packages: object) -> EnvironmentReport:
    """``--python PATH``: nothing installed; the recorded packages it lacks or has at
    another version are reported."""
    path = shutil.which(python) or python
    if not Path(path).exists():
        raise InvalidInput(f"--python {python}: no such interpreter")
    report = EnvironmentReport(python=path)
    have = interpreter_packages(path)
    for p in packages if isinstance(packages, list) else []:
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            continue
        name, version = p["name"], str(p.get("version") or "")
        if normalize(name) in SKIPPED:
            continue
        here = have.get(normalize(name))
        if here is None:
            report.issues.append(PackageIssue(name, f"{name}=={version}", f"not in {path}"))
        elif here != version:
            report.notes.append(f"{name}: {version} recorded, {here} in {path}")
    return report


def build(
    dest: Path,
    packages: object,
    *,
    python_version: str | None = None,
    installer: Installer = "auto",
    system_site_packages: bool = False,
    gpu: Mapping[str, bool] | None = None,
) -> EnvironmentReport:
    """A virtual environment at ``dest`` with the recorded ``packages`` (see the module
    doc). Raises InvalidInput when the environment itself cannot be created; packages
    that cannot be installed are in the report."""
    uv = shutil.which("uv") if installer in ("auto", "uv") else None
    if installer == "uv" and uv is None:
        raise InvalidInput("--installer uv: uv is not on the PATH")
    report = EnvironmentReport(python=str(_venv_python(dest)), venv=dest)
    report.installer = "uv" if uv else "pip"
    _create(dest, uv, python_version, system_site_packages, report)
    reqs, issues = plan(packages, gpu)
    report.issues.extend(issues)
    refused = _install(reqs, report, uv)
    for req, reason in refused.items():
        earlier = next((i for i in report.issues if i.name == req.name), None)
        if earlier is not None:
            report.issues.remove(earlier)
            if earlier.substitute:
                reason = f"{earlier.reason}, and {earlier.substitute} cannot be installed: {reason}"
        report.issues.append(PackageIssue(req.name, req.recorded, reason, None))
    return report


def _venv_python(dest: Path) -> Path:
    return dest / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _create(
    dest: Path,
    uv: str | None,
    python_version: str | None,
    system_site_packages: bool,
    report: EnvironmentReport,
) -> None:
    here = ".".join(map(str, sys.version_info[:3]))
    if uv:
        cmd = [uv, "venv", "--quiet", str(dest)]
        if python_version:
            cmd += ["--python", python_version]  # uv finds (or fetches) that Python
        if system_site_packages:
            cmd.append("--system-site-packages")
    else:
        # no pip inside: the outer pip installs into it (pip --python), which saves
        # seconds of ensurepip
        cmd = [sys.executable, "-m", "venv", "--without-pip", str(dest)]
        if system_site_packages:
            cmd.append("--system-site-packages")
        if python_version and python_version.split(".")[:2] != here.split(".")[:2]:
            report.notes.append(
                f"the run used Python {python_version}; this environment has {here} "
                "(install uv to get the recorded version, or pass --python)"
            )
    _quiet(cmd, "creating the virtual environment")


def _quiet(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        raise InvalidInput(f"{what} failed: {_last_error(done.stderr or done.stdout)}")
    return done


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("ERROR", "error", "×", "╰"))]
    return (errors or lines or ["no message"])[-1]


def _install_cmd(python: str, uv: str | None, requirements: Path) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--python", python, "--no-deps", "-r", str(requirements)]
    return [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--disable-pip-version-check",
        "--no-input",
        "-r",
        str(requirements),
    ]


def _install(
    reqs: list[Requirement], report: EnvironmentReport, uv: str | None
) -> dict[Requirement, str]:
    """Install ``reqs``; what the installer refused, each with a one-line reason. A
    refusal the installer names is taken out and the rest tried again; when it names
    none, the requirements are split in halves until the culprits are found (a few
    installer runs, not one per package)."""
    refused: dict[Requirement, str] = {}
    with tempfile.TemporaryDirectory(prefix="heron-requirements-") as tmp:
        requirements = Path(tmp) / "requirements.txt"

        def attempt(batch: list[Requirement]) -> None:
            while batch:
                text = "".join(f"{r.spec}\n" for r in batch)
                requirements.write_text(text, encoding="utf-8")
                try:
                    done = subprocess.run(
                        _install_cmd(report.python, uv, requirements),
                        capture_output=True,
                        text=True,
                        timeout=INSTALL_TIMEOUT,
                        check=False,
                    )
                except (OSError, subprocess.TimeoutExpired) as exc:
                    for req in batch:
                        refused[req] = f"the installer did not run: {exc}"
                    return
                if done.returncode == 0:
                    report.installed.extend(r.spec for r in batch)
                    return
                output = f"{done.stdout}\n{done.stderr}"
                named = _named(batch, output)
                if not named and len(batch) > 1:
                    half = len(batch) // 2
                    attempt(batch[:half])
                    attempt(batch[half:])
                    return
                for req in named or batch:
                    refused[req] = _reason(req, output)
                batch = [r for r in batch if r not in refused]

        attempt(list(reqs))
    return refused


def _named(batch: list[Requirement], output: str) -> list[Requirement]:
    names: set[str] = set()
    for pattern in _REFUSED:
        for match in pattern.finditer(output):
            names.add(normalize(re.split(r"[=<>!~@ ]", match.group(1).strip("'\""))[0]))
    return [r for r in batch if normalize(r.name) in names]


def _reason(req: Requirement, output: str) -> str:
    if any(
        m in output
        for m in ("No matching distribution", "not found in the package registry", "Cannot install")
    ):
        return "this version is not on the package index (or no build for this platform)"
    if "there is no version of" in output:
        return "this version is not on the package index"
    return f"the installer refused it: {_last_error(output)}"


def recorded_python(system: Mapping[str, Any]) -> str | None:
    program = system.get("program")
    python = program.get("python") if isinstance(program, dict) else None
    version = python.get("version") if isinstance(python, dict) else None
    return version if isinstance(version, str) else None
