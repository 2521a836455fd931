"""MLflow's tracking API (``/api/2.0/mlflow/experiments/*``, ``runs/*``, ``metrics/*``)
over ``state.tracking``: every call is authorised by the service like Heron's own
routes, and lands in Heron's runs (see :mod:`heron.server.mlflow.model`)."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np
from fastapi import APIRouter

from heron.errors import Conflict, NotFound
from heron.ids import new_run_id
from heron.nested import flatten
from heron.server.mlflow import model
from heron.server.mlflow.errors import (
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    MlflowError,
    invalid,
    not_implemented,
)
from heron.server.mlflow.params import Params, as_float, endpoint
from heron.server.mlflow.search import check_max_results, translate_filter, translate_order_by
from heron.server.state import ServerState
from heron.service.projects import Projects
from heron.store.base import Event, RunInfo, RunSpec, Series
from heron.store.checks import RUN_ID
from heron.store.events import StateEvent

router = APIRouter()

SEARCH_RUNS_MAX = 50_000
SEARCH_RUNS_DEFAULT = 1_000
HISTORY_PAGE_MAX = 25_000
BULK_RUNS_MAX = 100  # MLflow's limits of metrics/get-history-bulk-interval
BULK_RESULTS_MAX = 2500


# --- experiments -------------------------------------------------------------------


def _projects(state: ServerState) -> dict[str, Any]:
    """The projects the caller may read, by name (the others do not exist for it)."""
    caller = state.tracking.caller
    return {p.name: p for p in state.tracking.store.list_projects() if caller.may("read", p.name)}


def _experiment(state: ServerState, project: str) -> dict[str, Any]:
    state.tracking.authorize("read", project)
    found = _projects(state).get(project)
    marks = Projects(state.tracking).marks(project)
    if found is None:
        return model.experiment_json(project, None, None, marks)
    return model.experiment_json(project, found.created_at, found.last_activity, marks)


@endpoint(router, "GET", "/experiments/get")
def get_experiment(state: ServerState, params: Params) -> dict[str, Any]:
    # An experiment is a project; one without runs yet exists implicitly (a just
    # created experiment answers before its first run).
    project = model.project_of(params.text("experiment_id"))
    return {"experiment": _experiment(state, project)}


@endpoint(router, "GET", "/experiments/get-by-name")
def get_experiment_by_name(state: ServerState, params: Params) -> dict[str, Any]:
    name = params.text("experiment_name")
    if name not in _projects(state):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Could not find experiment with name '{name}'")
    return {"experiment": _experiment(state, name)}


@endpoint(router, "POST", "/experiments/create")
def create_experiment(state: ServerState, params: Params) -> dict[str, Any]:
    name = params.text("name")
    project = model.project_for_name(name)
    if params.get("artifact_location"):
        raise invalid("Heron keeps artifacts itself: artifact_location cannot be set")
    state.tracking.authorize("write", project)
    if project in _projects(state):
        raise MlflowError(RESOURCE_ALREADY_EXISTS, f"Experiment '{name}' already exists.")
    tags = _tag_pairs(params)
    if tags:
        Projects(state.tracking).set_tags(project, tags)
    return {"experiment_id": model.experiment_id(project)}


@endpoint(router, "GET", "/experiments/search")
@endpoint(router, "POST", "/experiments/search")
def search_experiments(state: ServerState, params: Params) -> dict[str, Any]:
    view = params.text("view_type", "ACTIVE_ONLY").upper()
    if view not in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL"):
        raise invalid(f"Invalid view_type {view!r} (ACTIVE_ONLY, DELETED_ONLY, ALL)")
    max_results = check_max_results(params.integer("max_results", 1000), 50_000)
    names = _name_filter(params.opt_text("filter"))
    deleted = Projects(state.tracking).deleted()
    found = [
        p
        for p in _projects(state).values()
        if names(p.name) and (view == "ALL" or (p.name in deleted) == (view == "DELETED_ONLY"))
    ]
    order = params.items("order_by")
    if order:
        raise not_implemented("order_by in experiments/search")
    found.sort(key=lambda p: -p.created_at)
    start = _page_start(params.opt_text("page_token"))
    page = found[start : start + max_results]
    out: dict[str, Any] = {"experiments": [_experiment(state, p.name) for p in page]}
    if start + max_results < len(found):
        out["next_page_token"] = _page_token(start + max_results)
    return out


def _name_filter(text: str | None) -> Any:
    """``name = 'x'``, ``name != 'x'``, ``name LIKE 'x%'`` (the experiment filters
    Heron supports) as a predicate on names."""
    if text is None or not text.strip():
        return lambda name: True
    import re

    m = re.fullmatch(
        r"\s*(?:attributes\.|attribute\.)?name\s*(=|!=|LIKE|ILIKE)\s*'((?:[^'\\]|\\.)*)'\s*",
        text,
        re.IGNORECASE,
    )
    if m is None:
        raise invalid(
            f"Heron cannot search experiments with '{text}' (only name =, !=, LIKE, ILIKE)"
        )
    op, value = m.group(1).upper(), m.group(2)
    if op == "=":
        return lambda name: name == value
    if op == "!=":
        return lambda name: name != value
    pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in value)
    flags = re.IGNORECASE if op == "ILIKE" else 0
    compiled = re.compile(pattern, flags | re.DOTALL)
    return lambda name: compiled.fullmatch(name) is not None


def _existing(state: ServerState, params: Params) -> str:
    project = model.project_of(params.text("experiment_id"))
    state.tracking.authorize("read", project)
    if project not in _projects(state):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"No experiment with id {project!r}")
    return project


@endpoint(router, "POST", "/experiments/delete")
def delete_experiment(state: ServerState, params: Params) -> dict[str, Any]:
    # The project is marked deleted (heron.service.projects): left out of project
    # lists and of MLflow's active experiments, its runs kept; restore undoes it.
    Projects(state.tracking).delete(_existing(state, params))
    return {}


@endpoint(router, "POST", "/experiments/restore")
def restore_experiment(state: ServerState, params: Params) -> dict[str, Any]:
    Projects(state.tracking).restore(_existing(state, params))
    return {}


@endpoint(router, "POST", "/experiments/update")
def update_experiment(state: ServerState, params: Params) -> dict[str, Any]:
    # Renaming the experiment renames its project (heron.service.projects), so its id,
    # the project's name, becomes the new name too.
    project = model.project_of(params.text("experiment_id"))
    new_name = model.project_for_name(params.text("new_name"))
    if new_name == project:  # MLflow accepts the same name: nothing to do
        _existing(state, params)
        return {}
    try:
        Projects(state.tracking).rename(project, new_name)
    except Conflict as e:
        raise MlflowError(RESOURCE_ALREADY_EXISTS, e.message) from None
    return {}


@endpoint(router, "POST", "/experiments/set-experiment-tag")
def set_experiment_tag(state: ServerState, params: Params) -> dict[str, Any]:
    project = model.project_of(params.text("experiment_id"))
    key = model.check_entity_key(params.get("key"), "tag key")
    value = params.get("value")
    Projects(state.tracking).set_tags(project, {key: "" if value is None else str(value)})
    return {}


@endpoint(router, "POST", "/experiments/delete-experiment-tag")
def delete_experiment_tag(state: ServerState, params: Params) -> dict[str, Any]:
    project = model.project_of(params.text("experiment_id"))
    Projects(state.tracking).set_tags(project, {}, [params.text("key")])
    return {}


# --- runs --------------------------------------------------------------------------


def _run(state: ServerState, run_id: str) -> RunInfo:
    if not RUN_ID.match(run_id):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Run '{run_id}' not found")
    try:
        return state.tracking.get_run(run_id)
    except NotFound:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Run '{run_id}' not found") from None


def _run_id(params: Params) -> str:
    found = params.opt_text("run_id") or params.opt_text("run_uuid")
    if found is None:
        raise invalid("Missing value for required parameter 'run_id'.")
    return found


@endpoint(router, "POST", "/runs/create")
def create_run(state: ServerState, params: Params) -> dict[str, Any]:
    project = model.project_of(params.text("experiment_id", model.DEFAULT_EXPERIMENT_ID))
    Projects(state.tracking).check_active(project)
    tags = _tag_pairs(params)
    name = params.opt_text("run_name") or tags.get(model.RUN_NAME_TAG) or None
    start = params.opt_integer("start_time")
    created = start / 1000.0 if start is not None else model.now()
    system: dict[str, Any] = {model.SYSTEM_KEY: {"user_id": params.opt_text("user_id") or ""}}
    spec = RunSpec(id=new_run_id(), project=project, name=name, created_at=created, system=system)
    info = state.tracking.create_run(spec)
    events = model.tag_events(info, tags)
    if events:
        model.write(state.tracking, info.id, events)
        info = state.tracking.get_run(info.id)
    return {"run": model.run_json(info)}


def _tag_pairs(params: Params) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in params.objects("tags"):
        key = model.check_entity_key(tag.get("key"), "tag key")
        value = tag.get("value")
        tags[key] = "" if value is None else str(value)
    return tags


@endpoint(router, "GET", "/runs/get")
def get_run(state: ServerState, params: Params) -> dict[str, Any]:
    return {"run": model.run_json(_run(state, _run_id(params)))}


@endpoint(router, "POST", "/runs/update")
def update_run(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    info = _run(state, run_id)
    name = params.opt_text("run_name")
    if name is not None and name != info.name:
        state.tracking.update_run(run_id, name=name)
    status = params.opt_text("status")
    if status is not None:
        wanted = model.STATE_OF_STATUS.get(status.upper())
        if wanted is None:
            raise invalid(f"Invalid status {status!r} (RUNNING, FINISHED, FAILED, KILLED)")
        end = params.opt_integer("end_time")
        at = end / 1000.0 if end is not None else model.now()
        if wanted != info.state:
            event: StateEvent = {"type": "state", "state": wanted}  # type: ignore[typeddict-item]
            if wanted != "running":
                event["time"] = at
            model.write(state.tracking, run_id, [event])
    info = state.tracking.get_run(run_id)
    return {"run_info": model.run_json(info)["info"]}


@endpoint(router, "POST", "/runs/delete")
def delete_run(state: ServerState, params: Params) -> dict[str, Any]:
    # MLflow marks the run deleted (restorable); Heron deletes it (its blobs stay until gc).
    run_id = _run_id(params)
    _run(state, run_id)
    state.tracking.delete_runs([run_id], force=True)
    return {}


@endpoint(router, "POST", "/runs/restore")
def restore_run(state: ServerState, params: Params) -> dict[str, Any]:
    raise not_implemented("restoring a run (Heron deletes runs for good)")


@endpoint(router, "POST", "/runs/log-metric")
def log_metric(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    info = _run(state, run_id)
    point = _metric(params)
    model.write(state.tracking, run_id, metrics=model.metric_series([point]), known=info)
    return {}


def _metric(params: Params) -> tuple[str, float, int, int]:
    key = model.check_entity_key(params.get("key"), "metric key")
    value = as_float(params.get("value"), "value")
    timestamp = params.integer("timestamp", model.millis(model.now()))
    step = params.integer("step", 0)
    return key, value, timestamp, step


@endpoint(router, "POST", "/runs/log-parameter")
def log_param(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    info = _run(state, run_id)
    key = model.check_entity_key(params.get("key"), "param key")
    value = params.get("value")
    patch = _param_patch(info, {key: "" if value is None else str(value)})
    if patch:
        model.write(state.tracking, run_id, [{"type": "config", "patch": patch}])
    return {}


def _param_patch(info: RunInfo, new: dict[str, str]) -> dict[str, Any]:
    """The config patch for params ``new``; MLflow's rule: a param's value never changes."""
    current = flatten(info.config)
    patch: dict[str, Any] = {}
    for key, value in new.items():
        if len(value) > model.MAX_PARAM_VALUE_LENGTH:
            raise invalid(
                f"Param value for '{key}' had length {len(value)}, which exceeded length "
                f"limit of {model.MAX_PARAM_VALUE_LENGTH}"
            )
        if key in current:
            if model.param_text(current[key]) != value:
                raise invalid(
                    f"Changing param values is not allowed. Param with key='{key}' was already "
                    f"logged with value='{model.param_text(current[key])}' for run ID="
                    f"'{info.id}'. Attempted logging new value '{value}'."
                )
            continue
        patch[key] = value
    return patch


@endpoint(router, "POST", "/runs/set-tag")
def set_tag(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    info = _run(state, run_id)
    key = model.check_entity_key(params.get("key"), "tag key")
    value = params.get("value")
    _set_tags(state, info, {key: "" if value is None else str(value)})
    return {}


def _set_tags(state: ServerState, info: RunInfo, tags: dict[str, str]) -> None:
    name = tags.get(model.RUN_NAME_TAG)
    if name is not None and name != info.name:
        state.tracking.update_run(info.id, name=name)
    events = model.tag_events(info, tags)
    if events:
        model.write(state.tracking, info.id, events)


@endpoint(router, "POST", "/runs/delete-tag")
def delete_tag(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    info = _run(state, run_id)
    key = params.text("key")
    if key == model.RUN_NAME_TAG:
        raise invalid("the run name cannot be deleted")
    model.write(state.tracking, run_id, model.delete_tag_events(info, key))
    return {}


@endpoint(router, "POST", "/runs/log-batch")
def log_batch(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    metrics = params.objects("metrics")
    params_in = params.objects("params")
    tags_in = params.objects("tags")
    if len(metrics) > model.MAX_METRICS_PER_BATCH:
        raise invalid(
            f"A batch logging request can contain at most {model.MAX_METRICS_PER_BATCH} "
            f"metrics. Got {len(metrics)} metrics."
        )
    if (
        len(params_in) > model.MAX_PARAMS_TAGS_PER_BATCH
        or len(tags_in) > model.MAX_PARAMS_TAGS_PER_BATCH
    ):
        raise invalid(
            f"A batch logging request can contain at most {model.MAX_PARAMS_TAGS_PER_BATCH} "
            "params and at most as many tags."
        )
    info = _run(state, run_id)
    points = [_metric(m) for m in metrics]
    new_params: dict[str, str] = {}
    for p in params_in:
        key = model.check_entity_key(p.get("key"), "param key")
        value = p.get("value")
        text = "" if value is None else str(value)
        if new_params.get(key, text) != text:
            raise invalid(f"Duplicate parameter keys have been submitted: ['{key}']")
        new_params[key] = text
    tags: dict[str, str] = {}
    for t in tags_in:
        key = model.check_entity_key(t.get("key"), "tag key")
        value = t.get("value")
        tags[key] = "" if value is None else str(value)
    events: list[Event] = []
    patch = _param_patch(info, new_params)
    if patch:
        events.append({"type": "config", "patch": patch})
    name = tags.get(model.RUN_NAME_TAG)
    if name is not None and name != info.name:
        state.tracking.update_run(run_id, name=name)
    events.extend(model.tag_events(info, tags))
    if events or points:
        model.write(state.tracking, run_id, events, model.metric_series(points), known=info)
    return {}


@endpoint(router, "POST", "/runs/log-inputs")
def log_inputs(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    _run(state, run_id)
    if params.items("models"):
        raise not_implemented("model inputs (MLflow 3 logged models)")
    records: dict[str, Any] = {}
    for item in params.objects("datasets"):
        dataset = item.get("dataset")
        if not isinstance(dataset, dict):
            raise invalid("each dataset input needs a 'dataset' object")
        name = dataset.get("name")
        digest = dataset.get("digest")
        if not isinstance(name, str) or not name or not isinstance(digest, str):
            raise invalid("a dataset needs a name and a digest")
        record: dict[str, Any] = {
            "name": name,
            "digest": digest,
            "source_type": str(dataset.get("source_type") or ""),
            "source": str(dataset.get("source") or ""),
        }
        for extra in ("schema", "profile"):
            if isinstance(dataset.get(extra), str):
                record[extra] = dataset[extra]
        record["tags"] = {
            str(t.get("key")): str(t.get("value") or "") for t in item.objects("tags")
        }
        records[f"{name}-{digest}"] = record
    if records:
        model.write(state.tracking, run_id, [{"type": "system", "patch": {"datasets": records}}])
    return {}


@endpoint(router, "POST", "/runs/log-model")
def log_model(state: ServerState, params: Params) -> dict[str, Any]:
    raise not_implemented("runs/log-model (MLflow 2's model history tag)")


@endpoint(router, "POST", "/runs/search")
def search_runs(state: ServerState, params: Params) -> dict[str, Any]:
    ids = [str(e) for e in params.items("experiment_ids")]
    if not ids:
        raise invalid("Missing value for required parameter 'experiment_ids'.")
    projects = sorted({model.project_of(e) for e in ids})
    for project in projects:
        state.tracking.authorize("read", project)
    max_results = check_max_results(
        params.integer("max_results", SEARCH_RUNS_DEFAULT), SEARCH_RUNS_MAX
    )
    translated = translate_filter(params.opt_text("filter"))
    order = translate_order_by([str(t) for t in params.items("order_by")])
    if params.text("run_view_type", "ACTIVE_ONLY").upper() == "DELETED_ONLY":
        return {"runs": []}
    start = _page_start(params.opt_text("page_token"))
    scope = f"project in ({', '.join(_quoted(p) for p in projects)})"
    heron_filter = scope if translated is None else f"{scope} and ({translated})"
    store = state.tracking.reads(projects[0])  # each project authorised above
    runs = store.search_runs(None, heron_filter, order, max_results + 1, start)
    out: dict[str, Any] = {"runs": [model.run_json(r) for r in runs[:max_results]]}
    if len(runs) > max_results:
        out["next_page_token"] = _page_token(start + max_results)
    return out


def _quoted(project: str) -> str:
    return '"' + project + '"'  # a project name has no quote or backslash


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _page_start(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        kind, _, number = text.partition(":")
        if kind != "offset" or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(f"Invalid page token {token!r}") from None


# --- metrics -----------------------------------------------------------------------


@endpoint(router, "GET", "/metrics/get-history")
def get_metric_history(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = _run_id(params)
    key = params.text("metric_key")
    _run(state, run_id)
    series = state.tracking.run_reads(run_id).history(run_id, [key])[key]
    start = _page_start(params.opt_text("page_token"))
    limit = params.opt_integer("max_results")
    if limit is not None:
        check_max_results(limit, HISTORY_PAGE_MAX)
    end = len(series) if limit is None else min(len(series), start + limit)
    metrics = [
        {
            "key": key,
            "value": float(series.values[i]),
            "timestamp": _ms(float(series.times[i])),
            "step": int(series.steps[i]),
        }
        for i in range(start, end)
    ]
    out: dict[str, Any] = {"metrics": metrics}
    if end < len(series):
        out["next_page_token"] = _page_token(end)
    return out


def _ms(seconds: float) -> int:
    return model.millis(seconds) if math.isfinite(seconds) else 0


@endpoint(router, "GET", "/metrics/get-history-bulk-interval")
def get_history_bulk_interval(state: ServerState, params: Params) -> dict[str, Any]:
    """One metric of up to 100 runs, sampled on steps as MLflow samples them (its
    ``get_metric_history_bulk_interval``): at most ``max_results`` steps evenly spaced
    over the steps the runs logged in ``[start_step, end_step]``, plus each run's first
    and last step in that range; every point at a sampled step, ordered by step then
    time, at most ``max(max_results, sampled steps)`` per run."""
    run_ids = [str(r) for r in params.items("run_ids")]
    if not run_ids:
        raise invalid("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > BULK_RUNS_MAX:
        raise invalid(
            f"GetMetricHistoryBulkInterval request must specify at most {BULK_RUNS_MAX} "
            f"run_ids. Received {len(run_ids)} run_ids."
        )
    key = params.text("metric_key")
    max_results = params.integer("max_results", BULK_RESULTS_MAX)
    if not 1 <= max_results <= BULK_RESULTS_MAX:
        raise invalid(f"max_results must be between 1 and {BULK_RESULTS_MAX}.")
    start, end = params.opt_integer("start_step"), params.opt_integer("end_step")
    if (start is None) != (end is None):
        raise invalid("If either start step or end step are specified, both must be specified.")
    if start is not None and end is not None and start > end:
        raise invalid(
            "end_step must be greater than start_step. "
            f"Found start_step={start} and end_step={end}."
        )
    histories: list[tuple[str, Series]] = []
    for run_id in dict.fromkeys(run_ids):
        _run(state, run_id)  # authorised read; unknown: RESOURCE_DOES_NOT_EXIST
        histories.append((run_id, state.tracking.run_reads(run_id).history(run_id, [key])[key]))
    steps = _sampled_steps([h.steps for _, h in histories], max_results, start, end)
    per_run = max(max_results, len(steps))
    metrics: list[dict[str, Any]] = []
    for run_id, series in histories:
        keep = np.flatnonzero(np.isin(series.steps, steps))
        keep = keep[np.lexsort((series.times[keep], series.steps[keep]))][:per_run]
        metrics.extend(
            {
                "key": key,
                "value": float(series.values[i]),
                "timestamp": _ms(float(series.times[i])),
                "step": int(series.steps[i]),
                "run_id": run_id,
            }
            for i in keep
        )
    return {"metrics": metrics}


def _sampled_steps(runs: list[Any], max_results: int, start: int | None, end: int | None) -> Any:
    """MLflow's step sampling over the runs' steps (see get_history_bulk_interval)."""
    arrays = [np.asarray(s, np.int64) for s in runs]
    every = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, np.int64)
    if start is None or end is None:
        start, end = 0, int(every[-1]) if every.size else 0
    bounds = {int(v) for s in runs if len(s) for v in (np.min(s), np.max(s)) if start <= v <= end}
    inside = every[(every >= start) & (every <= end)]
    if inside.size <= max_results:
        sampled = set(inside.tolist())
    else:
        interval = inside.size / max_results
        sampled = {int(inside[int(i * interval)]) for i in range(max_results)}
        sampled.add(int(inside[-1]))
    return np.asarray(sorted(sampled | bounds), np.int64)
