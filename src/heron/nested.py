"""Nested config and system records: one definition of their dotted paths and merges.

A path joins keys with dots (``{"opt": {"lr": 1}}`` has the leaf ``opt.lr``), the same
paths the filter language reads (``config.opt.lr``) and the UI shows. Lists are
leaves; so is an empty dict (it holds no path of its own, yet it was set).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, value)`` for every leaf of ``data``, in key order."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from leaves(value, f"{path}.")
        else:
            yield path, value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys (``{"opt": {"lr": 1}}`` -> ``{"opt.lr": 1}``)."""
    return dict(leaves(data, prefix))


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` merged into a copy of ``base``: dicts merge key by key, the rest replaces."""
    out = dict(base)
    for key, value in patch.items():
        old = out.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out
