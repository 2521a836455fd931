"""Heron's optional compiled modules (setup.py builds them where a C compiler is).

Each has a pure-Python twin that writes the same bytes; ``HERON_PURE_PYTHON=1`` asks
for the twins everywhere (read once at import, like ``PYTHONMALLOC``: a switch of the
build, not a run's setting).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The compiled module ``name`` (``heron.sdk._fastlog``, ``heron.store._codec``), or
    None where it is not built or ``HERON_PURE_PYTHON`` is set."""
    if os.environ.get("HERON_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
