"""Registry objects as JSON, both ways: the REST routes, the remote client and the
CLI's ``--json`` all use these, so a field is named in one place. Anything decoded
is untrusted: malformed input raises InvalidInput, never a KeyError.

Every answer of the registry's routes is declared once below as a ``TypedDict`` (like
:mod:`heron.wire`'s): each encoder is typed against its declaration, so mypy holds it
to the fields, and the server's OpenAPI document (and the web UI's types) is written
from them. Names are the schema names; the registry's own objects are
:mod:`heron.registry.base`'s dataclasses.

Requests (:mod:`heron.registry.requests`) go out with :func:`request_to_json`; the
server decodes them with the routes' body types, which are the same dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, Literal, cast

from typing_extensions import TypedDict

from heron import wire
from heron.errors import InvalidInput
from heron.registry import base
from heron.registry.base import EventName, Stage
from heron.store.base import ArtifactVersion, RunInfo

# --- shapes: every answer of /models and /webhooks -------------------------------------


class Model(TypedDict):
    """A registered model. ``protected``: the stages and aliases only an admin may move
    a version into or out of; ``latest_version``: null before its first version;
    ``stages``: each stage's versions (``none`` left out); ``aliases``: alias ->
    version."""

    name: str
    description: str
    tags: dict[str, str]
    protected: list[str]
    created_by: str
    created_at: float
    updated_at: float
    latest_version: int | None
    stages: dict[str, list[int]]
    aliases: dict[str, int]


class ModelVersion(TypedDict):
    """A version of a registered model, in one ``stage``, pointing at one artifact
    version (``artifact_id``) whose manifest digest was ``artifact_digest`` when it was
    registered. ``run_id``: the run that produced it; ``uri``: ``models:/NAME/N``."""

    model: str
    version: int
    stage: Stage
    aliases: list[str]
    description: str
    tags: dict[str, str]
    run_id: str | None
    artifact_id: int
    artifact_digest: str
    created_by: str
    created_at: float
    updated_at: float
    uri: str


class VersionDetail(ModelVersion):
    """A model version with its ``artifact`` and a summary of its source ``run``
    (without ``system``; null when there is none or it was deleted)."""

    artifact: wire.Artifact
    run: wire.Run | None


class RollbackResult(TypedDict):
    """The version that holds the stage or alias again (null: none does)."""

    version: ModelVersion | None


class HistoryEntry(TypedDict):
    """One stage change or alias move, ``id`` ordering them. Stage entries:
    ``from_value``/``to_value`` are stages and ``name`` is null. Alias entries:
    ``name`` is the alias and the values are version numbers as text (null: the alias
    did not exist / was removed). ``rollback_of``: the entry a rollback undid."""

    id: int
    model: str
    version: int | None
    kind: Literal["stage", "alias"]
    name: str | None
    from_value: str | None
    to_value: str | None
    actor: str
    actor_admin: bool
    reason: str | None
    time: float
    rollback_of: int | None


class Webhook(TypedDict):
    """A webhook: called on ``events`` of ``model`` (null: of every model). Its secret
    is never answered."""

    id: int
    model: str | None
    url: str
    events: list[EventName]
    created_by: str
    created_at: float


class Delivery(TypedDict):
    """One delivery attempt of a webhook (every attempt is kept): ``delivery`` is the
    event delivery's id, shared by its attempts; ``response_code`` and ``error``: what
    the attempt got."""

    id: int
    webhook_id: int
    delivery: str
    event: str
    attempt: int
    status: Literal["delivered", "retrying", "failed", "refused"]
    response_code: int | None
    error: str | None
    time: float


# --- encoders -----------------------------------------------------------------------------


def model_to_json(m: base.RegisteredModel) -> Model:
    return {
        "name": m.name,
        "description": m.description,
        "tags": dict(m.tags),
        "protected": list(m.protected),
        "created_by": m.created_by,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "latest_version": m.latest_version,
        "stages": {k: list(v) for k, v in m.stages.items()},
        "aliases": dict(m.aliases),
    }


def version_to_json(v: base.ModelVersion) -> ModelVersion:
    return {
        "model": v.model,
        "version": v.version,
        "stage": v.stage,
        "aliases": list(v.aliases),
        "description": v.description,
        "tags": dict(v.tags),
        "run_id": v.run_id,
        "artifact_id": v.artifact_id,
        "artifact_digest": v.artifact_digest,
        "created_by": v.created_by,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
        "uri": v.uri,
    }


def version_detail_to_json(
    v: base.ModelVersion, artifact: ArtifactVersion, run: RunInfo | None
) -> VersionDetail:
    """``GET /models/{name}/versions/{version}`` and ``/resolve``: ``run`` is None when
    the version has no source run or it was deleted."""
    return {
        **version_to_json(v),
        "artifact": cast(wire.Artifact, wire.artifact_to_json(artifact)),
        "run": None if run is None else wire.run_to_json(run, include_system=False),
    }


def rollback_to_json(restored: base.ModelVersion | None) -> RollbackResult:
    return {"version": None if restored is None else version_to_json(restored)}


def history_to_json(h: base.HistoryEntry) -> HistoryEntry:
    return {
        "id": h.id,
        "model": h.model,
        "version": h.version,
        "kind": h.kind,
        "name": h.name,
        "from_value": h.from_value,
        "to_value": h.to_value,
        "actor": h.actor,
        "actor_admin": h.actor_admin,
        "reason": h.reason,
        "time": h.time,
        "rollback_of": h.rollback_of,
    }


def webhook_to_json(w: base.Webhook) -> Webhook:
    return {
        "id": w.id,
        "model": w.model,
        "url": w.url,
        "events": list(w.events),
        "created_by": w.created_by,
        "created_at": w.created_at,
    }


def delivery_to_json(d: base.Delivery) -> Delivery:
    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "delivery": d.delivery,
        "event": d.event,
        "attempt": d.attempt,
        "status": d.status,
        "response_code": d.response_code,
        "error": d.error,
        "time": d.time,
    }


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


# --- decoders (the remote client) ---------------------------------------------------------


def model_from_json(data: object) -> base.RegisteredModel:
    raw = _fields(data, base.RegisteredModel.__dataclass_fields__, "model")
    raw["protected"] = tuple(raw["protected"])
    raw["stages"] = {k: tuple(v) for k, v in dict(raw["stages"]).items()}
    return base.RegisteredModel(**raw)


def version_from_json(data: object) -> base.ModelVersion:
    """A :class:`ModelVersion`, or the version part of a :class:`VersionDetail`."""
    raw = _fields(data, base.ModelVersion.__dataclass_fields__, "model version")
    raw["aliases"] = tuple(raw["aliases"])
    return base.ModelVersion(**raw)


def rollback_from_json(data: object) -> base.ModelVersion | None:
    raw = _fields(data, RollbackResult.__annotations__, "rollback result")
    return None if raw["version"] is None else version_from_json(raw["version"])


def history_from_json(data: object) -> base.HistoryEntry:
    raw = _fields(data, base.HistoryEntry.__dataclass_fields__, "history entry")
    return base.HistoryEntry(**raw)


def webhook_from_json(data: object) -> base.Webhook:
    raw = _fields(data, base.Webhook.__dataclass_fields__, "webhook")
    raw["events"] = tuple(raw["events"])
    return base.Webhook(**raw)


def delivery_from_json(data: object) -> base.Delivery:
    return base.Delivery(**_fields(data, base.Delivery.__dataclass_fields__, "delivery"))


def _fields(data: object, names: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"a {what} must be a JSON object, got {type(data).__name__}")
    missing = [n for n in names if n not in data]
    if missing:
        raise InvalidInput(f"a {what} needs {', '.join(missing)}")
    return {n: data[n] for n in names}
