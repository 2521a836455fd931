"""What a run records about where it came from, so it can be reproduced.

``capture_all`` runs at ``heron.init``: it returns the ``system`` dict of the run
record and the text files the run stores next to it. Each part (git, packages,
environment) runs on its own thread, and one that fails is recorded as
``{"error": "..."}`` without failing the others or the training script.

The other tools live in their modules: :mod:`~heron.sdk.capture.system_metrics`
(the sampler thread), :mod:`~heron.sdk.capture.seeds` (``seed_everything``) and
:mod:`~heron.sdk.capture.datasets` (``hash_dataset``). See docs/reproducibility.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heron.sdk.capture.datasets import DatasetRecord, hash_dataset
from heron.sdk.capture.environment import capture_environment, capture_program
from heron.sdk.capture.git import GitState, capture_git
from heron.sdk.capture.packages import cached_packages, requirements_txt
from heron.sdk.capture.seeds import seed_everything
from heron.sdk.capture.system_metrics import SystemSampler
from heron.version import __version__

__all__ = [
    "DIFF_FILE",
    "REQUIREMENTS_FILE",
    "UNTRACKED_FILE",
    "CaptureResult",
    "DatasetRecord",
    "GitState",
    "SystemSampler",
    "capture_all",
    "capture_git",
    "hash_dataset",
    "seed_everything",
]

# Paths of the run files ``capture_all`` returns.
DIFF_FILE = "code/diff.patch"
UNTRACKED_FILE = "code/untracked.txt"
REQUIREMENTS_FILE = "requirements.txt"


@dataclass(frozen=True)
class CaptureResult:
    """``system``: JSON-able, for the run record. ``files``: run-file path -> text,
    only those with content. ``seconds``: how long each part took (wall clock)."""

    system: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def capture_all(
    *,
    git: bool = True,
    packages: bool = True,
    env: bool = True,
    cwd: Path | None = None,
    git_timeout: float = 5.0,
    cache_dir: Path | None = None,
) -> CaptureResult:
    """Capture the program (always) and git, packages and environment (when asked).

    ``system`` has the keys ``heron`` (version), ``program`` (Python, argv, cwd, entry
    script) and, for each part turned on, ``git`` (None outside a repository),
    ``packages`` (list of ``{name, version}``; kept per environment in ``cache_dir``)
    and ``environment``. Never raises.
    """
    start = time.perf_counter()
    jobs: dict[str, Callable[[], Any]] = {"program": capture_program}
    if git:  # Path.cwd() inside the job: it raises when the folder was deleted
        jobs["git"] = lambda: capture_git(Path.cwd() if cwd is None else cwd, git_timeout)
    if packages:
        jobs["packages"] = lambda: cached_packages(cache_dir)
    if env:
        jobs["environment"] = capture_environment

    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="heron-capture") as pool:
        futures = {name: pool.submit(_timed, fn) for name, fn in jobs.items()}
    system: dict[str, Any] = {"heron": {"version": __version__}}
    files: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name, future in futures.items():
        value, seconds[name] = future.result()
        if name == "git" and isinstance(value, GitState):
            system["git"] = value.to_dict()
            if value.diff:
                files[DIFF_FILE] = value.diff
            if value.untracked:
                files[UNTRACKED_FILE] = "".join(f"{p}\n" for p in value.untracked)
        elif name == "packages" and isinstance(value, list):
            system["packages"] = [p.to_dict() for p in value]
            files[REQUIREMENTS_FILE] = requirements_txt(value)
        else:
            system[name] = value
    seconds["total"] = time.perf_counter() - start
    return CaptureResult(system=system, files=files, seconds=seconds)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    try:
        value = fn()
    except Exception as exc:  # recorded, never raised into the training script
        value = {"error": f"{type(exc).__name__}: {exc}"}
    return value, time.perf_counter() - start
