"""MLflow 3's logged models (``/logged-models``), as files of the run that logs them.

``mlflow.<flavor>.log_model(..., name="model")`` inside a run creates a logged model,
uploads its files to the model's ``artifact_uri`` and finalizes it. Here a logged model
*is* a folder of its source run's files: its ``artifact_uri`` is the run's
``.../artifacts/<name>`` (so ``runs:/<run id>/<name>`` names the same files), its id
``m-<run id>.<name>``, and what MLflow keeps about it (status, type, tags, params) is
in ``system.mlflow.models.<name>`` of the run. Heron keeps files per run, so a logged
model outside a run (``mlflow.initialize_logged_model``, ``log_model`` with no active
run) gets a run of its own to hold it: a finished run named ``model <name>`` in the
experiment's project, which MLflow sees as no run (``source_run_id`` empty).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter

from heron.ids import new_run_id
from heron.server.mlflow import model
from heron.server.mlflow.errors import (
    RESOURCE_DOES_NOT_EXIST,
    MlflowError,
    invalid,
    not_implemented,
)
from heron.server.mlflow.params import Params, endpoint
from heron.server.mlflow.search import parse
from heron.server.state import ServerState
from heron.service.projects import Projects
from heron.store.base import RunInfo, RunSpec
from heron.store.checks import RUN_ID

router = APIRouter()
_NAME = re.compile(r"^[\w\-.]{1,128}$")


def model_id(run_id: str, name: str) -> str:
    return f"m-{run_id}.{name}"


def _split(found: str) -> tuple[str, str]:
    if not found.startswith("m-") or "." not in found:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Logged model {found!r} not found")
    run_id, _, name = found[2:].partition(".")
    if not RUN_ID.match(run_id) or not _NAME.match(name):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Logged model {found!r} not found")
    return run_id, name


def _models(info: RunInfo) -> dict[str, Any]:
    found = model.mlflow_system(info).get("models")
    return found if isinstance(found, dict) else {}


def model_json(info: RunInfo, name: str) -> dict[str, Any]:
    kept = _models(info).get(name) or {}

    def pairs(key: str) -> list[dict[str, str]]:
        return [{"key": k, "value": str(v)} for k, v in sorted((kept.get(key) or {}).items())]

    return {
        "info": {
            "model_id": model_id(info.id, name),
            "experiment_id": model.experiment_id(info.project),
            "name": name,
            "creation_timestamp_ms": kept.get("created", model.millis(info.created_at)),
            "last_updated_timestamp_ms": kept.get("updated", model.millis(info.created_at)),
            "artifact_uri": f"{model.artifact_uri(info)}/{name}",
            "status": kept.get("status", "LOGGED_MODEL_PENDING"),
            "model_type": kept.get("model_type", ""),
            "source_run_id": "" if kept.get("holder") else info.id,
            "tags": pairs("tags"),
        },
        "data": {"params": pairs("params"), "metrics": []},
    }


def _record(state: ServerState, info: RunInfo, name: str, fields: dict[str, Any]) -> RunInfo:
    fields["updated"] = model.millis(model.now())
    event = {"type": "system", "patch": {model.SYSTEM_KEY: {"models": {name: fields}}}}
    model.write(state.tracking, info.id, [event], known=info)  # type: ignore[list-item]
    return state.tracking.get_run(info.id)


def _pairs(params: Params, field: str) -> dict[str, str]:
    return {str(p.get("key")): str(p.get("value") or "") for p in params.objects(field)}


def _located(state: ServerState, found: str) -> tuple[RunInfo, str]:
    run_id, name = _split(found)
    try:
        info = state.tracking.get_run(run_id)
    except Exception as e:  # NotFound, or not readable: the same answer
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Logged model {found!r} not found") from e
    if name not in _models(info):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Logged model {found!r} not found")
    return info, name


@endpoint(router, "POST", "/logged-models")
def create_logged_model(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = params.opt_text("source_run_id")
    name = params.text("name", "model")
    if not _NAME.match(name):
        raise invalid(f"model name {name!r}: use letters, digits, '_', '-' and '.'")
    holder = run_id is None
    info = _holder_run(state, params, name) if run_id is None else state.tracking.get_run(run_id)
    fields: dict[str, Any] = {
        "holder": holder,
        "status": "LOGGED_MODEL_PENDING",
        "model_type": params.opt_text("model_type") or "",
        "tags": _pairs(params, "tags"),
        "params": _pairs(params, "params"),
        "created": model.millis(model.now()),
    }
    return {"model": model_json(_record(state, info, name, fields), name)}


def _holder_run(state: ServerState, params: Params, name: str) -> RunInfo:
    """A finished run of the experiment's project that holds a logged model made
    outside any run (module doc)."""
    project = model.project_of(params.text("experiment_id", model.DEFAULT_EXPERIMENT_ID))
    Projects(state.tracking).check_active(project)
    now = model.now()
    spec = RunSpec(id=new_run_id(), project=project, name=f"model {name}", created_at=now)
    info = state.tracking.create_run(spec)
    model.write(state.tracking, info.id, [{"type": "state", "state": "finished", "time": now}])
    return state.tracking.get_run(info.id)


@endpoint(router, "GET", "/logged-models/{model_id}")
def get_logged_model(state: ServerState, params: Params) -> dict[str, Any]:
    info, name = _located(state, params.text("model_id"))
    return {"model": model_json(info, name)}


@endpoint(router, "PATCH", "/logged-models/{model_id}")
def finalize_logged_model(state: ServerState, params: Params) -> dict[str, Any]:
    info, name = _located(state, params.text("model_id"))
    status = params.text("status")
    if status not in ("LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"):
        raise invalid(f"Invalid status {status!r}")
    return {"model": model_json(_record(state, info, name, {"status": status}), name)}


@endpoint(router, "PATCH", "/logged-models/{model_id}/tags")
def set_logged_model_tags(state: ServerState, params: Params) -> dict[str, Any]:
    info, name = _located(state, params.text("model_id"))
    tags = {**(_models(info)[name].get("tags") or {}), **_pairs(params, "tags")}
    return {"model": model_json(_record(state, info, name, {"tags": tags}), name)}


@endpoint(router, "POST", "/logged-models/{model_id}/params")
def log_logged_model_params(state: ServerState, params: Params) -> dict[str, Any]:
    info, name = _located(state, params.text("model_id"))
    merged = {**(_models(info)[name].get("params") or {}), **_pairs(params, "params")}
    _record(state, info, name, {"params": merged})
    return {}


@endpoint(router, "POST", "/logged-models/search")
def search_logged_models(state: ServerState, params: Params) -> dict[str, Any]:
    """The logged models of the experiments' runs, newest run first. Filters: ``name``
    and ``source_run_id`` compared with ``=``, ``!=`` or ``IN`` (joined by AND); any
    other filter, and ``order_by``, are refused."""
    wanted: list[tuple[str, str, list[str]]] = []
    for c in parse(params.opt_text("filter") or ""):
        field = c.key.lower()
        values = [v for v in c.values if isinstance(v, str)]
        if field not in ("name", "source_run_id") or c.op not in ("=", "!=", "IN") or not values:
            raise invalid("Heron searches logged models by name and source_run_id (=, !=, IN) only")
        wanted.append((field, c.op, values))
    if params.items("order_by"):
        raise not_implemented("order_by in logged-models/search")
    projects = sorted({model.project_of(str(e)) for e in params.items("experiment_ids")})
    found: list[dict[str, Any]] = []
    for project in projects:
        for info in state.tracking.reads(project).search_runs(project):
            for name in sorted(_models(info)):
                kept = _models(info).get(name) or {}
                source = "" if kept.get("holder") else info.id
                fields = {"name": name, "source_run_id": source}
                if all((fields[f] in vs) == (op != "!=") for f, op, vs in wanted):
                    found.append(model_json(info, name))
    return {"models": found}


@endpoint(router, "POST", "/runs/outputs")
def log_outputs(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = params.text("run_id")
    info = state.tracking.get_run(run_id)
    outputs = {
        str(m.get("model_id")): {"step": str(m.get("step") or 0)} for m in params.objects("models")
    }
    if outputs:
        event = {"type": "system", "patch": {model.SYSTEM_KEY: {"outputs": outputs}}}
        model.write(state.tracking, run_id, [event], known=info)  # type: ignore[list-item]
    return {}
