"""The model registry: models, versions, transitions, aliases, rollback, history, webhooks.

Plain ``def`` routes (the registry is synchronous SQL: FastAPI runs them in its
threadpool) over ``ServerState.registry``, built with the app. Request bodies are the
registry's own request dataclasses (:mod:`heron.registry.requests`), handed to it as
they are. A new version points at an artifact version by id, or at blobs the client
uploaded first (``PUT /blobs/{digest}``) by digest: the server never opens a path a
client names. Who acts: the request's caller (``heron.server.auth``), as an
:class:`Actor` that is an admin when the caller is a site admin. Answers are
:mod:`heron.registry.wire`'s declarations, encoded once by its codecs and sent as
they are (:func:`~heron.server.responses.json_response`).
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from heron.errors import Forbidden, NotFound
from heron.registry import requests, wire
from heron.registry.base import Actor, ModelVersion, Registry
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State
from heron.service.access import Action, authorize_somewhere
from heron.store.base import RunInfo

router = APIRouter(tags=["models"], responses=PROBLEMS)


def _registry(state: ServerState, action: Action) -> Registry:
    """The app's registry (built with the app), once the caller may ``action`` on it:
    models belong to no project, so reading needs a role that reads somewhere and
    changing one a role that writes somewhere; protected stages and aliases also need
    a site admin (the registry's own rule, on the actor below)."""
    if state.registry is None:
        raise NotFound("this server's store has no model registry")
    authorize_somewhere(state.caller, action, "the model registry")
    return state.registry


def registry_reads(state: State) -> Registry:
    return _registry(state, "read")


def registry_writes(state: State) -> Registry:
    return _registry(state, "write")


def webhook_admin(state: State) -> Registry:
    """Webhooks carry URLs (with tokens in their paths) and fire on every model:
    only a site admin lists or changes them."""
    registry = _registry(state, "read")
    if not state.caller.site_admin:
        raise Forbidden(f"{state.caller.name} may not manage webhooks: it needs a site admin")
    return registry


def request_actor(state: State) -> Actor:
    """Who acts, as the registry records and checks it."""
    return Actor(state.caller.name, is_admin=state.caller.site_admin)


Reg = Annotated[Registry, Depends(registry_reads)]
Writes = Annotated[Registry, Depends(registry_writes)]
Hooks = Annotated[Registry, Depends(webhook_admin)]
Who = Annotated[Actor, Depends(request_actor)]


def created(body: object) -> Response:
    """``body`` as JSON with 201 (a returned Response keeps its own status, not the
    route's ``status_code``, which only documents it)."""
    response = json_response(body)
    response.status_code = 201
    return response


# --- models ---------------------------------------------------------------------------


@router.get("/models", response_model=list[wire.Model], summary="Every registered model")
def list_models(registry: Reg) -> Response:
    return json_response([wire.model_to_json(m) for m in registry.list_models()])


@router.post(
    "/models", status_code=201, response_model=wire.Model, summary="Create a registered model"
)
def create_model(registry: Writes, actor: Who, body: requests.NewModel) -> Response:
    return created(wire.model_to_json(registry.create_model(body, actor)))


@router.get("/models/{name}", response_model=wire.Model, summary="One registered model")
def get_model(registry: Reg, name: str) -> Response:
    return json_response(wire.model_to_json(registry.get_model(name)))


@router.patch(
    "/models/{name}",
    response_model=wire.Model,
    summary="Change description, tags, protected stages/aliases",
)
def update_model(registry: Writes, actor: Who, name: str, body: requests.ModelUpdate) -> Response:
    return json_response(wire.model_to_json(registry.update_model(name, body, actor)))


# --- versions -------------------------------------------------------------------------


@router.get(
    "/models/{name}/versions",
    response_model=list[wire.ModelVersion],
    summary="Every version, newest first",
)
def list_versions(registry: Reg, name: str) -> Response:
    return json_response([wire.version_to_json(v) for v in registry.versions(name)])


@router.post(
    "/models/{name}/versions",
    status_code=201,
    response_model=wire.ModelVersion,
    summary="Register a new version",
)
def create_version(registry: Writes, actor: Who, name: str, body: requests.NewVersion) -> Response:
    return created(wire.version_to_json(registry.create_version(name, body, actor)))


@router.get(
    "/models/{name}/versions/{version}",
    response_model=wire.VersionDetail,
    summary="One version, with its artifact and a summary of its source run",
)
def get_version(state: State, registry: Reg, name: str, version: int) -> Response:
    return json_response(_detailed(state, registry.get_version(name, version)))


@router.get(
    "/models/{name}/resolve",
    response_model=wire.VersionDetail,
    summary="The version a version number, stage or alias names",
)
def resolve(
    state: State, registry: Reg, name: str, ref: Annotated[str, Query(min_length=1)]
) -> Response:
    return json_response(_detailed(state, registry.resolve(name, ref)))


def _detailed(state: ServerState, version: ModelVersion) -> wire.VersionDetail:
    artifact = state.store.artifact_by_id(version.artifact_id)
    run: RunInfo | None = None
    if version.run_id is not None:
        # a deleted run (the version and artifact stay), or one the caller may not read
        with contextlib.suppress(NotFound, Forbidden):
            run = state.tracking.get_run(version.run_id)
    return wire.version_detail_to_json(version, artifact, run)


# --- changes --------------------------------------------------------------------------


@router.post(
    "/models/{name}/transitions",
    response_model=wire.ModelVersion,
    summary="Move a version to a stage",
)
def transition(registry: Writes, actor: Who, name: str, body: requests.Transition) -> Response:
    return json_response(wire.version_to_json(registry.transition(name, body, actor)))


@router.post(
    "/models/{name}/aliases",
    response_model=wire.ModelVersion,
    summary="Point an alias at a version",
)
def set_alias(registry: Writes, actor: Who, name: str, body: requests.AliasMove) -> Response:
    return json_response(wire.version_to_json(registry.set_alias(name, body, actor)))


@router.delete("/models/{name}/aliases/{alias}", status_code=204, summary="Remove an alias")
def remove_alias(
    registry: Writes, actor: Who, name: str, alias: str, reason: str | None = None
) -> Response:
    registry.remove_alias(name, alias, actor, reason=reason)
    return Response(status_code=204)


@router.post(
    "/models/{name}/rollback",
    response_model=wire.RollbackResult,
    summary="Give a stage or alias its previous holder",
)
def rollback(registry: Writes, actor: Who, name: str, body: requests.Rollback) -> Response:
    return json_response(wire.rollback_to_json(registry.rollback(name, body, actor)))


@router.get(
    "/models/{name}/history",
    response_model=list[wire.HistoryEntry],
    summary="Every stage change and alias move, oldest first",
)
def history(registry: Reg, name: str) -> Response:
    return json_response([wire.history_to_json(h) for h in registry.history(name)])


# --- webhooks -------------------------------------------------------------------------


@router.get(
    "/webhooks",
    response_model=list[wire.Webhook],
    summary="Webhooks (model=: those that fire for it); no secrets",
)
def list_webhooks(registry: Hooks, model: str | None = None) -> Response:
    return json_response([wire.webhook_to_json(w) for w in registry.webhooks(model)])


@router.post("/webhooks", status_code=201, response_model=wire.Webhook, summary="Add a webhook")
def add_webhook(state: State, registry: Hooks, actor: Who, body: requests.NewWebhook) -> Response:
    hook = registry.add_webhook(body, actor)
    state.tracking.audit("webhook.add", str(hook.id), {"model": hook.model, "events": hook.events})
    return created(wire.webhook_to_json(hook))


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook")
def remove_webhook(state: State, registry: Hooks, actor: Who, webhook_id: int) -> Response:
    registry.remove_webhook(webhook_id, actor)
    state.tracking.audit("webhook.remove", str(webhook_id))
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=list[wire.Delivery],
    summary="Delivery attempts, newest first",
)
def deliveries(
    registry: Hooks, webhook_id: int, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> Response:
    return json_response([wire.delivery_to_json(d) for d in registry.deliveries(webhook_id, limit)])
