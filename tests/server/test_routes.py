"""Every route of docs/rest-api.md, in-process, over SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import pytest

from heron import wire
from heron.artifacts.digest import bytes_digest
from heron.store.base import Batch
from tests.server.asgi import AppClient
from tests.store.helpers import batch

API = "/api/v1"
BATCH = {"content-type": wire.BATCH_CONTENT_TYPE}


def create(client: AppClient, run_id: str = "run0000001", **spec: Any) -> dict[str, Any]:
    response = client.post(f"{API}/runs", json={"id": run_id, "project": "proj", **spec})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def send(client: AppClient, b: Batch, *, gzipped: bool = False) -> dict[str, Any]:
    body = wire.encode_batch(b)
    headers = dict(BATCH)
    if gzipped:
        body, headers["content-encoding"] = gzip.compress(body), "gzip"
    response = client.post(f"{API}/runs/{b.run_id}/batches", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def put_blob(client: AppClient, data: bytes) -> str:
    digest = bytes_digest(data)
    response = client.put(f"{API}/blobs/{digest}", content=data)
    assert response.status_code == 200, response.text
    return digest


def test_create_run_is_idempotent(client: AppClient) -> None:
    first = create(client, config={"lr": 0.1}, tags=["a"])
    again = create(client, config={"lr": 99})
    assert first == again
    assert first["config"] == {"lr": 0.1} and first["tags"] == ["a"]


def test_ingest_exactly_once_and_read_back(client: AppClient) -> None:
    create(client)
    b = batch("run0000001", 3, loss=[1.0, math.nan, -math.inf])
    assert send(client, b) == {"seq": 3, "applied": True}
    assert send(client, b) == {"seq": 3, "applied": False}  # a retry
    assert send(client, batch("run0000001", 4, loss=[0.5]), gzipped=True)["applied"]
    history = client.get(f"{API}/runs/run0000001/history").json()
    assert history["loss"]["values"] == [1.0, "NaN", "-Infinity", 0.5]
    assert history["loss"]["steps"] == [0, 1, 2, 0]
    only = client.get(f"{API}/runs/run0000001/history", params={"keys": ["nope"]}).json()
    assert only == {"nope": {"steps": [], "times": [], "values": []}}
    run = client.get(f"{API}/runs/run0000001").json()
    assert run["metrics"]["loss"]["count"] == 4 and run["ingested_seq"] == 4
    metrics = client.get("/metrics").text
    assert "heron_ingested_points_total 4.0" in metrics
    assert 'heron_ingested_batches_total{outcome="duplicate"} 1.0' in metrics


def test_batch_creates_its_run(client: AppClient) -> None:
    spec = {"type": "create", "spec": {"id": "run0000002", "project": "made"}}
    send(client, batch("run0000002", 1, [spec], acc=[1.0]))
    assert client.get(f"{API}/runs/run0000002").json()["project"] == "made"


def test_list_count_and_search(client: AppClient) -> None:
    for i in range(3):
        create(client, f"run000000{i}", config={"i": i}, system={"host": "h"})
    listed = client.get(f"{API}/runs", params={"project": "proj", "order_by": "config.i"}).json()
    assert [r["config"]["i"] for r in listed["runs"]] == [0, 1, 2]
    assert listed["total"] == 3 and listed["runs"][0]["system"] == {}
    page = client.get(
        f"{API}/runs",
        params={
            "filter": "config.i >= 1",
            "limit": 1,
            "order_by": "-config.i",
            "include_system": True,
        },
    ).json()
    assert page["total"] == 2 and page["runs"][0]["config"]["i"] == 2
    assert page["runs"][0]["system"] == {"host": "h"}
    assert client.get(f"{API}/runs/count", params={"filter": "config.i < 2"}).json() == {"count": 2}
    bad = client.get(f"{API}/runs", params={"filter": "config.i <"})
    assert bad.status_code == 400 and bad.json()["type"].endswith("/FilterSyntaxError")


def test_runs_table(client: AppClient) -> None:
    for i in range(3):
        create(client, f"run000000{i}", config={"lr": 0.1 * (i + 1)})
        send(client, batch(f"run000000{i}", 1, acc=[i, math.nan if i == 2 else i]))
    body = {
        "project": "proj",
        "order_by": ["config.lr"],
        "columns": ["config.lr", "metrics.acc", "summary.none"],
        "limit": 2,
    }
    table = client.post(f"{API}/runs/table", json=body).json()
    assert table["total"] == 3 and table["ids"] == ["run0000000", "run0000001"]
    assert table["columns"]["config.lr"] == pytest.approx([0.1, 0.2])
    assert table["columns"]["metrics.acc"] == [0.0, 1.0]
    assert table["columns"]["summary.none"] == [None, None]
    every = client.post(f"{API}/runs/table", json={"columns": ["metrics.acc"]}).json()
    assert every["columns"]["metrics.acc"][0] == "NaN"  # newest first; NaN as a string
    assert set(every) >= {"names", "states", "groups", "tags", "created_at", "durations"}
    bad = client.post(f"{API}/runs/table", json={"columns": ["lr"]})
    assert bad.status_code == 400 and "config.<path>" in bad.json()["detail"]


def test_patch_run(client: AppClient) -> None:
    create(client, tags=["old"])
    patched = client.patch(
        f"{API}/runs/run0000001",
        json={"name": "new name", "notes": "hi", "add_tags": ["x"], "remove_tags": ["old"]},
    ).json()
    assert (patched["name"], patched["notes"], patched["tags"]) == ("new name", "hi", ["x"])
    bad = client.patch(f"{API}/runs/run0000001", json={"name": ""})
    assert bad.status_code == 400
    unknown = client.patch(f"{API}/runs/run0000001", json={"colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "colour"]
    assert client.patch(f"{API}/runs/nosuchrun0", json={"name": "x"}).status_code == 404


def test_delete_runs(client: AppClient) -> None:
    create(client, "run0000001")
    create(client, "run0000002")
    send(client, batch("run0000002", 1, [{"type": "state", "state": "finished", "time": 1.0}]))
    refused = client.post(f"{API}/runs/delete", json={"ids": ["run0000001", "run0000002"]})
    assert refused.status_code == 409 and "run0000001" in refused.json()["detail"]
    assert client.get(f"{API}/runs/count").json() == {"count": 2}  # all or nothing
    done = client.post(f"{API}/runs/delete", json={"ids": ["run0000001"], "force": True})
    assert done.json() == {"deleted": 1}
    assert client.post(f"{API}/runs/delete", json={"ids": ["run0000002"]}).json() == {"deleted": 1}
    assert client.post(f"{API}/runs/delete", json={"ids": ["gone000001"]}).status_code == 404


def test_heartbeat(client: AppClient) -> None:
    create(client)
    assert client.post(f"{API}/runs/run0000001/heartbeat", json={"at": 123.0}).status_code == 204
    assert client.get(f"{API}/runs/run0000001").json()["heartbeat_at"] == 123.0
    assert client.post(f"{API}/runs/nosuchrun0/heartbeat", json={"at": 1.0}).status_code == 404
    assert client.post(f"{API}/runs/run0000001/heartbeat", json={"at": "x"}).status_code == 422


def test_projects_keys_and_resumable(client: AppClient) -> None:
    create(client, config={"opt": {"lr": 1}}, resume_key="train.py", tags=["sweep"])
    send(client, batch("run0000001", 1, [{"type": "summary", "set": {"best": 1}}], loss=[1.0]))
    projects = client.get(f"{API}/projects").json()
    assert [(p["name"], p["run_count"]) for p in projects] == [("proj", 1)]
    keys = client.get(f"{API}/projects/proj/keys").json()
    assert keys == {
        "config": ["opt.lr"],
        "metrics": ["loss"],
        "summary": ["best"],
        "tags": ["sweep"],
    }
    assert client.get(f"{API}/projects/nope/keys").status_code == 404
    found = client.get(f"{API}/projects/proj/resumable", params={"resume_key": "train.py"})
    assert found.json()["id"] == "run0000001"
    none = client.get(f"{API}/projects/proj/resumable", params={"resume_key": "other.py"})
    assert none.status_code == 200 and none.json() is None


def test_series_downsamples_and_keeps_nonfinite(client: AppClient) -> None:
    create(client)
    values = [float(i % 7) for i in range(5000)]
    values[1234] = math.nan
    epoch = [float(i // 100) for i in range(5000)]
    b = batch("run0000001", 1)
    b.metrics["train/loss"] = batch("r", 0, x=values).metrics["x"]
    b.metrics["epoch"] = batch("r", 0, x=epoch).metrics["x"]
    send(client, b)
    body = {"runs": ["run0000001"], "keys": ["train/loss"], "buckets": 100}
    (s,) = client.post(f"{API}/series", json=body).json()["series"]
    assert s["sampled"] and s["total"] == 5000 and len(s["x"]) == 100
    assert max(s["max"]) == 6.0 and min(s["min"]) == 0.0
    assert s["nonfinite"] == {"x": [1234.0], "y": ["NaN"]}
    zoom = client.post(f"{API}/series", json={**body, "x_min": 10, "x_max": 20}).json()
    assert zoom["series"][0]["x"] == [float(i) for i in range(10, 21)]
    assert not zoom["series"][0]["sampled"]
    by_epoch = client.post(f"{API}/series", json={**body, "x_axis": "epoch"}).json()
    assert by_epoch["series"][0]["x"][0] == 0.0 and by_epoch["series"][0]["x"][-1] == 49.0
    for axis in ("time", "relative_time"):
        out = client.post(f"{API}/series", json={**body, "x_axis": axis}).json()["series"][0]
        assert len(out["x"]) == 100
    rel = client.post(f"{API}/series", json={**body, "x_axis": "relative_time"}).json()
    assert rel["series"][0]["x"][0] < 1e9  # seconds since creation, not epoch time
    missing = client.post(f"{API}/series", json={**body, "runs": ["nosuchrun0"]})
    assert missing.status_code == 404
    for bad in ({"buckets": 0}, {"runs": []}, {"keys": ["a//b"]}, {"x_axis": "bad//axis"}):
        assert client.post(f"{API}/series", json={**body, **bad}).status_code in (400, 422), bad
    reversed_range = client.post(f"{API}/series", json={**body, "x_min": 5, "x_max": 1})
    assert reversed_range.status_code == 400


def test_blobs_put_head_get(client: AppClient) -> None:
    data = b"weights" * 1000
    digest = bytes_digest(data)
    assert client.head(f"{API}/blobs/{digest}").status_code == 404
    stored = client.put(f"{API}/blobs/{digest}", content=data).json()
    assert stored["digest"] == digest and stored["size"] == len(data)
    head = client.head(f"{API}/blobs/{digest}")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
    assert "GMT" in head.headers["last-modified"]
    got = client.get(f"{API}/blobs/{digest}")
    assert got.content == data and got.headers["x-heron-digest"] == digest
    assert got.headers["content-length"] == str(len(data))
    missing = bytes_digest(b"other")
    assert client.get(f"{API}/blobs/{missing}").status_code == 404


def test_blob_digest_mismatch_keeps_nothing(client: AppClient, tmp_path: Path) -> None:
    wrong = bytes_digest(b"expected")
    refused = client.put(f"{API}/blobs/{wrong}", content=b"something else")
    assert refused.status_code == 400 and "nothing was stored" in refused.json()["detail"]
    assert client.head(f"{API}/blobs/{wrong}").status_code == 404
    assert client.head(f"{API}/blobs/{bytes_digest(b'something else')}").status_code == 404
    assert not list((tmp_path / "blobs").rglob("*.part"))


def test_run_files_and_artifacts(client: AppClient) -> None:
    create(client)
    readme, model = put_blob(client, b"# notes"), put_blob(client, b"\x00model")
    events = [
        {"type": "file", "file": {"path": "docs/README.md", "digest": readme, "size": 7}},
        {
            "type": "artifact",
            "name": "model",
            "artifact_type": "model",
            "files": [{"path": "m/weights.bin", "digest": model, "size": 6}],
            "aliases": ["best"],
            "metadata": {"acc": math.inf},
            "time": 1.0,
        },
    ]
    send(client, batch("run0000001", 1, events))
    files = client.get(f"{API}/runs/run0000001/files").json()
    assert files == [{"path": "docs/README.md", "digest": readme, "size": 7}]
    got = client.get(f"{API}/runs/run0000001/files/docs/README.md")
    assert got.content == b"# notes" and got.headers["x-heron-digest"] == readme
    assert client.get(f"{API}/runs/run0000001/files/docs/other.md").status_code == 404
    (version,) = client.get(f"{API}/runs/run0000001/artifacts").json()
    assert version["ref"] == "model:v0" and version["metadata"] == {"acc": "Infinity"}
    assert client.get(f"{API}/runs/run0000001/artifacts", params={"produced": False}).json() == []
    assert client.get(f"{API}/artifacts", params={"project": "proj"}).json() == [version]
    assert client.get(f"{API}/artifacts/{version['id']}").json() == version
    assert client.get(f"{API}/projects/proj/artifacts/model:best").json() == version
    assert client.get(f"{API}/projects/proj/artifacts/model:v9").status_code == 404
    blob = client.get(f"{API}/artifacts/{version['id']}/files/m/weights.bin")
    assert blob.content == b"\x00model"
    assert client.get(f"{API}/artifacts/999999/files/m/weights.bin").status_code == 404
    assert client.get(f"{API}/artifacts/notanumber").status_code == 422


def test_error_shape_is_problem_json(client: AppClient) -> None:
    for response in (
        client.get(f"{API}/runs/nosuchrun0"),
        client.get(f"{API}/no/such/route"),
        client.post(f"{API}/runs", content=b"{bad", headers={"content-type": "application/json"}),
        client.post(f"{API}/runs", json={"id": 5, "project": "p"}),
        client.post(f"{API}/runs/table", json={"limit": "many"}),
        client.request("DELETE", f"{API}/runs/run0000001"),
    ):
        assert response.headers["content-type"] == "application/problem+json", response.text
        problem = response.json()
        assert set(problem) >= {"type", "title", "status", "detail"}
        assert problem["status"] == response.status_code and 400 <= response.status_code < 500
    malformed = client.post(
        f"{API}/runs", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["errors"]
    wrong_type = client.post(f"{API}/runs/table", json={"limit": "many"})
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["loc"] == [
        "body",
        "limit",
    ]


def test_internal_errors_do_not_leak(
    client: AppClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "postgresql://admin:hunter2@db"

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(secret)

    broken_store = type("Broken", (), {"list_projects": broken, "url": ""})()
    monkeypatch.setattr(app.state.heron.tracking, "store", broken_store)  # reads go there
    response = client.get(f"{API}/projects")
    assert response.status_code == 500 and "hunter2" not in response.text
    assert response.json()["type"].endswith("/InternalError")
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ops_endpoints(client: AppClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    client.get(f"{API}/runs/nosuchrun0")
    text = client.get("/metrics").text
    assert 'route="/api/v1/runs/{run_id}",status="404"' in text
    assert "heron_http_request_seconds_bucket" in text and "heron_event_subscribers" in text
    spec = client.get(f"{API}/openapi.json").json()
    assert f"{API}/runs/{{run_id}}/batches" in spec["paths"] and f"{API}/series" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_readyz_fails_when_the_store_is_gone(client: AppClient, app: Any) -> None:
    # Swapped, not closed: the app's poller may hold one of the real store's
    # connections right now, and the fixture closes the store when the app stops.
    real = app.state.heron.store
    app.state.heron.store = type("Gone", (), {"count_runs": _raise, "url": ""})()
    try:
        response = client.get("/readyz")
    finally:
        app.state.heron.store = real
    assert response.status_code == 503 and response.json()["title"] == "Not ready"


def _raise(*_args: Any) -> Any:
    raise ConnectionError("database unreachable")


def test_history_in_the_binary_batch_format_when_asked(client: AppClient) -> None:
    create(client)
    send(client, batch("run0000001", 1, loss=[1.0, math.nan, math.inf, -0.0], acc=[0.5]))
    url = f"{API}/runs/run0000001/history"
    response = client.get(
        url, params={"keys": ["loss", "nope"]}, headers={"accept": BATCH["content-type"]}
    )
    assert response.headers["content-type"] == wire.BATCH_CONTENT_TYPE
    found = wire.decode_batch(response.content).metrics
    assert list(found) == ["loss", "nope"]
    assert found["loss"].steps.tolist() == [0, 1, 2, 3]
    values = found["loss"].values
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == math.inf
    assert math.copysign(1.0, values[3]) == -1.0  # bit for bit, unlike a text format
    assert len(found["nope"]) == 0
    # Without the Accept header: JSON, as before.
    assert client.get(url).headers["content-type"] == "application/json"
