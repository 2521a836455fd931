"""Heron's compiled modules in tests: imported directly, whatever ``HERON_PURE_PYTHON``
says (it keeps them out of the code's own ``heron.compiled.load``)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

import pytest


def compiled(name: str) -> tuple[Any, pytest.MarkDecorator]:
    """The module ``name`` (None where it is not built), and the mark that skips a
    test needing it there."""
    try:
        module: Any = importlib.import_module(name)
    except ImportError:
        module = None
    return module, pytest.mark.skipif(
        module is None, reason=f"{name} is not built here (no C compiler)"
    )


def check_built(name: str) -> None:
    """CI builds every compiled module (scripts/setup: pip install -e .): there, a
    silent fallback to the pure-Python code fails instead of slowing Heron down."""
    if importlib.util.find_spec(name) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} was not built (setup.py needs a C compiler in CI)")
        pytest.skip(f"{name} is not built here (no C compiler)")
