"""The official ``mlflow`` client against a real ``heron server``: what it logs lands
in Heron's own runs (read back through Heron's REST API)."""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException


def heron_run(url: str, run_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/api/v1/runs/{run_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_experiments_are_projects(tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri)
    assert client.get_experiment_by_name("exp-a") is None
    experiment = mlflow.set_experiment("exp-a")
    assert experiment.experiment_id == "exp-a" and experiment.name == "exp-a"
    with mlflow.start_run():
        pass
    assert client.get_experiment_by_name("exp-a").experiment_id == "exp-a"  # type: ignore[union-attr]
    names = [e.name for e in client.search_experiments(filter_string="name LIKE 'exp-%'")]
    assert names == ["exp-a"]
    with pytest.raises(MlflowException) as exists:
        client.create_experiment("exp-a")
    assert exists.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as bad:
        client.create_experiment("has spaces/and slashes")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"
    projects = [p["name"] for p in httpx.get(f"{tracking_uri}/api/v1/projects").json()]
    assert "exp-a" in projects


def test_params_metrics_tags_land_in_the_heron_run(tracking_uri: str) -> None:
    mlflow.set_experiment("landing")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("lr", "0.1")
        mlflow.log_params({"opt.name": "adam", "layers": 3})
        mlflow.log_metric("loss", 0.5, step=1, timestamp=1_700_000_000_123)
        mlflow.log_metric("loss", 0.25, step=2, timestamp=1_700_000_001_000)
        mlflow.log_metric("weird", math.nan, step=0)
        mlflow.set_tag("team", "vision")
        mlflow.set_tag("mlflow.note.content", "some *notes*")
        mlflow.set_tag("long", "x" * 1000)  # too long for a Heron tag: kept aside
    run_id = run.info.run_id
    client = MlflowClient(tracking_uri)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "first"
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.data.params == {"lr": "0.1", "opt.name": "adam", "layers": "3"}
    assert got.data.metrics["loss"] == 0.25 and math.isnan(got.data.metrics["weird"])
    assert got.data.tags["team"] == "vision" and got.data.tags["long"] == "x" * 1000
    assert got.data.tags["mlflow.note.content"] == "some *notes*"
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (1, 1_700_000_000_123, 0.5),
        (2, 1_700_000_001_000, 0.25),
    ]
    heron = heron_run(tracking_uri, run_id)
    assert heron["project"] == "landing" and heron["name"] == "first"
    assert heron["state"] == "finished" and heron["notes"] == "some *notes*"
    assert heron["config"] == {"lr": "0.1", "opt.name": "adam", "layers": "3"}
    assert "team=vision" in heron["tags"]
    assert heron["metrics"]["loss"]["count"] == 2
    points = httpx.get(f"{tracking_uri}/api/v1/runs/{run_id}/history").json()["loss"]
    assert points["steps"] == [1, 2] and points["values"] == [0.5, 0.25]
    assert points["times"][0] == pytest.approx(1_700_000_000.123)


def test_a_param_never_changes_and_tags_delete(tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri)
    run = client.create_run("0", tags={"keep": "me", "drop": "me"})
    assert run.info.experiment_id == "0"
    client.log_param(run.info.run_id, "seed", "1")
    client.log_param(run.info.run_id, "seed", "1")  # the same value again: fine
    with pytest.raises(MlflowException) as changed:
        client.log_param(run.info.run_id, "seed", "2")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
    client.delete_tag(run.info.run_id, "drop")
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["keep"] == "me" and "drop" not in tags
    client.set_terminated(run.info.run_id, "FAILED")
    assert heron_run(tracking_uri, run.info.run_id)["state"] == "failed"
    assert heron_run(tracking_uri, run.info.run_id)["project"] == "Default"
    client.delete_run(run.info.run_id)
    with pytest.raises(MlflowException) as gone:
        client.get_run(run.info.run_id)
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_log_batch_of_1000_metrics(tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri)
    experiment = client.create_experiment("batches")
    run = client.create_run(experiment)
    now = int(time.time() * 1000)
    metrics = [Metric("acc", i / 1000, now + i, i) for i in range(1000)]
    client.log_batch(
        run.info.run_id,
        metrics=metrics,
        params=[Param("batch", "1000")],
        tags=[RunTag("kind", "bulk")],
    )
    history = client.get_metric_history(run.info.run_id, "acc")
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (m.step, m.timestamp, m.value) for m in metrics
    ]
    points = httpx.get(f"{tracking_uri}/api/v1/runs/{run.info.run_id}/history").json()["acc"]
    assert points["steps"] == list(range(1000))
    assert np.allclose(points["values"], [i / 1000 for i in range(1000)])
    # the client splits bigger batches itself; the server refuses one over MLflow's limit
    body = {
        "run_id": run.info.run_id,
        "metrics": [{"key": "x", "value": 1.0, "timestamp": now, "step": i} for i in range(1001)],
    }
    too_many = httpx.post(f"{tracking_uri}/api/2.0/mlflow/runs/log-batch", json=body)
    assert too_many.status_code == 400
    assert too_many.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_search_runs_translates_mlflow_filters_and_order(tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri)
    experiment = client.create_experiment("searching")
    ids = {}
    for name, lr, acc, team in [
        ("a", "0.1", 0.9, "vision"),
        ("b", "0.01", 0.7, "nlp"),
        ("c", "0.1", 0.8, "nlp"),
    ]:
        run = client.create_run(experiment, run_name=name, tags={"team": team})
        client.log_batch(run.info.run_id, [Metric("acc", acc, 0, 0)], [Param("lr", lr)])
        ids[name] = run.info.run_id
    client.set_terminated(ids["c"])

    def names(filter_string: str = "", order_by: list[str] | None = None) -> list[str]:
        runs = client.search_runs([experiment], filter_string, order_by=order_by)
        return [r.info.run_name for r in runs]

    assert names(order_by=["metrics.acc DESC"]) == ["a", "c", "b"]
    assert names("params.lr = '0.1'", ["metrics.acc ASC"]) == ["c", "a"]
    assert names("metrics.acc > 0.75 and tags.team = 'nlp'") == ["c"]
    assert names("tags.team LIKE 'vis%'") == ["a"]
    assert names("attributes.status = 'FINISHED'") == ["c"]
    assert names("attributes.run_name IN ('a', 'b')", ["attributes.run_name"]) == ["a", "b"]
    # params are text, as MLflow sends them: "0.1" > "0.01"
    assert names("tags.mlflow.runName != 'a'", ["params.lr DESC", "metrics.acc"]) == ["c", "b"]
    page = client.search_runs([experiment], max_results=2, order_by=["metrics.acc DESC"])
    assert [r.info.run_name for r in page] == ["a", "c"] and page.token
    rest = client.search_runs(
        [experiment], max_results=2, order_by=["metrics.acc DESC"], page_token=page.token
    )
    assert [r.info.run_name for r in rest] == ["b"] and not rest.token
    for refused in (
        "params.lr ILIKE '0.1'",
        "metrics.acc > 1 OR metrics.acc < 0",
        "datasets.name = 'x'",
        "attributes.end_time > 0",
    ):
        with pytest.raises(MlflowException) as error:
            client.search_runs([experiment], refused)
        assert error.value.error_code == "INVALID_PARAMETER_VALUE", refused


