"""``run.config`` and ``run.summary``: dict-like views that record every change."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from heron.errors import InvalidInput
from heron.keys import check_key
from heron.nested import deep_merge
from heron.sdk.values import expand_dotted, to_json_value
from heron.store.base import SummaryGoal
from heron.store.events import Event

Emit = Callable[[Event], None]  # records one spool event


class ConfigView(Mapping[str, Any]):
    """A read-only view of (part of) a run's config. Nested dicts come back as views,
    so ``run.config["opt"]["lr"] = 1`` fails loudly instead of being silently lost:
    write ``run.config["opt.lr"] = 1`` or ``run.config.update(...)``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        node: Any = self._data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(key)
            node = node[part]
        return ConfigView(node) if isinstance(node, dict) else node

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain dicts."""
        copy: dict[str, Any] = json.loads(json.dumps(self._data))
        return copy


class Config(ConfigView):
    """``run.config``: readable like a dict (dotted paths too), updated through
    ``run.config[key] = value`` and ``run.config.update(mapping)``. Types are kept."""

    def __init__(self, data: dict[str, Any], emit: Emit) -> None:
        super().__init__(data)
        self._emit = emit

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        merged = dict(values or {}, **kwargs)
        patch = expand_dotted({k: to_json_value(k, v) for k, v in merged.items()})
        self._data.update(deep_merge(self._data, patch))
        self._emit({"type": "config", "patch": patch})


class Summary:
    """``run.summary``: every metric's last (or declared min/max) value, and your own
    entries on top: ``run.summary["best_val_acc"] = 0.93``."""

    def __init__(self, emit: Emit, fetch: Callable[[], dict[str, Any]]) -> None:
        self._emit = emit
        self._fetch = fetch
        self._overrides: dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: Mapping[str, Any]) -> None:
        clean = {check_key(k): to_json_value(k, v, "summary") for k, v in values.items()}
        self._overrides.update(clean)
        self._emit({"type": "summary", "set": clean, "unset": []})

    def __delitem__(self, key: str) -> None:
        if key not in self._overrides:
            raise KeyError(key)
        del self._overrides[key]
        self._emit({"type": "summary", "set": {}, "unset": [key]})

    def __getitem__(self, key: str) -> Any:
        if key in self._overrides:
            return self._overrides[key]
        return self._fetch()[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self) -> dict[str, Any]:
        """The whole summary (waits until everything logged is in the store)."""
        out = dict(self._fetch())
        out.update(self._overrides)
        return out

    def __repr__(self) -> str:
        return f"Summary(overrides={self._overrides!r})"


def check_goal(goal: str | None) -> SummaryGoal | None:
    if goal is None:
        return None
    checked = _GOALS.get(goal) if isinstance(goal, str) else None
    if checked is None:
        raise InvalidInput(f"summary goal must be 'last', 'min' or 'max', got {goal!r}")
    return checked


_GOALS: dict[str, SummaryGoal] = {"last": "last", "min": "min", "max": "max"}
