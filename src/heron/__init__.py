"""Heron: an open, self-hosted experiment tracker for machine learning.

import heron

with heron.init(project="cifar10", config=cfg) as run:
    for step, batch in enumerate(loader):
        run.log({"train/loss": loss}, step=step)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from heron import errors
from heron.errors import HeronError
from heron.version import __version__

if TYPE_CHECKING:
    from heron.api import Api
    from heron.media import Audio, Histogram, Image, Table, Text
    from heron.sdk.init import init
    from heron.sdk.run import Run
    from heron.sdk.watch import Watch

# Imported on first use, so that `import heron` stays light (a script starts logging
# sooner, and `heron.Api` does not load the SDK's writer side nor the SDK the reader).
_LAZY = {
    "Api": "heron.api",
    "Audio": "heron.media",
    "Histogram": "heron.media",
    "Image": "heron.media",
    "Table": "heron.media",
    "Text": "heron.media",
    "init": "heron.sdk.init",
    "Run": "heron.sdk.run",
}

__all__ = [
    "Api",
    "Audio",
    "HeronError",
    "Histogram",
    "Image",
    "Run",
    "Table",
    "Text",
    "__version__",
    "errors",
    "finish",
    "flush",
    "init",
    "log",
    "models",
    "run",
    "seed_everything",
    "watch",
]


def log(data: Mapping[str, Any], step: int | None = None) -> None:
    """``run.log`` on the current run."""
    from heron.sdk.init import get_run_or_raise

    get_run_or_raise().log(data, step)


def flush(timeout: float | None = None) -> bool:
    """``run.flush`` on the current run."""
    from heron.sdk.init import get_run_or_raise

    return get_run_or_raise().flush(timeout)


def finish(state: str = "finished") -> None:
    """Finish the current run (a no-op when there is none)."""
    current = current_run()
    if current is not None:
        current.finish(state)


def current_run() -> Run | None:
    """The current run, or None (`heron.run`)."""
    module = sys.modules.get("heron.sdk.init")  # no run can exist without it
    return None if module is None else module.current_run()


def watch(
    model: Any,
    log: Literal["gradients", "parameters", "all"] = "gradients",
    freq: int = 100,
    bins: int = 64,
) -> Watch:
    """Histograms of a torch model's gradients (``log="gradients"``), parameters
    (``"parameters"``) or both (``"all"``) every ``freq`` passes, into the current run
    (docs/media.md). Returns the hooks: ``.remove()`` them to stop."""
    from heron.sdk.init import get_run_or_raise
    from heron.sdk.watch import watch as _watch

    return _watch(get_run_or_raise(), model, log, freq, bins)


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, Any]:
    """Seed ``random``, numpy and torch (deterministic kernels on request) and record
    it in the current run (or the next one started)."""
    from heron.sdk.capture import reproducibility
    from heron.sdk.capture.seeds import seed_everything as _seed
    from heron.sdk.init import record_system
    from heron.sdk.reproduction import recorded_seed

    recorded = recorded_seed()  # `heron reproduce --run`: the original run's seed
    record = _seed(seed if recorded is None else recorded, deterministic=deterministic)
    if recorded is not None and recorded != seed:
        record["asked"] = seed
    record_system({"seed": record})
    reproducibility.seeded(current_run())
    return record


def __getattr__(name: str) -> Any:
    if name == "run":  # heron.run: the current run, or None
        return current_run()
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # once: later lookups find it directly
        return value
    if name == "models":  # imported on first use: `import heron` stays light
        import heron.models

        return heron.models
    raise AttributeError(f"module 'heron' has no attribute {name!r}")
