"""Heron: an open, self-hosted experiment tracker for machine learning.

import heron

with heron.init(project="cifar10", config=cfg) as run:
    for step, batch in enumerate(loader):
        run.log({"train/loss": loss}, step=step)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heron import errors
from heron.api import Api
from heron.errors import HeronError
from heron.sdk.init import current_run, get_run_or_raise, init
from heron.sdk.run import Run
from heron.version import __version__

__all__ = [
    "Api",
    "HeronError",
    "Run",
    "__version__",
    "errors",
    "finish",
    "flush",
    "init",
    "log",
    "models",
    "run",
    "seed_everything",
]


def log(data: Mapping[str, Any], step: int | None = None) -> None:
    """``run.log`` on the current run."""
    get_run_or_raise().log(data, step)


def flush(timeout: float | None = None) -> bool:
    """``run.flush`` on the current run."""
    return get_run_or_raise().flush(timeout)


def finish(state: str = "finished") -> None:
    """Finish the current run (a no-op when there is none)."""
    current = current_run()
    if current is not None:
        current.finish(state)


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, Any]:
    """Seed ``random``, numpy and torch (deterministic kernels on request) and record
    it in the current run (or the next one started)."""
    from heron.sdk.capture.seeds import seed_everything as _seed
    from heron.sdk.init import record_system

    record = _seed(seed, deterministic=deterministic)
    record_system({"seed": record})
    return record


def __getattr__(name: str) -> Any:
    if name == "run":  # heron.run: the current run, or None
        return current_run()
    if name == "models":  # imported on first use: `import heron` stays light
        import heron.models

        return heron.models
    raise AttributeError(f"module 'heron' has no attribute {name!r}")
