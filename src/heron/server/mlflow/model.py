"""How MLflow's objects land in Heron's model, and how Heron's runs read as MLflow's.

========================  ===============================================================
MLflow                    Heron
========================  ===============================================================
experiment                project; its id *is* the project name ("0" is ``Default``)
run (``run_id``)          run (same id; the server picks Heron ids for new runs)
param ``k`` = ``"v"``     config ``{"k": "v"}`` (a string, as MLflow sent it)
metric (step, ms time)    a point of metric ``k`` (time in seconds)
tag ``mlflow.runName``    the run's name
tag ``mlflow.note.content`` the run's notes
tag ``k`` = ``v``         the run's tag ``k=v`` (a label, shown and filtered in Heron)
other tags                ``system.mlflow.tags`` (``mlflow.*`` tags; values over 256 chars)
dataset input             ``system.datasets[name]`` (Heron's dataset records)
artifact                  a file of the run (content-addressed blob)
status                    state (FINISHED finished, FAILED failed/crashed, KILLED killed)
========================  ===============================================================

Writes are spool batches applied by ``Tracking.ingest`` (exactly once by seq): each
MLflow call is one batch at the run's next seq (:func:`write`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from heron.errors import InvalidInput
from heron.keys import MAX_TAG_LENGTH, check_label, check_name
from heron.nested import flatten
from heron.server.mlflow.errors import MlflowError, invalid
from heron.service import Tracking
from heron.store.base import Batch, Event, RunInfo, Series
from heron.store.project_marks import ProjectMarks

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_PROJECT = "Default"
RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"
USER_TAG = "mlflow.user"
SYSTEM_KEY = "mlflow"  # system.mlflow: what MLflow sent that Heron has no field for

STATUS_OF_STATE = {
    "running": "RUNNING",
    "finished": "FINISHED",
    "failed": "FAILED",
    "crashed": "FAILED",
    "killed": "KILLED",
    "pruned": "KILLED",  # stopped early by a sweep's pruner (docs/sweeps.md)
}
STATE_OF_STATUS = {
    "RUNNING": "running",
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "killed",
}

# MLflow's own limits (mlflow.utils.validation), enforced the same way here.
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
_WRITE_TRIES = 100


# --- experiments <-> projects ------------------------------------------------------


def project_of(experiment_id: str) -> str:
    """The project an experiment id names (the id is the project's name)."""
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        return DEFAULT_PROJECT
    try:
        return check_name(experiment_id, "experiment (Heron project)")
    except InvalidInput as e:
        raise MlflowError(
            "RESOURCE_DOES_NOT_EXIST", f"No experiment with id {experiment_id!r}: {e.message}"
        ) from None


def project_for_name(name: str) -> str:
    """The project an experiment name becomes: the name itself, which must be a valid
    Heron project name (letters, digits, ``_ - .``; no spaces or slashes)."""
    try:
        return check_name(name, "experiment name (a Heron project)")
    except InvalidInput as e:
        raise invalid(e.message) from None


def experiment_id(project: str) -> str:
    return DEFAULT_EXPERIMENT_ID if project == DEFAULT_PROJECT else project


def experiment_json(
    project: str,
    created_at: float | None,
    last_activity: float | None,
    marks: ProjectMarks | None = None,
) -> dict[str, Any]:
    """``marks``: the project's tags and deletion (heron.service.projects)."""
    tags = marks.tags if marks is not None else {}
    deleted = marks is not None and marks.deleted_at is not None
    out: dict[str, Any] = {
        "experiment_id": experiment_id(project),
        "name": project,
        "artifact_location": f"mlflow-artifacts:/{project}",
        "lifecycle_stage": "deleted" if deleted else "active",
        "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
    }
    if created_at is not None:
        out["creation_time"] = millis(created_at)
    if last_activity is not None:
        out["last_update_time"] = millis(last_activity)
    return out


# --- runs --------------------------------------------------------------------------


def millis(seconds: float) -> int:
    return round(seconds * 1000)


def artifact_uri(info: RunInfo) -> str:
    return f"mlflow-artifacts:/{info.project}/{info.id}/artifacts"


def mlflow_system(info: RunInfo) -> dict[str, Any]:
    found = info.system.get(SYSTEM_KEY)
    return found if isinstance(found, dict) else {}


def run_tags(info: RunInfo) -> dict[str, str]:
    """Every MLflow tag of the run: the kept ones, the run's labels (``k=v`` -> k: v,
    a plain label -> label: ""), its name and notes."""
    tags: dict[str, str] = {}
    kept = mlflow_system(info).get("tags")
    if isinstance(kept, dict):
        tags.update({k: v for k, v in kept.items() if isinstance(v, str)})
    for label in info.tags:
        key, _, value = label.partition("=")
        tags.setdefault(key, value)
    tags[RUN_NAME_TAG] = info.name
    if info.notes:
        tags[NOTE_TAG] = info.notes
    return tags


def param_text(value: Any) -> str:
    """A config value as MLflow's param text (strings as they are; others as str)."""
    return value if isinstance(value, str) else str(value)


def run_json(info: RunInfo) -> dict[str, Any]:
    system = mlflow_system(info)
    tags = run_tags(info)
    run_info: dict[str, Any] = {
        "run_id": info.id,
        "run_uuid": info.id,
        "run_name": info.name,
        "experiment_id": experiment_id(info.project),
        "user_id": str(system.get("user_id") or tags.get(USER_TAG, "")),
        "status": STATUS_OF_STATE.get(info.state, "RUNNING"),
        "start_time": millis(info.created_at),
        "artifact_uri": artifact_uri(info),
        "lifecycle_stage": "active",
    }
    if info.ended_at is not None:
        run_info["end_time"] = millis(info.ended_at)
    metrics = [
        {"key": k, "value": m.last, "timestamp": millis(m.last_time), "step": m.last_step}
        for k, m in sorted(info.metrics.items())
        if m.count
    ]
    params = [{"key": k, "value": param_text(v)} for k, v in sorted(flatten(info.config).items())]
    return {
        "info": run_info,
        "data": {
            "metrics": metrics,
            "params": params,
            "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
        },
        "inputs": {"dataset_inputs": dataset_inputs(info)},
        "outputs": {},
    }


def dataset_inputs(info: RunInfo) -> list[dict[str, Any]]:
    """The run's dataset records as MLflow dataset inputs."""
    found = info.system.get("datasets")
    if not isinstance(found, dict):
        return []
    out = []
    for label, record in sorted(found.items()):
        if not isinstance(record, dict):
            continue
        dataset = {
            "name": str(record.get("name") or label),
            "digest": str(record.get("digest") or ""),
            "source_type": str(record.get("source_type") or "local"),
            "source": str(record.get("source") or record.get("path") or ""),
        }
        for extra in ("schema", "profile"):
            if isinstance(record.get(extra), str):
                dataset[extra] = record[extra]
        tags = record.get("tags")
        pairs = tags.items() if isinstance(tags, dict) else ()
        out.append({"tags": [{"key": k, "value": str(v)} for k, v in pairs], "dataset": dataset})
    return out


# --- writing -----------------------------------------------------------------------


def write(
    tracking: Tracking,
    run_id: str,
    events: Sequence[Event] = (),
    metrics: Mapping[str, Series] | None = None,
    *,
    known: RunInfo | None = None,
) -> None:
    """Apply one batch to the run at its next seq (``known``: the run as just read, to
    save reading it again). Another writer moving the seq first makes the batch a
    no-op (``applied`` False): read the seq again and retry."""
    for attempt in range(_WRITE_TRIES):
        info = known if attempt == 0 and known is not None else tracking.get_run(run_id)
        seq = info.ingested_seq + 1
        batch = Batch(run_id, seq, dict(metrics or {}), list(events))
        if tracking.ingest(batch).applied:
            return
    raise MlflowError("RESOURCE_CONFLICT", f"run {run_id} is being written by many clients; retry")


def metric_series(points: Iterable[tuple[str, float, int, int]]) -> dict[str, Series]:
    """(key, value, timestamp ms, step) points as one series per key, in order."""
    by_key: dict[str, tuple[list[int], list[float], list[float]]] = {}
    for key, value, timestamp, step in points:
        steps, times, values = by_key.setdefault(key, ([], [], []))
        steps.append(step)
        times.append(timestamp / 1000.0)
        values.append(value)
    return {
        key: Series(
            np.asarray(steps, np.int64),
            np.asarray(times, np.float64),
            np.asarray(values, np.float64),
        )
        for key, (steps, times, values) in by_key.items()
    }


def check_entity_key(key: object, what: str) -> str:
    if not isinstance(key, str) or not key:
        raise invalid(f"Missing value for required parameter '{what}'.")
    if len(key) > MAX_KEY_LENGTH:
        raise invalid(
            f"{what} '{key[:40]}...' had length {len(key)}, which exceeded length limit "
            f"of {MAX_KEY_LENGTH}"
        )
    return key


def tag_events(info: RunInfo, tags: Mapping[str, str]) -> list[Event]:
    """The events that set MLflow tags on the run (see the module table)."""
    events: list[Event] = []
    keep: dict[str, Any] = {}
    add: list[str] = []
    remove: list[str] = []
    for key, value in tags.items():
        if len(value) > MAX_TAG_VALUE_LENGTH:
            raise invalid(
                f"Tag value for '{key}' had length {len(value)}, which exceeded length "
                f"limit of {MAX_TAG_VALUE_LENGTH}"
            )
        if key == RUN_NAME_TAG:
            continue  # the run's name: update_run sets it (see rename)
        if key == NOTE_TAG:
            events.append({"type": "notes", "text": value})
            continue
        remove.extend(t for t in info.tags if t.partition("=")[0] == key)
        label = f"{key}={value}" if value else key
        if not key.startswith("mlflow.") and _is_label(label):
            add.append(label)
            keep[key] = None  # a copy kept before (too long then) is dropped
        else:
            keep[key] = value
    remove = [t for t in remove if t not in add]
    if add or remove:
        events.append({"type": "tags", "add": add, "remove": remove})
    if keep:
        events.append({"type": "system", "patch": {SYSTEM_KEY: {"tags": keep}}})
    return events


def delete_tag_events(info: RunInfo, key: str) -> list[Event]:
    if key not in run_tags(info):
        raise MlflowError(
            "RESOURCE_DOES_NOT_EXIST", f"No tag with name: {key} in run with id {info.id}"
        )
    events: list[Event] = []
    if key == NOTE_TAG:
        return [{"type": "notes", "text": ""}]
    labels = [t for t in info.tags if t.partition("=")[0] == key]
    if labels:
        events.append({"type": "tags", "remove": labels})
    events.append({"type": "system", "patch": {SYSTEM_KEY: {"tags": {key: None}}}})
    return events


def _is_label(label: str) -> bool:
    if len(label) > MAX_TAG_LENGTH:
        return False
    try:
        check_label(label, "tag", MAX_TAG_LENGTH)
    except InvalidInput:
        return False
    return True


def now() -> float:
    return time.time()