def test_artifacts_round_trip_through_the_proxy(tracking_uri: str, workdir: Path) -> None:
    mlflow.set_experiment("files")
    folder = workdir / "out"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.bin").write_bytes(bytes(range(256)) * 100)
    (workdir / "plot.png").write_bytes(b"\x89PNG fake")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), artifact_path="data")
        mlflow.log_artifact(str(workdir / "plot.png"))
        mlflow.log_text("hello", "notes/hello.txt")
    client = MlflowClient(tracking_uri)
    top = {(f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id)}
    assert top == {("data", True), ("notes", True), ("plot.png", False)}
    inner = {(f.path, f.file_size) for f in client.list_artifacts(run.info.run_id, "data/sub")}
    assert inner == {("data/sub/b.bin", 25600)}
    local = Path(client.download_artifacts(run.info.run_id, "data", str(workdir / "dl")))
    assert (local / "a.txt").read_text() == "alpha"
    assert (local / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 100
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/hello.txt") == "hello"
    files = httpx.get(f"{tracking_uri}/api/v1/runs/{run.info.run_id}/files").json()
    paths = sorted(f["path"] for f in files)
    assert paths == ["data/a.txt", "data/sub/b.bin", "notes/hello.txt", "plot.png"]


def test_dataset_inputs_are_heron_dataset_records(tracking_uri: str) -> None:
    import pandas as pd

    mlflow.set_experiment("inputs")
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    dataset = mlflow.data.from_pandas(frame, name="tiny")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    got = MlflowClient(tracking_uri).get_run(run.info.run_id)
    [entry] = got.inputs.dataset_inputs
    assert entry.dataset.name == "tiny" and entry.dataset.digest == dataset.digest
    assert {t.key: t.value for t in entry.tags}["mlflow.data.context"] == "training"
    system = heron_run(tracking_uri, run.info.run_id)["system"]
    [record] = system["datasets"].values()
    assert record["name"] == "tiny" and record["digest"] == dataset.digest


def test_model_registry(tracking_uri: str, workdir: Path) -> None:
    client = MlflowClient(tracking_uri)
    mlflow.set_experiment("registry")
    (workdir / "model").mkdir()
    (workdir / "model" / "weights.bin").write_bytes(b"w" * 10)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(workdir / "model"), "model")
    client.create_registered_model("clf", tags={"owner": "ml"}, description="a classifier")
    with pytest.raises(MlflowException) as exists:
        client.create_registered_model("clf")
    assert exists.value.error_code == "RESOURCE_ALREADY_EXISTS"
    v1 = client.create_model_version(
        "clf", f"runs:/{run.info.run_id}/model", run.info.run_id, tags={"k": "v"}
    )
    v2 = client.create_model_version("clf", f"runs:/{run.info.run_id}/model", run.info.run_id)
    assert (v1.version, v2.version) == ("1", "2") and v1.tags == {"k": "v"}
    client.set_registered_model_alias("clf", "champion", "1")
    assert client.get_model_version_by_alias("clf", "champion").version == "1"
    client.set_registered_model_tag("clf", "team", "vision")
    client.delete_registered_model_tag("clf", "owner")
    with warnings.catch_warnings():  # stages are deprecated in MLflow (FutureWarning)
        warnings.simplefilter("ignore", FutureWarning)
        moved = client.transition_model_version_stage("clf", "2", "Production")
        latest = client.get_latest_versions("clf", stages=["Production"])
    assert moved.current_stage == "Production" and [v.version for v in latest] == ["2"]
    model = client.get_registered_model("clf")
    assert model.tags == {"team": "vision"} and model.aliases == {"champion": "1"}
    assert [m.name for m in client.search_registered_models("name LIKE 'cl%'")] == ["clf"]
    assert sorted(v.version for v in client.search_model_versions("name='clf'")) == ["1", "2"]
    local = Path(mlflow.artifacts.download_artifacts("models:/clf/2", dst_path=str(workdir / "dl")))
    assert (local / "weights.bin").read_bytes() == b"w" * 10
    heron = httpx.get(f"{tracking_uri}/api/v1/models/clf").json()
    assert heron["aliases"] == {"champion": 1} and heron["stages"]["production"] == [2]
    client.delete_registered_model_alias("clf", "champion")
    assert client.get_registered_model("clf").aliases == {}


