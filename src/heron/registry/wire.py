"""Registry objects as JSON, both ways: the REST routes, the remote client and the
CLI's ``--json`` all use these, so a field is named in one place. Anything decoded
is untrusted: malformed input raises InvalidInput, never a KeyError.

Requests (:mod:`heron.registry.requests`) go out with :func:`request_to_json`; the
server decodes them with the routes' body types, which are the same dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from heron.errors import InvalidInput
from heron.registry.base import (
    Delivery,
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
    Webhook,
)


def model_to_json(m: RegisteredModel) -> dict[str, Any]:
    out = asdict(m)
    out["protected"] = list(m.protected)
    out["stages"] = {k: list(v) for k, v in m.stages.items()}
    return out


def version_to_json(v: ModelVersion) -> dict[str, Any]:
    out = asdict(v)
    out["aliases"] = list(v.aliases)
    out["uri"] = v.uri
    return out


def history_to_json(h: HistoryEntry) -> dict[str, Any]:
    return asdict(h)


def webhook_to_json(w: Webhook) -> dict[str, Any]:
    out = asdict(w)
    out["events"] = list(w.events)
    return out


def delivery_to_json(d: Delivery) -> dict[str, Any]:
    return asdict(d)


def request_to_json(request: object) -> dict[str, Any]:
    """A request dataclass as a JSON object (sequences as lists, mappings as objects)."""
    if not is_dataclass(request) or isinstance(request, type):
        raise TypeError(f"expected a registry request, got {request!r}")
    return {f.name: _plain(getattr(request, f.name)) for f in fields(request)}


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def model_from_json(data: object) -> RegisteredModel:
    raw = _fields(data, RegisteredModel.__dataclass_fields__, "model")
    raw["protected"] = tuple(raw["protected"])
    raw["stages"] = {k: tuple(v) for k, v in dict(raw["stages"]).items()}
    return RegisteredModel(**raw)


def version_from_json(data: object) -> ModelVersion:
    raw = _fields(data, ModelVersion.__dataclass_fields__, "model version")
    raw["aliases"] = tuple(raw["aliases"])
    return ModelVersion(**raw)


def history_from_json(data: object) -> HistoryEntry:
    return HistoryEntry(**_fields(data, HistoryEntry.__dataclass_fields__, "history entry"))


def webhook_from_json(data: object) -> Webhook:
    raw = _fields(data, Webhook.__dataclass_fields__, "webhook")
    raw["events"] = tuple(raw["events"])
    return Webhook(**raw)


def delivery_from_json(data: object) -> Delivery:
    return Delivery(**_fields(data, Delivery.__dataclass_fields__, "delivery"))


def _fields(data: object, names: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"a {what} must be a JSON object, got {type(data).__name__}")
    missing = [n for n in names if n not in data]
    if missing:
        raise InvalidInput(f"a {what} needs {', '.join(missing)}")
    return {n: data[n] for n in names}
