"""MLflow's model registry API (``registered-models/*``, ``model-versions/*``) over
``heron.registry`` through its request objects (``heron.registry.requests``).

A registered model is a Heron registered model; a version's ``source``
(``runs:/<run id>/<path>`` or ``mlflow-artifacts:/<experiment>/<run id>/artifacts/<path>``)
names files the run logged: the version is registered over those blobs (a new
artifact version of the run, type ``model``), and answers that ``source`` again. Stages
are Heron's (``None`` is ``none``...); aliases are Heron's. The registry is not per
project: a read needs read access, a change write access (``state.tracking.authorize``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from heron.errors import Conflict, NotFound
from heron.registry import requests
from heron.registry.base import Actor, ModelVersion, RegisteredModel, Registry, RegistryEdits
from heron.server.mlflow import model
from heron.server.mlflow.errors import (
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    MlflowError,
    invalid,
    not_implemented,
)
from heron.server.mlflow.params import Params, endpoint
from heron.server.mlflow.search import Comparison, parse
from heron.server.state import ServerState
from heron.service import access
from heron.store.base import FileEntry
from heron.store.checks import RUN_ID

router = APIRouter()

STAGE_NAMES = {
    "none": "None",
    "staging": "Staging",
    "production": "Production",
    "archived": "Archived",
}
SOURCE_KEY = "mlflow_source"  # the version's source, kept in its artifact's metadata


def _registry(state: ServerState, action: str) -> Registry:
    """The registry, once the caller may ``action`` on it: as for Heron's own registry
    routes, models belong to no project (a role that reads somewhere reads them)."""
    wanted: access.Action = "write" if action == "write" else "read"
    access.authorize_somewhere(state.tracking.caller, wanted, "the model registry")
    if state.registry is None:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, "this server's store has no model registry")
    return state.registry


def _actor(state: ServerState) -> Actor:
    caller = state.tracking.caller
    return Actor(caller.name, is_admin=caller.site_admin)


def _millis(seconds: float) -> int:
    return model.millis(seconds)


def _source(state: ServerState, version: ModelVersion) -> str:
    """The source the version was registered from (kept in its artifact's metadata),
    when the caller may read its run's project; else its ``models:/`` URI."""
    try:
        if version.run_id is None:
            return version.uri
        project = state.tracking.project_of(version.run_id)
        if not state.tracking.caller.may("read", project):
            return version.uri
        artifact = state.tracking.reads(project).artifact_by_id(version.artifact_id)
    except NotFound:
        return version.uri
    found = artifact.metadata.get(SOURCE_KEY)
    return found if isinstance(found, str) else version.uri


def version_json(state: ServerState, v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.model,
        "version": str(v.version),
        "creation_timestamp": _millis(v.created_at),
        "last_updated_timestamp": _millis(v.updated_at),
        "user_id": v.created_by,
        "current_stage": STAGE_NAMES[v.stage],
        "description": v.description,
        "source": _source(state, v),
        "run_id": v.run_id or "",
        "status": "READY",
        "tags": [{"key": k, "value": val} for k, val in sorted(v.tags.items())],
        "aliases": list(v.aliases),
    }


def model_json(state: ServerState, registry: Registry, m: RegisteredModel) -> dict[str, Any]:
    latest = _latest(registry, m.name) if m.latest_version is not None else []
    return {
        "name": m.name,
        "creation_timestamp": _millis(m.created_at),
        "last_updated_timestamp": _millis(m.updated_at),
        "user_id": m.created_by,
        "description": m.description,
        "latest_versions": [version_json(state, v) for v in latest],
        "tags": [{"key": k, "value": v} for k, v in sorted(m.tags.items())],
        "aliases": [{"alias": a, "version": str(n)} for a, n in sorted(m.aliases.items())],
    }


def _latest(registry: Registry, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
    """The newest version in each stage (MLflow's latest_versions)."""
    newest: dict[str, ModelVersion] = {}
    for v in registry.versions(name):
        if v.stage not in newest or v.version > newest[v.stage].version:
            newest[v.stage] = v
    wanted = None if not stages else {s.strip().lower() for s in stages}
    return sorted(
        (v for s, v in newest.items() if wanted is None or s in wanted), key=lambda v: v.version
    )


def _get_model(registry: Registry, name: str) -> RegisteredModel:
    try:
        return registry.get_model(name)
    except NotFound:
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST, f"Registered Model with name={name} not found"
        ) from None


def _tag_map(params: Params) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value") or "") for t in params.objects("tags")}


# --- registered models ---------------------------------------------------------------


@endpoint(router, "POST", "/registered-models/create")
def create_model(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    request = requests.NewModel(
        name=name, description=params.opt_text("description") or "", tags=_tag_map(params)
    )
    try:
        created = registry.create_model(request, _actor(state))
    except Conflict:
        raise MlflowError(
            RESOURCE_ALREADY_EXISTS, f"Registered Model (name={name}) already exists."
        ) from None
    return {"registered_model": model_json(state, registry, created)}


@endpoint(router, "GET", "/registered-models/get")
def get_model(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    return {
        "registered_model": model_json(state, registry, _get_model(registry, params.text("name")))
    }


@endpoint(router, "PATCH", "/registered-models/update")
def update_model(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    _get_model(registry, name)
    update = requests.ModelUpdate(description=params.opt_text("description") or "")
    updated = registry.update_model(name, update, _actor(state))
    return {"registered_model": model_json(state, registry, updated)}


@endpoint(router, "POST", "/registered-models/rename")
def rename_model(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    new_name = params.text("new_name")
    _get_model(registry, name)
    try:
        renamed = _edits(registry).rename_model(name, new_name, _actor(state))
    except Conflict as e:
        raise MlflowError(RESOURCE_ALREADY_EXISTS, e.message) from None
    return {"registered_model": model_json(state, registry, renamed)}


@endpoint(router, "DELETE", "/registered-models/delete")
def delete_model(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    _get_model(registry, name)
    _edits(registry).delete_model(name, _actor(state))
    return {}


@endpoint(router, "GET", "/registered-models/search")
def search_models(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    match = _name_match(params.opt_text("filter"))
    if params.items("order_by"):
        raise not_implemented("order_by in registered-models/search")
    found = [m for m in registry.list_models() if match(m)]
    limit = params.integer("max_results", 100)
    start = (
        int(params.opt_text("page_token") or 0)
        if (params.opt_text("page_token") or "0").isdigit()
        else 0
    )
    page = found[start : start + limit]
    out: dict[str, Any] = {"registered_models": [model_json(state, registry, m) for m in page]}
    if start + limit < len(found):
        out["next_page_token"] = str(start + limit)
    return out


def _name_match(text: str | None) -> Callable[[RegisteredModel], bool]:
    """MLflow's registered-model filter (``name`` and ``tags.<key>`` comparisons joined
    by AND) as a predicate. A tag compared with ``!=`` may be missing (the client
    adds ``tags.`mlflow.prompt.is_prompt` != 'true'``: Heron has no prompts)."""
    checks: list[Callable[[RegisteredModel], bool]] = []
    for c in parse(text or ""):
        if c.kind == "attributes" and c.key.lower() == "name":
            checks.append(_text_check(lambda m: m.name, c))
        elif c.kind == "tags":
            key = c.key
            checks.append(_text_check(lambda m, key=key: m.tags.get(key), c))  # type: ignore[misc]
        else:
            raise invalid(f"Heron cannot search registered models on {c.kind}.{c.key} (name, tags)")
    return lambda m: all(check(m) for check in checks)


def _text_check(
    read: Callable[[RegisteredModel], str | None], c: Comparison
) -> Callable[[RegisteredModel], bool]:
    values = [v for v in c.values if isinstance(v, str)]
    if len(values) != len(c.values):
        raise invalid(f"compare {c.key} with quoted strings")
    if c.op == "=":
        return lambda m: read(m) == values[0]
    if c.op == "!=":
        return lambda m: read(m) != values[0]
    if c.op in ("IN", "NOT IN"):
        inside = c.op == "IN"
        return lambda m: (read(m) in values) == inside
    if c.op in ("LIKE", "ILIKE"):
        pattern = "".join(
            ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in values[0]
        )
        compiled = re.compile(pattern, (re.IGNORECASE if c.op == "ILIKE" else 0) | re.DOTALL)
        return lambda m: (found := read(m)) is not None and compiled.fullmatch(found) is not None
    raise invalid(f"Invalid comparator '{c.op}' for {c.key}")


@endpoint(router, "GET", "/registered-models/get-latest-versions")
@endpoint(router, "POST", "/registered-models/get-latest-versions")
def get_latest_versions(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    name = params.text("name")
    _get_model(registry, name)
    stages = [str(s) for s in params.items("stages")]
    return {"model_versions": [version_json(state, v) for v in _latest(registry, name, stages)]}


@endpoint(router, "POST", "/registered-models/set-tag")
def set_model_tag(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    tags = dict(_get_model(registry, name).tags)
    tags[params.text("key")] = str(params.get("value") or "")
    registry.update_model(name, requests.ModelUpdate(tags=tags), _actor(state))
    return {}


@endpoint(router, "DELETE", "/registered-models/delete-tag")
def delete_model_tag(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    tags = dict(_get_model(registry, name).tags)
    key = params.text("key")
    if key not in tags:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"No tag with key {key!r} on model {name!r}")
    del tags[key]
    registry.update_model(name, requests.ModelUpdate(tags=tags), _actor(state))
    return {}


@endpoint(router, "POST", "/registered-models/alias")
def set_alias(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    move = requests.AliasMove(version=params.integer("version"), alias=params.text("alias"))
    registry.set_alias(name, move, _actor(state))
    return {}


@endpoint(router, "DELETE", "/registered-models/alias")
def delete_alias(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    registry.remove_alias(params.text("name"), params.text("alias"), _actor(state))
    return {}


@endpoint(router, "GET", "/registered-models/alias")
def get_by_alias(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    name = params.text("name")
    alias = params.text("alias")
    found = _get_model(registry, name).aliases.get(alias)
    if found is None:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Registered model alias {alias} not found.")
    return {"model_version": version_json(state, registry.get_version(name, found))}


# --- versions ------------------------------------------------------------------------


def source_files(state: ServerState, source: str) -> tuple[str, list[FileEntry], bool]:
    """(run id, files relative to the source's folder, single file) that ``source``
    names: ``runs:/<run id>/<path>`` or ``mlflow-artifacts:/<exp>/<run id>/artifacts/<path>``."""
    m = re.fullmatch(r"runs:/([^/]+)/?(.*)", source) or re.fullmatch(
        r"mlflow-artifacts:/+[^/]+/([^/]+)/artifacts/?(.*)", source
    )
    if m is None or not RUN_ID.match(m.group(1)):
        raise invalid(
            f"Heron registers versions from run artifacts only: source {source!r} is not "
            "runs:/<run id>/<path> or mlflow-artifacts:/<experiment>/<run id>/artifacts/<path>"
        )
    run_id, path = m.group(1), m.group(2).strip("/")
    files = state.tracking.run_reads(run_id).run_files(run_id)
    exact = [
        FileEntry(f.path.rsplit("/", 1)[-1], f.digest, f.size) for f in files if f.path == path
    ]
    if exact:
        return run_id, exact, True
    prefix = f"{path}/" if path else ""
    inside = [
        FileEntry(f.path[len(prefix) :], f.digest, f.size)
        for f in files
        if f.path.startswith(prefix)
    ]
    if not inside:
        raise invalid(f"run {run_id} has no artifacts under {path!r} (source {source!r})")
    return run_id, inside, False


@endpoint(router, "POST", "/model-versions/create")
def create_version(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    name = params.text("name")
    source = params.text("source")
    _get_model(registry, name)
    run_id, files, single = source_files(state, source)
    given = params.opt_text("run_id")
    if given is not None and given != run_id:
        raise invalid(f"run_id {given!r} is not the run of source {source!r}")
    request = requests.NewVersion(
        run_id=run_id,
        files=files,
        single_file=single,
        metadata={SOURCE_KEY: source},
        description=params.opt_text("description") or "",
        tags=_tag_map(params),
    )
    created = registry.create_version(name, request, _actor(state))
    return {"model_version": version_json(state, created)}


def _version(registry: Registry, params: Params) -> ModelVersion:
    name = params.text("name")
    number = params.integer("version")
    try:
        return registry.get_version(name, number)
    except NotFound:
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST, f"Model Version (name={name}, version={number}) not found"
        ) from None


@endpoint(router, "GET", "/model-versions/get")
def get_version(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    return {"model_version": version_json(state, _version(registry, params))}


@endpoint(router, "GET", "/model-versions/get-download-uri")
def get_download_uri(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    return {"artifact_uri": _source(state, _version(registry, params))}


@endpoint(router, "POST", "/model-versions/transition-stage")
def transition(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    v = _version(registry, params)
    request = requests.Transition(
        version=v.version,
        stage=params.text("stage"),
        archive_existing=params.flag("archive_existing_versions", False),
    )
    moved = registry.transition(v.model, request, _actor(state))
    return {"model_version": version_json(state, moved)}


@endpoint(router, "GET", "/model-versions/search")
def search_versions(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "read")
    text = (params.opt_text("filter") or "").strip()
    m = re.fullmatch(r"(name|run_id)\s*=\s*'((?:[^'\\]|\\.)*)'", text, re.IGNORECASE)
    if m is None:
        raise invalid(
            f"Heron cannot search model versions with {text!r} (name = '...' or run_id = '...')"
        )
    if m.group(1).lower() == "name":
        found = registry.versions(m.group(2)) if _exists(registry, m.group(2)) else []
    else:
        found = [
            v
            for mdl in registry.list_models()
            for v in registry.versions(mdl.name)
            if v.run_id == m.group(2)
        ]
    return {"model_versions": [version_json(state, v) for v in found]}


def _exists(registry: Registry, name: str) -> bool:
    try:
        registry.get_model(name)
    except NotFound:
        return False
    return True


def _edits(registry: Registry) -> RegistryEdits:
    if not isinstance(registry, RegistryEdits):
        raise not_implemented("this change on a registry that is not beside the database")
    return registry


@endpoint(router, "PATCH", "/model-versions/update")
def update_version(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    v = _version(registry, params)
    update = requests.VersionUpdate(description=params.opt_text("description") or "")
    updated = _edits(registry).update_version(v.model, v.version, update, _actor(state))
    return {"model_version": version_json(state, updated)}


@endpoint(router, "DELETE", "/model-versions/delete")
def delete_version(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    v = _version(registry, params)
    _edits(registry).delete_version(v.model, v.version, _actor(state))
    return {}


@endpoint(router, "POST", "/model-versions/set-tag")
def set_version_tag(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    v = _version(registry, params)
    tags = {**v.tags, params.text("key"): str(params.get("value") or "")}
    update = requests.VersionUpdate(tags=tags)
    _edits(registry).update_version(v.model, v.version, update, _actor(state))
    return {}


@endpoint(router, "DELETE", "/model-versions/delete-tag")
def delete_version_tag(state: ServerState, params: Params) -> dict[str, Any]:
    registry = _registry(state, "write")
    v = _version(registry, params)
    key = params.text("key")
    if key not in v.tags:
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST,
            f"No tag with key {key!r} on version {v.version} of model {v.model!r}",
        )
    tags = {k: val for k, val in v.tags.items() if k != key}
    update = requests.VersionUpdate(tags=tags)
    _edits(registry).update_version(v.model, v.version, update, _actor(state))
    return {}