def test_autolog_and_logged_models_with_scikit_learn(tracking_uri: str) -> None:
    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment("autolog")
    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    # log_models=False: inferring the model's pip requirements imports it in a subprocess
    # (tens of seconds); model logging is tested below with requirements given
    mlflow.sklearn.autolog(log_models=False, log_datasets=True, silent=True)
    try:  # MLflow's own warnings (scikit-learn's renamed arguments...)
        with mlflow.start_run() as run, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            LogisticRegression(max_iter=50).fit(x, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    got = MlflowClient(tracking_uri).get_run(run.info.run_id)
    assert got.data.params["max_iter"] == "50"
    assert 0.0 <= got.data.metrics["training_accuracy_score"] <= 1.0
    assert got.data.tags["estimator_name"] == "LogisticRegression"
    heron = heron_run(tracking_uri, run.info.run_id)
    assert heron["config"]["max_iter"] == "50" and "training_accuracy_score" in heron["metrics"]
    # MLflow 3 logged models: a folder of the run's files, loadable by model id and runs:/
    with mlflow.start_run() as run, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's notes on pickles and version labels
        fitted = LogisticRegression(max_iter=50).fit(x, y)
        logged = mlflow.sklearn.log_model(
            fitted, name="clf", serialization_format="skops", pip_requirements=["scikit-learn"]
        )
    assert logged.model_id == f"m-{run.info.run_id}.clf"
    expected = fitted.predict(x[:5]).tolist()
    assert mlflow.sklearn.load_model(logged.model_uri).predict(x[:5]).tolist() == expected
    by_run = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/clf")
    assert by_run.predict(x[:5]).tolist() == expected
    model = MlflowClient(tracking_uri).get_logged_model(logged.model_id)
    assert model.status == "READY" and model.source_run_id == run.info.run_id
    files = httpx.get(f"{tracking_uri}/api/v1/runs/{run.info.run_id}/files").json()
    assert "clf/MLmodel" in {f["path"] for f in files}


def test_errors_have_mlflows_shape(tracking_uri: str) -> None:
    missing = httpx.get(f"{tracking_uri}/api/2.0/mlflow/runs/get", params={"run_id": "nope000000"})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    run = MlflowClient(tracking_uri).create_run("0")
    bad = httpx.post(
        f"{tracking_uri}/api/2.0/mlflow/runs/log-metric",
        json={"run_id": run.info.run_id, "key": "loss", "value": "not a number"},
    )
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    garbage = httpx.post(
        f"{tracking_uri}/api/2.0/mlflow/runs/create",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert garbage.status_code == 400 and garbage.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    unknown = httpx.get(f"{tracking_uri}/api/2.0/mlflow/traces/abc/info")
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    unsupported = httpx.post(
        f"{tracking_uri}/api/2.0/mlflow/runs/restore", json={"run_id": run.info.run_id}
    )
    assert unsupported.status_code == 501 and unsupported.json()["error_code"] == "NOT_IMPLEMENTED"
    ajax = httpx.get(
        f"{tracking_uri}/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}
    )
    assert ajax.json()["experiment"]["name"] == "Default"


def test_heron_import_reads_an_mlflow_server(tracking_uri: str, tmp_path: Path) -> None:
    """``heron import mlflow --tracking-uri http://...``: here the server is Heron's own
    MLflow API, read with MLflow's client like any MLflow server."""
    from heron.connect import connect
    from heron.importers.mlflow import import_mlflow
    from heron.service import Tracking

    client = MlflowClient(tracking_uri)
    experiment = client.create_experiment("to-import")
    run = client.create_run(experiment, run_name="source", tags={"team": "x"})
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, [Metric("m", float(i), now + i, i) for i in range(300)])
    client.log_param(run.info.run_id, "p", "1")
    client.set_terminated(run.info.run_id)
    with connect(tmp_path / "copy", create=True) as conn:
        report = import_mlflow(
            Tracking(conn.store, conn.blobs), tracking_uri, registry=conn.registry
        )
        assert not report.failed, report.failed
        copied = conn.store.get_run(run.info.run_id)
        assert copied.project == "to-import" and copied.name == "source"
        assert copied.config == {"p": "1"} and "team=x" in copied.tags
        assert list(conn.store.history(copied.id)["m"].steps) == list(range(300))
        again = import_mlflow(
            Tracking(conn.store, conn.blobs), tracking_uri, registry=conn.registry
        )
        assert again.runs_imported == 0 and again.points == 0 and again.versions == 0


def test_history_bulk_interval_samples_steps_as_mlflow(tracking_uri: str) -> None:
    from mlflow.utils.rest_utils import http_request

    from heron.server.mlflow.tracking import _sampled_steps

    client = MlflowClient(tracking_uri)
    runs = [client.create_run("0").info.run_id for _ in range(2)]
    for r, run_id in enumerate(runs):
        metrics = [Metric("loss", float(i + r), 1000 + i, i) for i in range(100 + r)]
        client.log_batch(run_id, metrics=metrics)
    creds = client._tracking_client.store.get_host_creds()
    path = "/api/2.0/mlflow/metrics/get-history-bulk-interval"
    params = {"run_ids": runs, "metric_key": "loss", "max_results": 10}
    answer = http_request(creds, path, "GET", params=params)
    assert answer.status_code == 200, answer.text
    got = answer.json()["metrics"]
    by_run = {r: [m["step"] for m in got if m["run_id"] == r] for r in runs}
    # MLflow's sampling: 10 evenly spaced steps of 0..100, the last, each run's ends
    assert by_run[runs[0]] == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]
    assert by_run[runs[1]] == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99, 100]
    assert got[1] == {
        "key": "loss",
        "value": 10.0,
        "timestamp": 1010,
        "step": 10,
        "run_id": runs[0],
    }
    ranged = http_request(creds, path, "GET", params={**params, "start_step": 5, "end_step": 7})
    assert [m["step"] for m in ranged.json()["metrics"]] == [5, 6, 7, 5, 6, 7]
    half = http_request(creds, path, "GET", params={**params, "start_step": 5})
    assert half.status_code == 400 and half.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert list(_sampled_steps([np.arange(3)], 5, None, None)) == [0, 1, 2]


