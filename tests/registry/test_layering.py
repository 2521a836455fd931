"""The registry's place in the layers (docs/architecture.md): below ``heron.models``,
beside the store. ``lint-imports`` checks the layers between packages; this is
narrower: what the registry may build on at all (TYPE_CHECKING imports included, so
no cycle can hide there), and that ``heron.models`` reaches its store only through
``heron.connect``. (Reaches into private members: tests/test_architecture.py.)"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import heron

SRC = Path(heron.__file__).parent
# What the registry may build on: the store and artifacts beneath it, the shared leaves
# (errors, settings, names, sealed secrets, wire formats) and the HTTP client its remote half uses.
REGISTRY_MAY_IMPORT = (
    "heron.registry",
    "heron.store",
    "heron.artifacts",
    "heron.errors",
    "heron.settings",
    "heron.keys",
    "heron.sealing",
    "heron.wire",
    "heron.remote.http",
)
# heron.models reaches its store only through heron.connect, never an SDK backend or a
# registry implementation directly.
MODELS_MUST_NOT_IMPORT = (
    "heron.sdk.backend",
    "heron.registry.sql",
    "heron.registry.remote",
    "heron.store.sql",
    "heron.server",
    "heron.cli",
)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports (TYPE_CHECKING and function-level ones too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            yield node.lineno, node.module
            for alias in node.names:  # ``from heron import models`` imports heron.models
                yield node.lineno, f"{node.module}.{alias.name}"


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("path", sorted((SRC / "registry").rglob("*.py")), ids=lambda p: p.name)
def test_the_registry_imports_only_what_lies_beneath_it(path: Path) -> None:
    crossing = [
        f"{path.name}:{line} imports {module}"
        for line, module in imports(path)
        if module.startswith("heron.")
        and not within(module, REGISTRY_MAY_IMPORT)
        and not module.startswith("heron.__")  # heron.__version__ and the like
    ]
    assert crossing == []


@pytest.mark.parametrize("path", sorted((SRC / "models").rglob("*.py")), ids=lambda p: p.name)
def test_models_reach_the_store_only_through_connect(path: Path) -> None:
    crossing = [
        f"{path.name}:{line} imports {module}"
        for line, module in imports(path)
        if within(module, MODELS_MUST_NOT_IMPORT)
    ]
    assert crossing == []
