"""The MLflow client against a ``heron server`` with accounts: MLFLOW_TRACKING_TOKEN
(bearer) and MLFLOW_TRACKING_USERNAME/PASSWORD (basic, a Heron token as the password)
work; a project's viewer reads but may not write; no credential is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from tests.server.conftest import ServerFactory

PASSWORD = "correct horse battery"


def test_tokens_and_roles_apply_to_mlflow_clients(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = server_process(
        sqlite_url,
        tmp_path / "blobs",
        "--auth",
        "--admin",
        "root",
        env={"HERON_ADMIN_PASSWORD": PASSWORD},
    ).url
    api = f"{live}/api/v1"
    login = {"name": "root", "password": PASSWORD, "token_name": "mlflow"}
    admin = httpx.post(f"{api}/auth/token", json=login).json()["secret"]
    headers = {"Authorization": f"Bearer {admin}"}
    assert (
        httpx.post(
            f"{api}/users", json={"name": "viewer", "service": True}, headers=headers
        ).status_code
        == 201
    )
    put = httpx.put(
        f"{api}/projects/shared/members/viewer", json={"role": "viewer"}, headers=headers
    )
    assert put.status_code == 200, put.text
    viewer = httpx.post(
        f"{api}/tokens", json={"name": "t", "user": "viewer"}, headers=headers
    ).json()["secret"]

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", admin)  # bearer
    client = MlflowClient(live)
    experiment = client.create_experiment("shared")
    run = client.create_run(experiment, run_name="by-token")
    client.log_metric(run.info.run_id, "loss", 0.5, step=1)
    client.create_registered_model("m")
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "viewer")  # basic: the token is the password
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", viewer)
    as_viewer = MlflowClient(live)
    assert as_viewer.get_run(run.info.run_id).data.metrics == {"loss": 0.5}
    with pytest.raises(MlflowException) as refused:
        as_viewer.log_metric(run.info.run_id, "loss", 0.1, step=2)
    assert refused.value.error_code == "PERMISSION_DENIED"
    writes = [  # the newer writes, each refused to a viewer
        lambda: as_viewer.delete_experiment(experiment),
        lambda: as_viewer.restore_experiment(experiment),
        lambda: as_viewer.set_experiment_tag(experiment, "k", "v"),
        lambda: as_viewer.rename_experiment(experiment, "renamed"),
        lambda: as_viewer.rename_registered_model("m", "m2"),
        lambda: as_viewer.delete_registered_model("m"),
    ]
    for write in writes:
        with pytest.raises(MlflowException) as refused:
            write()
        assert refused.value.error_code == "PERMISSION_DENIED"
    mpu = httpx.post(
        f"{live}/api/2.0/mlflow-artifacts/mpu/create/shared/{run.info.run_id}/artifacts/x.bin",
        json={},
        auth=("viewer", viewer),
    )
    assert mpu.json()["error_code"] == "PERMISSION_DENIED"
    assert as_viewer.get_experiment(experiment).tags == {}
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")

    anonymous = httpx.get(f"{live}/api/2.0/mlflow/runs/get", params={"run_id": run.info.run_id})
    assert anonymous.status_code == 401
