"""``heron import mlflow``: an MLflow tracking store into Heron, read with MLflow's own
client (``mlflow`` installed: ``pip install 'heron[mlflow]'``).

The source is any tracking URI MLflow reads: a server (``http://...``), a local
``mlruns`` folder (a path or ``file://``) or a database (``sqlite:///mlflow.db``).
Each experiment becomes a project (its name, other characters made ``_``), each run a
run with the MLflow run id, params its config (text, as MLflow keeps them), every
metric point with its step and time, tags as in the MLflow-compatible server (a
``k=v`` label; ``mlflow.*`` and long values in ``system.mlflow.tags``; the run name and
note as name and notes), dataset inputs as dataset records, artifacts as the run's
files. Registered models follow, with their versions (in order), stages and aliases;
a version is registered over the files its ``source`` names.
Idempotent and resumable: see :mod:`heron.importers.base`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from heron.errors import Conflict, HeronError, InvalidInput, NotFound
from heron.importers.base import (
    SILENT,
    ImportReport,
    Progress,
    RunWriter,
    is_label,
    project_name,
    source_id,
)
from heron.registry import requests
from heron.registry.base import Actor, Registry
from heron.service import Tracking
from heron.store.base import Event, FileEntry, RunSpec

_STATES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}
_PAGE = 1000


def _client(tracking_uri: str) -> Any:
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise InvalidInput(
            "reading an MLflow store needs mlflow: pip install 'heron[mlflow]'"
        ) from None
    uri = tracking_uri
    if "://" not in uri and Path(uri).exists():
        uri = Path(uri).resolve().as_uri()
    if uri.startswith("file:"):
        # MLflow 3 refuses its (deprecated) folder store unless told; reading one is
        # exactly what an import away from it needs.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _all_runs(client: Any, experiment_id: str) -> Iterator[Any]:
    from mlflow.entities import ViewType

    token = None
    while True:
        page = client.search_runs(
            [experiment_id], run_view_type=ViewType.ACTIVE_ONLY, max_results=_PAGE, page_token=token
        )
        yield from page
        token = page.token
        if not token:
            return


def import_mlflow(
    tracking: Tracking,
    tracking_uri: str,
    *,
    registry: Registry | None = None,
    progress: Progress = SILENT,
    actor: Actor | None = None,
) -> ImportReport:
    """Import every active run of every experiment, then the registry (when
    ``registry`` is given and the source has one)."""
    client = _client(tracking_uri)
    report = ImportReport()
    experiments = client.search_experiments(max_results=50_000)
    runs = [(e, r) for e in experiments for r in _all_runs(client, e.experiment_id)]
    progress.start(len(runs))
    imported: dict[str, str] = {}  # MLflow run id -> Heron run id
    for experiment, run in runs:
        progress.run_started(f"{experiment.name}/{run.info.run_name or run.info.run_id}")
        try:
            imported[run.info.run_id] = _import_run(
                tracking, client, experiment, run, report, progress
            )
        except HeronError as e:
            report.failed.append(f"run {run.info.run_id}: {e.message}")
        progress.run_done()
    if registry is not None:
        _import_registry(tracking, client, registry, imported, report, actor or Actor.local())
    return report


def _import_run(
    tracking: Tracking,
    client: Any,
    experiment: Any,
    run: Any,
    report: ImportReport,
    progress: Progress,
) -> str:
    info, data = run.info, run.data
    run_id = source_id("mlflow", info.run_id, "mlflow", info.run_id)
    tags = dict(data.tags)
    name = info.run_name or tags.get("mlflow.runName") or None
    labels: list[str] = []
    kept: dict[str, str] = {}
    for key, value in tags.items():
        if key in ("mlflow.runName", "mlflow.note.content"):
            continue
        label = f"{key}={value}" if value else key
        if not key.startswith("mlflow.") and is_label(label):
            labels.append(label)
        else:
            kept[key] = value
    system: dict[str, Any] = {
        "mlflow": {"tags": kept, "user_id": info.user_id or "", "run_id": info.run_id}
    }
    datasets = {}
    for entry in getattr(run.inputs, "dataset_inputs", None) or []:
        d = entry.dataset
        datasets[f"{d.name}-{d.digest}"] = {
            "name": d.name,
            "digest": d.digest,
            "source_type": d.source_type,
            "source": d.source,
            "schema": d.schema,
            "profile": d.profile,
            "tags": {t.key: t.value for t in entry.tags},
        }
    if datasets:
        system["datasets"] = datasets
    spec = RunSpec(
        id=run_id,
        project=project_name(experiment.name, "mlflow"),
        name=name,
        tags=tuple(labels),
        notes=tags.get("mlflow.note.content", ""),
        config=dict(data.params),
        system=system,
        created_at=(info.start_time or 0) / 1000.0,
    )
    writer = RunWriter(tracking, spec, report)
    if writer.done_before():
        report.runs_skipped += 1
        return run_id
    for key in sorted(data.metrics):
        history = _history(client, info.run_id, key)
        writer.send_points(
            key,
            [m.step for m in history],
            [m.timestamp / 1000.0 for m in history],
            np.array([m.value for m in history], np.float64),
            progress.points,
        )
    files: list[Event] = []
    with tempfile.TemporaryDirectory(prefix="heron-import-") as scratch:
        for path in _artifact_files(client, info.run_id, ""):
            local = Path(client.download_artifacts(info.run_id, path, scratch))
            files.append(writer.file_event(local, path))
            local.unlink()
    end: Event = {"type": "state", "state": _STATES.get(info.status, "killed")}  # type: ignore[typeddict-item]
    if info.end_time:
        end["time"] = info.end_time / 1000.0  # type: ignore[typeddict-unknown-key]
    writer.finish([*files, end])
    return run_id


def _history(client: Any, run_id: str, key: str) -> list[Any]:
    return list(client.get_metric_history(run_id, key))


def _artifact_files(client: Any, run_id: str, path: str) -> Iterator[str]:
    for entry in client.list_artifacts(run_id, path or None):
        if entry.is_dir:
            yield from _artifact_files(client, run_id, entry.path)
        else:
            yield entry.path


def _import_registry(
    tracking: Tracking,
    client: Any,
    registry: Registry,
    imported: dict[str, str],
    report: ImportReport,
    actor: Actor,
) -> None:
    try:
        models = list(client.search_registered_models(max_results=1000))
    except Exception as e:
        report.skipped.append(f"registered models: the source has none readable ({e})")
        return
    for model in models:
        name = project_name(model.name, "model")
        try:
            registry.create_model(
                requests.NewModel(
                    name=name, description=model.description or "", tags=dict(model.tags)
                ),
                actor,
            )
            report.models += 1
        except Conflict:
            pass  # imported before: add the versions it lacks
        have = registry.get_model(name).latest_version or 0
        versions = sorted(
            client.search_model_versions(f"name='{model.name}'"), key=lambda v: int(v.version)
        )
        for version in versions:
            if int(version.version) <= have:
                continue
            run_id = imported.get(version.run_id or "")
            if run_id is None:
                report.skipped.append(
                    f"model {model.name} v{version.version}: its run {version.run_id!r} "
                    "was not imported"
                )
                continue
            files = _version_files(tracking, client, version.source)
            created = registry.create_version(
                name,
                requests.NewVersion(
                    run_id=run_id,
                    files=files,
                    metadata={"mlflow_source": version.source},
                    description=version.description or "",
                    tags=dict(version.tags),
                ),
                actor,
            )
            report.versions += 1
            stage = (version.current_stage or "None").lower()
            if stage != "none":
                registry.transition(
                    name,
                    requests.Transition(
                        version=created.version, stage=stage, archive_existing=False
                    ),
                    actor,
                )
        for alias, number in sorted((model.aliases or {}).items()):
            try:
                registry.set_alias(
                    name, requests.AliasMove(version=int(number), alias=alias), actor
                )
            except (InvalidInput, NotFound) as e:
                report.skipped.append(f"model {model.name} alias {alias}: {e.message}")


def _version_files(tracking: Tracking, client: Any, source: str) -> list[FileEntry]:
    import mlflow.artifacts

    out: list[FileEntry] = []
    with tempfile.TemporaryDirectory(prefix="heron-import-") as scratch:
        found = re.fullmatch(r"runs:/([^/]+)/?(.*)", source)
        if found is not None:
            local = Path(client.download_artifacts(found.group(1), found.group(2), scratch))
        else:
            local = Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=source, dst_path=scratch, tracking_uri=client.tracking_uri
                )
            )
        paths = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
        for path in paths:
            blob = tracking.blobs.put_file(path)
            name = path.name if local.is_file() else path.relative_to(local).as_posix()
            out.append(FileEntry(name, blob.digest, blob.size))
    return out
