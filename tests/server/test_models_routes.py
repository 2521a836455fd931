"""The registry's REST routes in-process over SQLite and PostgreSQL, and heron.models in
remote mode (HERON_URL) against a real ``heron server`` subprocess."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi import FastAPI
from pydantic import TypeAdapter

from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput
from heron.registry import wire as rwire
from heron.registry.base import (
    STAGES,
    Delivery,
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
    Webhook,
)
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client
from tests.server.conftest import ServerFactory
from tests.store.helpers import new_run

API = "/api/v1"


def upload(client: AppClient, tmp_path: Path, content: bytes) -> dict[str, Any]:
    from heron.artifacts.digest import bytes_digest

    digest = bytes_digest(content)
    answer = client.put(f"{API}/blobs/{digest}", content=content)
    assert answer.status_code == 200, answer.text
    return {"path": "model.bin", "digest": digest, "size": len(content)}


def new_version(client: AppClient, run_id: str, tmp_path: Path, content: bytes) -> dict[str, Any]:
    body = {"run_id": run_id, "files": [upload(client, tmp_path, content)], "single_file": True}
    answer = client.post(f"{API}/models/clf/versions", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_lifecycle_over_http(client: AppClient, store: SqlStore, tmp_path: Path) -> None:
    run = new_run(store, "vision", config={"lr": 0.1})
    made = [new_version(client, run.id, tmp_path, f"w{i}".encode()) for i in range(3)]
    assert [v["version"] for v in made] == [1, 2, 3]
    assert made[0]["uri"] == "models:/clf/1" and made[0]["run_id"] == run.id

    for version in (1, 2, 3):
        moved = client.post(
            f"{API}/models/clf/transitions",
            json={"version": version, "stage": "Production", "reason": "r"},
        )
        assert moved.status_code == 200 and moved.json()["stage"] == "production"
    alias = client.post(f"{API}/models/clf/aliases", json={"version": 2, "alias": "champion"})
    assert alias.json()["aliases"] == ["champion"]
    back = client.post(f"{API}/models/clf/rollback", json={"stage": "production"})
    assert back.json()["version"]["version"] == 2
    back = client.post(f"{API}/models/clf/rollback", json={"stage": "production"})
    assert back.json()["version"]["version"] == 1
    nothing = client.post(f"{API}/models/clf/rollback", json={"stage": "production"})
    assert nothing.status_code == 409 and nothing.json()["type"].endswith("/Conflict")

    model = client.get(f"{API}/models/clf").json()
    assert model["latest_version"] == 3 and model["stages"]["production"] == [1]
    assert model["aliases"] == {"champion": 2}
    assert [m["name"] for m in client.get(f"{API}/models").json()] == ["clf"]
    versions = client.get(f"{API}/models/clf/versions").json()
    assert [v["version"] for v in versions] == [3, 2, 1]
    detail = client.get(f"{API}/models/clf/versions/2").json()
    assert detail["artifact"]["type"] == "model" and detail["artifact"]["created_by"] == run.id
    assert detail["run"]["id"] == run.id and detail["run"]["config"] == {"lr": 0.1}
    resolved = client.get(f"{API}/models/clf/resolve", params={"ref": "champion"}).json()
    assert resolved["version"] == 2
    history = client.get(f"{API}/models/clf/history").json()
    assert [h["id"] for h in history] == sorted(h["id"] for h in history)
    assert sum(h["rollback_of"] is not None for h in history) == 4
    removed = client.request("DELETE", f"{API}/models/clf/aliases/champion", params={"reason": "x"})
    assert removed.status_code == 204
    assert client.get(f"{API}/models/clf/history").json()[-1]["reason"] == "x"


def test_models_can_be_created_and_edited(client: AppClient) -> None:
    made = client.post(
        f"{API}/models",
        json={
            "name": "reg",
            "description": "d",
            "tags": {"team": "cv"},
            "protected": ["production"],
        },
    )
    assert made.status_code == 201 and made.json()["protected"] == ["production"]
    again = client.post(f"{API}/models", json={"name": "reg"})
    assert again.status_code == 409
    patched = client.patch(f"{API}/models/reg", json={"description": "new"})
    assert patched.json()["description"] == "new" and patched.json()["tags"] == {"team": "cv"}


def test_bad_requests_get_problem_json(client: AppClient, store: SqlStore, tmp_path: Path) -> None:
    run = new_run(store)
    missing = client.get(f"{API}/models/nope")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    unknown_blob = {"path": "m.bin", "digest": "sha256:" + "a" * 64, "size": 1}
    refused = client.post(
        f"{API}/models/clf/versions", json={"run_id": run.id, "files": [unknown_blob]}
    )
    assert refused.status_code == 400 and "PUT /blobs" in refused.json()["detail"]
    neither = client.post(f"{API}/models/clf/versions", json={"run_id": run.id})
    assert neither.status_code == 400
    new_version(client, run.id, tmp_path, b"w")
    stage = client.post(f"{API}/models/clf/transitions", json={"version": 1, "stage": "prod"})
    assert stage.status_code == 400 and "not one of" in stage.json()["detail"]
    extra = client.post(
        f"{API}/models/clf/transitions", json={"version": 1, "stage": "staging", "x": 1}
    )
    assert extra.status_code in (400, 422)
    assert client.get(f"{API}/models/clf/history").json() == []


def test_webhook_routes(client: AppClient) -> None:
    refused = client.post(
        f"{API}/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["stage-changed"], "secret": "x" * 20},
    )
    assert refused.status_code == 400 and "loopback" in refused.json()["detail"]
    assert client.get(f"{API}/webhooks").json() == []
    assert client.get(f"{API}/webhooks/1/deliveries").status_code == 404
    assert client.request("DELETE", f"{API}/webhooks/1").status_code == 404


def test_routes_are_in_the_openapi_document(client: AppClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/api/v1/models",
        "/api/v1/models/{name}/transitions",
        "/api/v1/models/{name}/rollback",
        "/api/v1/webhooks",
    ):
        assert path in paths


def test_heron_models_in_remote_mode(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heron.models import Models
    from heron.settings import Settings
    from heron.store import open_store

    live = server_process(sqlite_url, tmp_path / "blobs")
    with open_store(sqlite_url) as store:
        run = new_run(store, "remote")
    weights = tmp_path / "w.pt"
    torch.save({"w": torch.ones(2)}, weights)
    settings = Settings(dir=tmp_path / "client", url=live.url)
    with Models.open(settings=settings) as models:
        made = models.register(run.id, weights, name="net")
        assert made.version == 1 and made.run_id == run.id
        models.transition("net", 1, "production", reason="remote")
        models.set_alias("net", 1, "champion")
        state = models.load("models:/net@champion")
        assert torch.equal(state["w"], torch.ones(2))
        assert models.load("models:/net/Production")["w"].shape == (2,)
        assert models.history("net")[0].reason == "remote"
        from heron.errors import Conflict

        with pytest.raises(Conflict, match="nothing to roll back to"):
            models.rollback("net", stage="production")
        assert (tmp_path / "client" / "cache" / "models").is_dir()
    blobs = LocalArtifactStore(tmp_path / "blobs")
    assert any(True for _ in blobs.blobs())


def test_the_registry_is_built_with_the_app_and_stopped_with_it(app: FastAPI) -> None:
    from heron.registry.sql import SqlRegistry

    state = app.state.heron
    assert isinstance(state.registry, SqlRegistry)  # before any request
    dispatcher = state.webhooks
    assert dispatcher is not None and not dispatcher.closed
    with app_client(app) as client:
        assert client.get(f"{API}/models").status_code == 200
        assert app.state.heron.registry is state.registry  # one registry per app
    assert dispatcher.closed  # its delivery threads are gone with the app


def test_request_bodies_are_the_registry_requests(client: AppClient) -> None:
    document = client.get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("NewModel", "ModelUpdate", "NewVersion", "Transition", "AliasMove", "Rollback"):
        assert name in schemas, name
    assert set(schemas["Transition"]["properties"]) == {
        "version",
        "stage",
        "reason",
        "archive_existing",
    }
    assert set(schemas["Transition"]["required"]) == {"version", "stage"}
    body = document["paths"]["/api/v1/models/{name}/transitions"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/Transition")
    assert "secret" in schemas["NewWebhook"]["properties"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/models", {"name": "m", "owner": "x"}),
        ("/models/m/transitions", {"version": "one", "stage": "staging"}),
        ("/models/m/transitions", {"stage": "staging"}),
        ("/models/m/aliases", {"version": 1}),
        ("/models/m/versions", {"files": "not a list"}),
        ("/webhooks", {"url": "https://x.example/", "events": ["version-created"]}),
    ],
)
def test_malformed_bodies_are_refused_before_the_registry(
    client: AppClient, path: str, body: dict[str, Any]
) -> None:
    answer = client.post(f"{API}{path}", json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{API}/models").json() == []


def test_every_registry_answer_is_declared(client: AppClient) -> None:
    document = client.get(f"{API}/openapi.json").json()
    answers = {
        ("get", "/models", "200"): "Model",
        ("post", "/models", "201"): "Model",
        ("patch", "/models/{name}", "200"): "Model",
        ("get", "/models/{name}/versions/{version}", "200"): "VersionDetail",
        ("get", "/models/{name}/resolve", "200"): "VersionDetail",
        ("post", "/models/{name}/versions", "201"): "ModelVersion",
        ("post", "/models/{name}/rollback", "200"): "RollbackResult",
        ("get", "/models/{name}/history", "200"): "HistoryEntry",
        ("post", "/webhooks", "201"): "Webhook",
        ("get", "/webhooks/{webhook_id}/deliveries", "200"): "Delivery",
    }
    for (method, path, status), name in answers.items():
        responses = document["paths"][API + path][method]["responses"]
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema.get("items", schema) == {"$ref": f"#/components/schemas/{name}"}, path
        assert responses["4XX"]["content"]["application/problem+json"]
    schemas = document["components"]["schemas"]
    detail = schemas["VersionDetail"]["properties"]
    assert detail["artifact"] == {"$ref": "#/components/schemas/Artifact"}
    assert detail["run"]["anyOf"] == [{"$ref": "#/components/schemas/Run"}, {"type": "null"}]
    assert schemas["ModelVersion"]["properties"]["stage"]["enum"] == list(STAGES)
    assert "secret" not in schemas["Webhook"]["properties"]


def _samples() -> list[Any]:
    model = RegisteredModel(
        "m", "d", {"k": "v"}, ("production",), "me", 1.0, 2.5, 3, {"staging": (2, 3)}, {"a": 3}
    )
    version = ModelVersion(
        "m", 3, "staging", ("a",), "d", {"k": "v"}, "run1", 7, "sha256:" + "0" * 64, "me", 1.0, 2.0
    )
    entry = HistoryEntry(1, "m", 3, "alias", "a", None, "3", "me", True, "why", 4.0, None)
    hook = Webhook(2, None, "https://x.example/h", ("stage-changed",), "me", 5.0)
    delivery = Delivery(9, 2, "dlv", "stage-changed", 1, "retrying", None, "refused", 6.0)
    return [model, version, entry, hook, delivery]


@pytest.mark.parametrize("value", _samples(), ids=lambda v: type(v).__name__)
def test_the_codecs_keep_every_field_in_order(value: Any) -> None:
    """What the routes send is what ``asdict`` gave before the answers were declared
    (the same fields, in the dataclass's order, ``uri`` last), and the client reads it
    back whole."""
    codecs = {
        RegisteredModel: (rwire.model_to_json, rwire.model_from_json, rwire.Model),
        ModelVersion: (rwire.version_to_json, rwire.version_from_json, rwire.ModelVersion),
        HistoryEntry: (rwire.history_to_json, rwire.history_from_json, rwire.HistoryEntry),
        Webhook: (rwire.webhook_to_json, rwire.webhook_from_json, rwire.Webhook),
        Delivery: (rwire.delivery_to_json, rwire.delivery_from_json, rwire.Delivery),
    }
    encode, decode, declared = codecs[type(value)]
    out = encode(value)
    expected = list(asdict(value)) + (["uri"] if isinstance(value, ModelVersion) else [])
    assert list(out) == expected == list(declared.__annotations__)
    assert decode(json.loads(json.dumps(out))) == value
    TypeAdapter(declared).validate_json(json.dumps(out), strict=True)


def test_a_rollback_result_round_trips() -> None:
    version = _samples()[1]
    assert rwire.rollback_from_json(rwire.rollback_to_json(None)) is None
    sent = json.loads(json.dumps(rwire.rollback_to_json(version)))
    assert rwire.rollback_from_json(sent) == version
    with pytest.raises(InvalidInput, match="version"):
        rwire.rollback_from_json({})


def test_a_version_outlives_its_run(client: AppClient, store: SqlStore, tmp_path: Path) -> None:
    run = new_run(store, "vision")
    new_version(client, run.id, tmp_path, b"w")
    gone = client.post(f"{API}/runs/delete", json={"ids": [run.id], "force": True})
    assert gone.status_code == 200, gone.text
    detail = client.get(f"{API}/models/clf/versions/1").json()  # checked against its schema
    assert detail["run"] is None and detail["run_id"] == run.id
    assert detail["artifact"]["id"] == detail["artifact_id"]
