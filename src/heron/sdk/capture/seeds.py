"""Seeding every random number generator a training script is likely to use.

``seed_everything(seed)`` seeds Python's ``random``, numpy's global generator (when
numpy is installed) and torch (when torch is installed: it is imported if the
script has not done so yet, since a generator cannot be seeded before it exists).
It returns a record of what it did, which the run stores next to its config; an
installed library that fails to import is listed under ``skipped``.

``PYTHONHASHSEED`` (string hashing, hence ``set`` iteration order) is fixed when the
interpreter starts and cannot be changed from inside it: the record notes its value
so a reproduction can launch with the same one.
"""

from __future__ import annotations

import importlib
import importlib.util
import operator
import os
import random
import sys
from types import ModuleType
from typing import Any, SupportsIndex

from heron.errors import InvalidInput, InvalidValue

MAX_SEED = 2**32 - 1  # numpy's legacy seeding takes 0 .. 2**32 - 1
# Needed by cuBLAS for deterministic results on CUDA >= 10.2 (see torch's docs on
# reproducibility); set only when the user has not chosen a value.
CUBLAS_WORKSPACE_CONFIG = ":4096:8"


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, Any]:
    """Seed random, numpy and torch with ``seed``; return what was seeded.

    With ``deterministic=True`` torch is also told to use deterministic algorithms
    only (``torch.use_deterministic_algorithms(True)``; cuDNN deterministic, no
    benchmark autotuning; ``CUBLAS_WORKSPACE_CONFIG`` set when unset). Training gets
    slower and operations without a deterministic version raise.

    Raises :class:`~heron.errors.InvalidValue` (a ``TypeError``) when ``seed`` is not
    an integer (``True`` is refused) and :class:`~heron.errors.InvalidInput` (a
    ``ValueError``) when it is outside 0 .. 2**32 - 1.
    """
    value = check_seed(seed)
    if not isinstance(deterministic, bool):
        raise InvalidValue(f"deterministic must be True or False, got {deterministic!r}")
    seeded = ["random"]
    skipped: dict[str, str] = {}
    random.seed(value)
    numpy = _module("numpy", skipped)
    if numpy is not None:
        numpy.random.seed(value)
        seeded.append("numpy")
    torch = _module("torch", skipped)
    if torch is not None:
        _seed_torch(torch, value, deterministic)
        seeded.append("torch")
    record: dict[str, Any] = {
        "seed": value,
        "deterministic": deterministic,
        "seeded": seeded,
        "pythonhashseed": os.environ.get("PYTHONHASHSEED"),
    }
    if skipped:
        record["skipped"] = skipped
    return record


def check_seed(seed: object) -> int:
    """``seed`` as an int, or a clear error (numpy integers are accepted, bools not)."""
    if isinstance(seed, bool) or not isinstance(seed, SupportsIndex):
        raise InvalidValue(f"seed must be an integer, got {type(seed).__name__} {seed!r}")
    value = operator.index(seed)
    if not 0 <= value <= MAX_SEED:
        raise InvalidInput(f"seed must be between 0 and {MAX_SEED} (2**32 - 1), got {value}")
    return value


def _module(name: str, skipped: dict[str, str]) -> ModuleType | None:
    """The module if the script imported it or it is installed; None otherwise.

    An installed module that fails to import (a broken CUDA build of torch, say) is
    noted in ``skipped`` rather than failing a script that may not even use it.
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    if importlib.util.find_spec(name) is None:
        return None
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        skipped[name] = f"{type(exc).__name__}: {exc}"
        return None


def _seed_torch(torch: Any, seed: int, deterministic: bool) -> None:
    torch.manual_seed(seed)  # seeds every CUDA device too, lazily
    torch.cuda.manual_seed_all(seed)  # lazy as well: no CUDA context is created here
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE_CONFIG)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
