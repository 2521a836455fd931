"""An MLflow store (a local mlruns folder, read with MLflow's own client) into Heron."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from mlflow.entities import Metric

from heron.cli.main import cli
from heron.connect import Connection
from heron.importers.mlflow import import_mlflow
from heron.service import Tracking


@pytest.fixture(scope="module")
def mlruns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A file store with two experiments, three runs and a registered model (written
    once for the module; each test imports it into its own store)."""
    tmp_path = tmp_path_factory.mktemp("mlflow")
    uri = (tmp_path / "mlruns").as_uri()
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 calls its file store deprecated
        warnings.simplefilter("ignore")
        client = MlflowClient(uri, registry_uri=uri)
        exp = client.create_experiment("my experiment/one")
        run = client.create_run(
            exp, run_name="first", tags={"team": "vision", "mlflow.user": "ann"}
        )
        rid = run.info.run_id
        client.log_batch(
            rid,
            metrics=[Metric("loss", 1.0 / (i + 1), 1_700_000_000_000 + i, i) for i in range(2500)],
        )
        client.log_param(rid, "lr", "0.1")
        (tmp_path / "model").mkdir()
        (tmp_path / "model" / "w.bin").write_bytes(b"weights")
        client.log_artifacts(rid, str(tmp_path / "model"), "model")
        client.set_terminated(rid, "FINISHED", end_time=1_700_000_100_000)
        other = client.create_run(exp, run_name="second")
        client.log_metric(other.info.run_id, "acc", 0.5, step=3)
        client.set_terminated(other.info.run_id, "FAILED")
        client.create_run("0", run_name="in-default")
        client.create_registered_model("clf", tags={"k": "v"})
        version = client.create_model_version("clf", f"runs:/{rid}/model", rid)
        client.set_registered_model_alias("clf", "champion", version.version)
        client.transition_model_version_stage("clf", version.version, "Staging")
        yield uri


def test_runs_metrics_artifacts_and_models(
    mlruns: str, tracking: Tracking, heron: Connection
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = import_mlflow(tracking, mlruns, registry=heron.registry)
    assert report.runs_imported == 3 and not report.failed, report
    assert report.points == 2501 and report.files == 1
    runs = {r.name: r for r in heron.store.search_runs(None)}
    first = runs["first"]
    assert first.project == "my_experiment_one" and runs["in-default"].project == "Default"
    assert first.config == {"lr": "0.1"} and "team=vision" in first.tags
    assert first.system["mlflow"]["tags"]["mlflow.user"] == "ann"
    assert first.state == "finished" and first.ended_at == pytest.approx(1_700_000_100)
    assert runs["second"].state == "failed"
    loss = heron.store.history(first.id)["loss"]
    assert list(loss.steps) == list(range(2500)) and loss.times[0] == pytest.approx(1_700_000_000)
    assert [f.path for f in heron.store.run_files(first.id)] == ["model/w.bin"]
    model = heron.registry.get_model("clf")
    assert model.tags == {"k": "v"} and model.aliases == {"champion": 1}
    assert heron.registry.get_version("clf", 1).stage == "staging"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = import_mlflow(tracking, mlruns, registry=heron.registry)
    assert (again.runs_imported, again.runs_skipped, again.points, again.versions) == (0, 3, 0, 0)
    assert len(heron.registry.versions("clf")) == 1


def test_the_command(mlruns: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(
            cli, ["--dir", str(store), "import", "mlflow", "--tracking-uri", mlruns]
        )
    assert result.exit_code == 0, result.output
    assert "imported 3 run(s), 2,501 point(s), 1 file(s)" in result.output
    assert "1 model(s), 1 version(s)" in result.output