def test_multipart_uploads_fall_back_to_one_put(
    tracking_uri: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD the client asks mpu/create first;
    Heron answers as MLflow does for a store without multipart uploads, and the client
    uploads the file in one PUT."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1")
    (workdir / "big.bin").write_bytes(b"x" * 5000)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(workdir / "big.bin"))
    client = MlflowClient(tracking_uri)
    assert [(f.path, f.file_size) for f in client.list_artifacts(run.info.run_id)] == [
        ("big.bin", 5000)
    ]
    path = f"{run.info.artifact_uri.split(':', 1)[1].lstrip('/')}/x.bin"
    answer = httpx.post(f"{tracking_uri}/api/2.0/mlflow-artifacts/mpu/create/{path}", json={})
    assert answer.status_code == 501 and answer.json()["error_code"] == "NOT_IMPLEMENTED"
    elsewhere = httpx.post(f"{tracking_uri}/api/2.0/mlflow-artifacts/mpu/abort/nope/x", json={})
    assert elsewhere.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_model_registry_edits(tracking_uri: str, workdir: Path) -> None:
    """Version description and tags, deleting a version, renaming and deleting a
    model: through the client, seen in Heron's registry."""
    client = MlflowClient(tracking_uri)
    mlflow.set_experiment("registry-edits")
    (workdir / "m.bin").write_bytes(b"m")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(workdir / "m.bin"), "m")
    source = f"runs:/{run.info.run_id}/m"
    client.create_registered_model("edit-me")
    for _ in range(2):
        client.create_model_version("edit-me", source, run.info.run_id)
    client.set_registered_model_alias("edit-me", "best", "1")
    updated = client.update_model_version("edit-me", "2", description="second")
    assert updated.description == "second"
    client.set_model_version_tag("edit-me", "2", "stage", "qa")
    client.set_model_version_tag("edit-me", "2", "ok", "yes")
    client.delete_model_version_tag("edit-me", "2", "ok")
    assert client.get_model_version("edit-me", "2").tags == {"stage": "qa"}
    with pytest.raises(MlflowException) as missing:
        client.delete_model_version_tag("edit-me", "2", "nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.delete_model_version("edit-me", "1")
    assert [v.version for v in client.search_model_versions("name='edit-me'")] == ["2"]
    assert client.get_registered_model("edit-me").aliases == {}  # the alias went with it
    client.rename_registered_model("edit-me", "edited")
    assert client.get_registered_model("edited").name == "edited"
    heron = httpx.get(f"{tracking_uri}/api/v1/models/edited").json()
    assert heron["latest_version"] == 2
    assert httpx.get(f"{tracking_uri}/api/v1/models/edit-me").status_code == 404
    client.create_registered_model("taken")
    with pytest.raises(MlflowException) as taken:
        client.rename_registered_model("edited", "taken")
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS"
    client.delete_registered_model("edited")
    with pytest.raises(MlflowException) as gone:
        client.get_registered_model("edited")
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert httpx.get(f"{tracking_uri}/api/v1/models/edited").status_code == 404


def test_experiment_tags_delete_and_restore(tracking_uri: str) -> None:
    """Experiment tags and lifecycle are the project's marks: a deleted experiment is
    left out of Heron's project list and of MLflow's active experiments, and comes
    back on restore."""
    client = MlflowClient(tracking_uri)
    exp = client.create_experiment("exp-del", tags={"team": "a"})
    client.set_experiment_tag(exp, "phase", "one")
    client.set_experiment_tag(exp, "gone", "x")
    client.delete_experiment_tag(exp, "gone")
    assert client.get_experiment(exp).tags == {"team": "a", "phase": "one"}
    client.create_run(exp)
    client.delete_experiment(exp)
    assert client.get_experiment(exp).lifecycle_stage == "deleted"
    active = [e.name for e in client.search_experiments()]
    deleted = [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
    assert "exp-del" not in active and deleted == ["exp-del"]
    projects = [p["name"] for p in httpx.get(f"{tracking_uri}/api/v1/projects").json()]
    assert "exp-del" not in projects
    with pytest.raises(MlflowException) as refused:
        client.create_run(exp)
    assert refused.value.error_code == "RESOURCE_CONFLICT"
    client.restore_experiment(exp)
    assert client.get_experiment_by_name("exp-del").lifecycle_stage == "active"
    projects = [p["name"] for p in httpx.get(f"{tracking_uri}/api/v1/projects").json()]
    assert "exp-del" in projects
    with pytest.raises(MlflowException) as missing:
        client.delete_experiment("never-had-runs")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_rename_experiment(tracking_uri: str) -> None:
    """Renaming an experiment renames its project: the id (the project's name) becomes
    the new name, the runs follow; a taken or invalid name is refused."""
    client = MlflowClient(tracking_uri)
    exp = client.create_experiment("exp-old", tags={"team": "a"})
    run = client.create_run(exp).info.run_id
    client.create_experiment("exp-taken")
    client.create_run("exp-taken")
    client.rename_experiment(exp, "exp-old")  # the same name: nothing changes
    client.rename_experiment(exp, "exp-new")
    got = client.get_experiment_by_name("exp-new")
    assert (got.experiment_id, got.tags) == ("exp-new", {"team": "a"})
    assert client.get_experiment_by_name("exp-old") is None
    assert client.get_run(run).info.experiment_id == "exp-new"
    with pytest.raises(MlflowException) as taken:
        client.rename_experiment("exp-new", "exp-taken")
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as bad:
        client.rename_experiment("exp-new", "no spaces")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as missing:
        client.rename_experiment("exp-old", "exp-other")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_a_logged_model_outside_a_run(tracking_uri: str, workdir: Path) -> None:
    """Heron keeps files per run: a logged model made outside any run gets a finished
    run of its own ("model <name>"), which MLflow sees as no source run."""
    from mlflow.entities import LoggedModelStatus

    client = MlflowClient(tracking_uri)
    exp = client.create_experiment("standalone-models")
    made = client.create_logged_model(exp, name="alone", params={"depth": "3"})
    assert made.source_run_id in (None, "")
    (workdir / "weights").mkdir()
    (workdir / "weights" / "w.bin").write_bytes(b"w" * 7)
    client.log_model_artifacts(made.model_id, str(workdir / "weights"))
    client.finalize_logged_model(made.model_id, LoggedModelStatus.READY)
    got = client.get_logged_model(made.model_id)
    assert (got.status, got.params) == (LoggedModelStatus.READY, {"depth": "3"})
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{made.model_id}"))
    assert (local / "w.bin").read_bytes() == b"w" * 7
    [holder] = httpx.get(f"{tracking_uri}/api/v1/runs", params={"project": exp}).json()["runs"]
    assert holder["name"] == "model alone" and holder["state"] == "finished"
    found = client.search_logged_models(experiment_ids=[exp])
    assert [m.model_id for m in found] == [made.model_id]
