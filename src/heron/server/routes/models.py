"""The model registry: models, versions, transitions, aliases, rollback, history, webhooks.

Plain ``def`` routes (the registry is synchronous SQL: FastAPI runs them in its
threadpool). A new version points at an artifact version by id, or at blobs the
client uploaded first (``PUT /blobs/{digest}``) by digest: the server never opens a
path a client names. Who acts: until authentication lands every caller is the
``anonymous`` admin, like every other route; the auth layer will replace
:func:`request_actor` with the token's actor.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from heron import wire
from heron.errors import NotFound
from heron.registry import open_registry
from heron.registry.base import Actor, ArtifactSource
from heron.registry.sql import SqlRegistry
from heron.registry.wire import (
    delivery_to_json,
    history_to_json,
    model_to_json,
    version_to_json,
    webhook_to_json,
)
from heron.server.state import ServerState, server_state
from heron.store.base import FileEntry
from heron.store.sql import SqlStore

router = APIRouter(tags=["models"])
State = Annotated[ServerState, Depends(server_state)]
_lock = threading.Lock()
_MAX_FILES = 100_000


def registry_of(request: Request) -> SqlRegistry:
    """The app's registry (with its webhook dispatcher), made on first use."""
    app_state = request.app.state
    with _lock:
        found: SqlRegistry | None = getattr(app_state, "heron_registry", None)
        if found is None:
            state: ServerState = app_state.heron
            if not isinstance(state.store, SqlStore):
                raise NotFound("this server's store has no model registry")
            found, dispatcher = open_registry(state.store, state.settings, blobs=state.artifacts)
            app_state.heron_registry = found
            app_state.heron_webhooks = dispatcher
        return found


def request_actor() -> Actor:
    return Actor("anonymous", is_admin=True)


