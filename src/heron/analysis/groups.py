"""Seed groups: runs that differ only in the seed (or another chosen key) belong together.

Two runs are in one group when their flattened configs are equal once the ``key``
paths (default ``seed``) are left out. The group's name lists what its runs share
that the other groups do not, e.g. ``lr=0.1, opt.name=adam``; a group of one run is a
group too (the caller decides whether to show it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from heron.nested import flatten

__all__ = ["SeedGroup", "seed_groups"]

MAX_NAME = 200


@dataclass(frozen=True)
class SeedGroup:
    name: str
    shared: dict[str, Any]  # the config paths (minus the keys) every run in it has
    run_ids: tuple[str, ...]


def seed_groups(
    runs: Iterable[tuple[str, Mapping[str, Any]]], keys: Sequence[str] = ("seed",)
) -> list[SeedGroup]:
    """Group ``(run id, config)`` pairs whose configs differ only in ``keys`` (dotted
    paths; a key also drops everything under it). Groups come largest first."""
    buckets: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for run_id, config in runs:
        flat = {
            path: value
            for path, value in flatten(config).items()
            if not any(path == k or path.startswith(k + ".") for k in keys)
        }
        ident = json.dumps(flat, sort_keys=True, default=str)
        buckets.setdefault(ident, (flat, []))[1].append(run_id)
    configs = [flat for flat, _ in buckets.values()]
    varying = sorted(
        {p for flat in configs for p in flat if any(c.get(p) != flat.get(p) for c in configs)}
    )
    groups = []
    for flat, ids in buckets.values():
        parts = [f"{p}={_short(flat.get(p))}" for p in varying if p in flat]
        name = ", ".join(parts) or "all runs"
        if len(name) > MAX_NAME:
            name = name[: MAX_NAME - 1] + "…"
        groups.append(SeedGroup(name, flat, tuple(ids)))
    groups.sort(key=lambda g: (-len(g.run_ids), g.name))
    return groups


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:39] + "…"