Registry = Annotated[SqlRegistry, Depends(registry_of)]
Who = Annotated[Actor, Depends(request_actor)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewModel(_Body):
    name: str
    description: str = ""
    tags: dict[str, str] = {}
    protected: list[str] = []


class ModelPatch(_Body):
    description: str | None = None
    tags: dict[str, str] | None = None
    protected: list[str] | None = None


class File(_Body):
    path: str
    digest: str
    size: Annotated[int, Field(ge=0)]


class NewVersion(_Body):
    """Exactly one of ``artifact_id`` and ``files``."""

    run_id: str | None = None
    artifact_id: int | None = None
    files: Annotated[list[File], Field(max_length=_MAX_FILES)] = []
    artifact_name: str | None = None
    single_file: bool = False  # download returns the file itself, not its folder
    description: str = ""
    tags: dict[str, str] = {}


class Transition(_Body):
    version: Annotated[int, Field(ge=1)]
    stage: str
    reason: str | None = None
    archive_existing: bool = True


class AliasMove(_Body):
    version: Annotated[int, Field(ge=1)]
    alias: str
    reason: str | None = None


class Rollback(_Body):
    stage: str | None = None
    alias: str | None = None
    reason: str | None = None


class NewWebhook(_Body):
    url: str
    events: list[str]
    secret: str
    model: str | None = None


# --- models ---------------------------------------------------------------------------


@router.get("/models", summary="Every registered model")
def list_models(registry: Registry) -> list[dict[str, Any]]:
    return [model_to_json(m) for m in registry.list_models()]


@router.post("/models", status_code=201, summary="Create a registered model")
def create_model(registry: Registry, actor: Who, body: NewModel) -> dict[str, Any]:
    made = registry.create_model(
        body.name, actor, description=body.description, tags=body.tags, protected=body.protected
    )
    return model_to_json(made)


@router.get("/models/{name}", summary="One registered model")
def get_model(registry: Registry, name: str) -> dict[str, Any]:
    return model_to_json(registry.get_model(name))


@router.patch("/models/{name}", summary="Change description, tags, protected stages/aliases")
def update_model(registry: Registry, actor: Who, name: str, body: ModelPatch) -> dict[str, Any]:
    changed = registry.update_model(
        name, actor, description=body.description, tags=body.tags, protected=body.protected
    )
    return model_to_json(changed)


# --- versions -------------------------------------------------------------------------


@router.get("/models/{name}/versions", summary="Every version, newest first")
def list_versions(registry: Registry, name: str) -> list[dict[str, Any]]:
    return [version_to_json(v) for v in registry.versions(name)]


@router.post("/models/{name}/versions", status_code=201, summary="Register a new version")
def create_version(registry: Registry, actor: Who, name: str, body: NewVersion) -> dict[str, Any]:
    source = ArtifactSource(
        version_id=body.artifact_id,
        files=tuple(FileEntry(f.path, f.digest, f.size) for f in body.files),
        name=body.artifact_name,
        metadata={"single_file": body.single_file} if body.files else {},
    )
    made = registry.create_version(
        name, source, actor, run_id=body.run_id, description=body.description, tags=body.tags
    )
    return version_to_json(made)


@router.get(
    "/models/{name}/versions/{version}",
    summary="One version, with its artifact and a summary of its source run",
)
def get_version(state: State, registry: Registry, name: str, version: int) -> dict[str, Any]:
    return _detailed(state, registry.get_version(name, version))


@router.get("/models/{name}/resolve", summary="The version a version number, stage or alias names")
def resolve(
    state: State, registry: Registry, name: str, ref: Annotated[str, Query(min_length=1)]
) -> dict[str, Any]:
    return _detailed(state, registry.resolve(name, ref))


def _detailed(state: ServerState, version: Any) -> dict[str, Any]:
    out = version_to_json(version)
    out["artifact"] = wire.artifact_to_json(state.store.artifact_by_id(version.artifact_id))
    out["run"] = None
    if version.run_id is not None:
        with contextlib.suppress(NotFound):  # a deleted run: the version and artifact stay
            out["run"] = wire.run_to_json(state.store.get_run(version.run_id), False)
    return out


# --- changes --------------------------------------------------------------------------


@router.post("/models/{name}/transitions", summary="Move a version to a stage")
def transition(registry: Registry, actor: Who, name: str, body: Transition) -> dict[str, Any]:
    moved = registry.transition(
        name,
        body.version,
        body.stage,
        actor,
        reason=body.reason,
        archive_existing=body.archive_existing,
    )
    return version_to_json(moved)


@router.post("/models/{name}/aliases", summary="Point an alias at a version")
def set_alias(registry: Registry, actor: Who, name: str, body: AliasMove) -> dict[str, Any]:
    moved = registry.set_alias(name, body.version, body.alias, actor, reason=body.reason)
    return version_to_json(moved)


@router.delete("/models/{name}/aliases/{alias}", status_code=204, summary="Remove an alias")
def remove_alias(
    registry: Registry, actor: Who, name: str, alias: str, reason: str | None = None
) -> Response:
    registry.remove_alias(name, alias, actor, reason=reason)
    return Response(status_code=204)


@router.post("/models/{name}/rollback", summary="Give a stage or alias its previous holder")
def rollback(registry: Registry, actor: Who, name: str, body: Rollback) -> dict[str, Any]:
    restored = registry.rollback(
        name, actor, stage=body.stage, alias=body.alias, reason=body.reason
    )
    return {"version": None if restored is None else version_to_json(restored)}


@router.get("/models/{name}/history", summary="Every stage change and alias move, oldest first")
def history(registry: Registry, name: str) -> list[dict[str, Any]]:
    return [history_to_json(h) for h in registry.history(name)]


# --- webhooks -------------------------------------------------------------------------


@router.get("/webhooks", summary="Webhooks (model=: those that fire for it); no secrets")
def list_webhooks(registry: Registry, model: str | None = None) -> list[dict[str, Any]]:
    return [webhook_to_json(w) for w in registry.webhooks(model)]


@router.post("/webhooks", status_code=201, summary="Add a webhook")
def add_webhook(registry: Registry, actor: Who, body: NewWebhook) -> dict[str, Any]:
    hook = registry.add_webhook(body.url, body.events, body.secret, actor, model=body.model)
    return webhook_to_json(hook)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook")
def remove_webhook(registry: Registry, actor: Who, webhook_id: int) -> Response:
    registry.remove_webhook(webhook_id, actor)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", summary="Delivery attempts, newest first")
def deliveries(
    registry: Registry, webhook_id: int, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[dict[str, Any]]:
    return [delivery_to_json(d) for d in registry.deliveries(webhook_id, limit)]
