"""The OpenAPI document declares what every route takes and answers; non-finite numbers
are declared as the strings they travel as; every pre-encoded answer matches its schema."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from heron import wire
from heron.registry.egress import EgressPolicy
from heron.server import openapi_docs
from heron.server.app import create_app
from heron.server.models import Chart
from heron.settings import Settings
from tests.server.asgi import AppClient, app_client
from tests.server.schemas import check_answer, matches, route_of
from tests.server.test_routes import API, put_blob, send
from tests.store.helpers import batch

# Tags whose routes may leave their answers undeclared: none (the model registry's
# answers are declared in heron.registry.wire).
PENDING_TAGS: set[str] = set()
_REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi_docs.openapi()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if not PENDING_TAGS & set(operation.get("tags", ())):
                yield method.upper(), path, operation


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def names_a_schema(schema: dict[str, Any]) -> bool:
    """The schema is (a list, map or optional of) a declared object, not ``{}`` or a
    bare ``object``."""
    return _REF in json.dumps(schema)


def test_every_json_route_declares_its_answer(spec: dict[str, Any]) -> None:
    missing = []
    for method, path, operation in operations(spec):
        for status, answer in operation["responses"].items():
            if not status.startswith("2") or status == "204" or method == "HEAD":
                continue
            content = answer.get("content")
            if not content:
                missing.append(f"{method} {path} {status}: no answer declared")
            for media_type, body in (content or {}).items():
                schema = body.get("schema")
                if not schema:
                    missing.append(f"{method} {path} {status} {media_type}: no schema")
                elif is_json(media_type) and not names_a_schema(schema):
                    missing.append(f"{method} {path} {status}: undeclared JSON {schema}")
    assert not missing, "\n".join(missing)


def test_every_request_body_is_declared(spec: dict[str, Any]) -> None:
    bodies = 0
    for method, path, operation in operations(spec):
        for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
            bodies += 1
            schema = body.get("schema")
            assert schema, f"{method} {path}: {media_type} body without a schema"
            if is_json(media_type):
                assert names_a_schema(schema), f"{method} {path}: undeclared JSON body"
    assert bodies >= 10


def test_every_api_route_declares_its_errors_as_problems(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        if not path.startswith(API):
            continue
        for status in ("4XX", "5XX"):
            content = operation["responses"][status]["content"]
            schema = content["application/problem+json"]["schema"]
            assert schema == {"$ref": _REF + "Problem"}, (method, path, status)
        assert "422" not in operation["responses"], f"{method} {path}: FastAPI's 422 shape"


def test_only_the_registry_is_pending(spec: dict[str, Any]) -> None:
    for path, methods in spec["paths"].items():
        for operation in methods.values():
            if PENDING_TAGS & set(operation.get("tags", ())):
                assert path.startswith((f"{API}/models", f"{API}/webhooks")), path


def test_non_finite_numbers_are_declared_as_strings_too(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["WireFloat"] == {
        "anyOf": [
            {"type": "number"},
            {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]},
        ]
    }
    wire_float = {"$ref": _REF + "WireFloat"}
    for name, field in [
        ("RunMetric", "last"),
        ("RunMetric", "min"),
        ("RunMetric", "max"),
        ("RunMetric", "value"),
    ]:
        assert schemas[name]["properties"][field] == wire_float, (name, field)
    for name, field in [
        ("SeriesPoints", "values"),
        ("ChartSeries", "x"),
        ("ChartSeries", "y"),
        ("ChartSeries", "min"),
        ("ChartSeries", "max"),
        ("NonFinitePoints", "x"),
        ("NonFinitePoints", "y"),
    ]:
        assert schemas[name]["properties"][field]["items"] == wire_float, (name, field)
    assert wire_float in schemas["TableCell"]["anyOf"]


def test_a_float_field_refuses_a_spelled_nan() -> None:
    """What makes the answer checks mean something: a field declared ``number`` that
    gets ``"NaN"`` fails, so every field that may be non-finite must say so."""
    good = {"series": [_chart_series(x=[1.0], y=["NaN"])]}
    matches(Chart, json.dumps(good).encode())
    bad = {"series": [{**_chart_series(x=[1.0], y=[1.0]), "total": "NaN"}]}
    with pytest.raises(ValueError, match="total"):
        matches(Chart, json.dumps(bad).encode())
    extra = {"series": [{**_chart_series(x=[], y=[]), "colour": "red"}]}
    with pytest.raises(AssertionError, match="colour"):
        matches(Chart, json.dumps(extra).encode())


def _chart_series(x: list[Any], y: list[Any]) -> dict[str, Any]:
    return {
        "run": "r",
        "key": "k",
        "total": len(y),
        "sampled": False,
        "x": x,
        "y": y,
        "min": y,
        "max": y,
        "nonfinite": {"x": [], "y": []},
    }


def json_routes(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for method, path, operation in operations(spec)
        for status, answer in operation["responses"].items()
        if status.startswith("2") and any(map(is_json, answer.get("content", {})))
    }


def test_every_pre_encoded_answer_matches_its_schema(
    client: AppClient, app: FastAPI, spec: dict[str, Any], tmp_path: Path
) -> None:
    """Each JSON route once, over data with NaN and infinities everywhere they may be."""
    checked: set[tuple[str, str]] = set()

    def call(method: str, url: str, **kwargs: Any) -> Any:
        response = client.request(method, url, **kwargs)
        assert response.status_code in (200, 201), response.text
        assert check_answer(app, response), f"{method} {url}: nothing was checked"
        found = route_of(app, method, response.request.url.path)
        assert found is not None
        checked.add((method, found[1]))
        return response.json()

    run = "run0000001"
    spec_body = {"id": run, "project": "proj", "config": {"lr": 0.1, "odd": "NaN"}}
    assert call("POST", f"{API}/runs", json=spec_body)["config"]["odd"] == "NaN"
    model = put_blob(client, b"weights")
    events = [
        {"type": "summary", "set": {"best": math.inf}, "unset": []},
        {"type": "file", "file": {"path": "notes.txt", "digest": model, "size": 7}},
        {
            "type": "artifact",
            "name": "model",
            "artifact_type": "model",
            "files": [{"path": "w.bin", "digest": model, "size": 7}],
            "aliases": ["best"],
            "metadata": {"acc": math.nan},
            "time": 1.0,
        },
        {"type": "console", "stream": "stdout", "time": 1.0, "lines": ["hello"]},
        {"type": "alert", "title": "hello", "text": "", "level": "info", "time": 1.0},
        {"type": "media", "key": "img", "step": 0, "kind": "image", "digest": model, "size": 7},
    ]
    loss = [1.0, math.nan, math.inf, -math.inf, 0.5]
    ingested = call(
        "POST",
        f"{API}/runs/{run}/batches",
        content=wire.encode_batch(batch(run, 1, events, loss=loss, epoch=[0, 0, 1, 1, 2])),
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert ingested == {"seq": 1, "applied": True}
    send(client, batch("run0000002", 1, [_create("run0000002")], loss=[2.0]))

    got = call("GET", f"{API}/runs/{run}")
    assert got["metrics"]["loss"]["max"] == "Infinity" and got["summary"]["best"] == "Infinity"
    call("GET", f"{API}/runs", params={"project": "proj", "include_system": True})
    call("GET", f"{API}/runs/count")
    table = call(
        "POST",
        f"{API}/runs/table",
        json={"columns": ["metrics.loss", "max(metrics.loss)", "config.lr", "summary.best"]},
    )
    assert "Infinity" in table["columns"]["max(metrics.loss)"]
    call("PATCH", f"{API}/runs/{run}", json={"add_tags": ["t"]})
    history = call("GET", f"{API}/runs/{run}/history")
    assert history["loss"]["values"][1:4] == ["NaN", "Infinity", "-Infinity"]
    for axis in ("step", "epoch"):  # block summaries, then whole series
        body = {"runs": [run], "keys": ["loss"], "x_axis": axis, "buckets": 2}
        chart = call("POST", f"{API}/series", json=body)
        assert chart["series"][0]["nonfinite"]["y"]
    call("GET", f"{API}/projects")
    call("GET", f"{API}/projects/proj/keys")
    call("GET", f"{API}/projects/proj/resumable", params={"resume_key": "none"})
    renamed = call("POST", f"{API}/projects/proj/rename", json={"new_name": "proj2"})
    assert renamed["moved"]["projects"] == 1
    call("POST", f"{API}/projects/proj2/rename", json={"new_name": "proj"})  # back
    call("GET", f"{API}/runs/{run}/files")
    (version,) = call("GET", f"{API}/runs/{run}/artifacts")
    assert version["metadata"] == {"acc": "NaN"}
    call("GET", f"{API}/artifacts", params={"project": "proj"})
    call("GET", f"{API}/artifacts/{version['id']}")
    call("GET", f"{API}/projects/proj/artifacts/model:best")
    call("PUT", f"{API}/blobs/{model}", content=b"weights")
    call("GET", f"{API}/runs/{run}/console")
    assert call("GET", f"{API}/runs/{run}/media")[0]["kind"] == "image"
    assert call("GET", f"{API}/runs/{run}/media/items", params={"key": "img"})[0]["refs"] == []
    call("POST", f"{API}/runs/{run}/crashed", json={"at": 2.0, "reason": "gone"})
    app.state.heron.registry.egress = EgressPolicy.parse("127.0.0.1:9")  # for a webhook
    _registry(call, run, model)
    _lineage(call, run)
    _views(call, client)
    bulk = {"action": "add_tags", "tags": ["x"], "ids": [run, "nosuchrun0"]}
    assert call("POST", f"{API}/projects/proj/runs/bulk", json=bulk)["failed"]
    call("POST", f"{API}/runs/delete", json={"ids": ["run0000002"], "force": True})
    _alerts(call)
    _reports_and_comments(call, run)
    call("GET", "/healthz")
    call("GET", "/readyz")
    _sweeps_and_analysis(call, client, app)

    _accounts(checked, app, tmp_path)  # on the same store, with accounts on

    assert checked == json_routes(spec), "a JSON route is not exercised here"

    # Errors are checked against Problem by the client, whatever the route.
    for response in (
        client.get(f"{API}/runs/nosuchrun0"),
        client.post(f"{API}/runs/table", json={"limit": "many"}),
    ):
        assert check_answer(app, response) and response.status_code in (404, 422)


def _registry(call: Any, run: str, blob: str) -> None:
    """The model registry's routes, over a version of ``run`` (whose detail holds the
    run, infinities and all)."""
    files = [{"path": "w.bin", "digest": blob, "size": 7}]
    made = call("POST", f"{API}/models/clf/versions", json={"run_id": run, "files": files})
    assert made["uri"] == "models:/clf/1"
    call("POST", f"{API}/models", json={"name": "other", "tags": {"team": "cv"}})
    call("PATCH", f"{API}/models/other", json={"description": "d"})
    call("GET", f"{API}/models")
    call("GET", f"{API}/models/clf")
    call("GET", f"{API}/models/clf/versions")
    detail = call("GET", f"{API}/models/clf/versions/1")
    assert detail["run"]["metrics"]["loss"]["max"] == "Infinity"
    assert detail["artifact"]["metadata"] == {}
    call("GET", f"{API}/models/clf/resolve", params={"ref": "latest"})
    call("POST", f"{API}/models/clf/transitions", json={"version": 1, "stage": "staging"})
    call("POST", f"{API}/models/clf/aliases", json={"version": 1, "alias": "best"})
    call("POST", f"{API}/models/clf/versions", json={"run_id": run, "files": files})
    call("POST", f"{API}/models/clf/aliases", json={"version": 2, "alias": "best"})
    back = call("POST", f"{API}/models/clf/rollback", json={"alias": "best"})
    assert back["version"]["version"] == 1
    history = call("GET", f"{API}/models/clf/history")
    assert [h["kind"] for h in history] == ["stage", "alias", "alias", "alias"]
    hook = {"url": "http://127.0.0.1:9/h", "events": ["stage-changed"], "secret": "s" * 20}
    made = call("POST", f"{API}/webhooks", json={**hook, "model": "other"})
    assert call("GET", f"{API}/webhooks")[0]["events"] == ["stage-changed"]
    assert call("GET", f"{API}/webhooks/{made['id']}/deliveries") == []


def _lineage(call: Any, run: str) -> None:
    """The lineage routes, over the run and model version above."""
    assert call("GET", f"{API}/runs/{run}/lineage")["root"] == f"run:{run}"
    call("GET", f"{API}/models/clf/versions/1/lineage", params={"depth": 1})
    assert call("GET", f"{API}/models/clf/training-data", params={"ref": "best"})["version"] == 1
    assert call("GET", f"{API}/datasets/sha256:{'0' * 64}/runs") == []


def _views(call: Any, client: AppClient) -> None:
    """The saved-view routes: create, list, read, change, delete."""
    state = {"panels": [{"kind": "line", "keys": ["loss"]}], "filter": "config.lr < 1"}
    view = call("POST", f"{API}/projects/proj/views", json={"name": "main", "state": state})
    assert call("GET", f"{API}/projects/proj/views")[0]["id"] == view["id"]
    assert call("GET", f"{API}/projects/proj/views/{view['id']}")["state"] == state
    call("PATCH", f"{API}/projects/proj/views/{view['id']}", json={"name": "renamed"})
    assert client.delete(f"{API}/projects/proj/views/{view['id']}").status_code == 204


def _sweeps_and_analysis(call: Any, client: AppClient, app: FastAPI) -> None:
    """The sweep routes over a study with a complete and a running trial, and the
    analysis routes over the runs above."""
    import uuid

    name = "s-" + uuid.uuid4().hex[:8]
    spec = {"name": name, "project": "proj", "metric": "loss", "run_cap": 4}
    spec["parameters"] = {"x": {"min": 0.0, "max": 1.0}}
    assert call("POST", f"{API}/sweeps", json={"spec": spec})["name"] == name
    for _ in range(3):  # the agent's routes: claim, beat, report, tell
        ticket = call("POST", f"{API}/sweeps/{name}/claim", json={"agent": "a"})["trial"]
        beat = client.post(f"{API}/sweeps/{name}/beat", json={"trial": ticket["number"]})
        assert beat.status_code == 204, beat.text
        report = {"trial": ticket["number"], "points": [[0, 1.0]]}
        assert call("POST", f"{API}/sweeps/{name}/report", json=report)["prune"] is False
        tell = {"trial": ticket["number"], "outcome": "complete", "value": ticket["params"]["x"]}
        assert client.post(f"{API}/sweeps/{name}/tell", json=tell).status_code == 204
    call("POST", f"{API}/sweeps/{name}/claim", json={})
    call("GET", f"{API}/sweeps")
    assert call("GET", f"{API}/sweeps/{name}")["trials"][3]["status"] == "running"
    call("GET", f"{API}/sweeps/{name}/importance")
    call("POST", f"{API}/sweeps/{name}/status", json={"status": "stopped"})
    for n, (group, loss) in enumerate([("a", 1.0), ("a", 1.5), ("b", 2.0), ("b", 2.2)]):
        create = {"type": "create", "spec": {"id": f"cmp000000{n}", "project": "proj"}}
        create["spec"]["group"] = group
        send(client, batch(f"cmp000000{n}", 1, [create], loss=[loss]))
    body = {"metric": "loss", "a": 'group = "a"', "b": 'group = "b"'}
    assert call("POST", f"{API}/projects/proj/analysis/compare", json=body)["n_a"] == 2
    call("POST", f"{API}/projects/proj/analysis/importance", json={"metric": "loss"})
    call("POST", f"{API}/projects/proj/analysis/groups", json={})


def _reports_and_comments(call: Any, run: str) -> None:
    """A project's reports and a run's comments."""
    made = call("POST", f"{API}/projects/proj/reports", json={"title": "t", "body": "# x"})
    call("PATCH", f"{API}/projects/proj/reports/{made['id']}", json={"body": "y"})
    call("GET", f"{API}/projects/proj/reports/{made['id']}")
    call("GET", f"{API}/projects/proj/reports")
    said = call("POST", f"{API}/runs/{run}/comments", json={"body": "hello"})
    call("PATCH", f"{API}/runs/{run}/comments/{said['id']}", json={"body": "hi"})
    call("GET", f"{API}/runs/{run}/comments")


def _alerts(call: Any) -> None:
    """The alert routes (``run.alert`` from a batch raised one in project proj)."""
    rule = call("POST", f"{API}/projects/proj/alert-rules", json={"name": "n", "kind": "nan"})
    call("PATCH", f"{API}/projects/proj/alert-rules/{rule['id']}", json={"enabled": True})
    call("GET", f"{API}/projects/proj/alert-rules")
    call("GET", f"{API}/alerts/unread")
    assert call("GET", f"{API}/projects/proj/alerts")[0]["title"] == "hello"
    call("GET", f"{API}/projects/proj/alerts/deliveries")
    call("POST", f"{API}/projects/proj/alerts/read", json={"ids": None})


def _accounts(checked: set[tuple[str, str]], plain: FastAPI, tmp_path: Path) -> None:
    """The account routes, on a server over the same store with accounts on."""
    state = plain.state.heron
    settings = Settings(admin_user="root", admin_password="correct horse battery")
    app = create_app(state.store, state.artifacts, settings, static_dir=tmp_path, auth=True)
    with app_client(app) as client:

        def call(method: str, url: str, **kwargs: Any) -> Any:
            response = client.request(method, url, **kwargs)
            assert response.status_code in (200, 201), response.text
            assert check_answer(app, response), f"{method} {url}: nothing was checked"
            found = route_of(app, method, response.request.url.path)
            assert found is not None
            checked.add((method, found[1]))
            return response.json()

        assert call("GET", f"{API}/auth/config")["auth"] is True
        login = {"name": "root", "password": "correct horse battery"}
        assert call("POST", f"{API}/auth/login", json=login)["site_admin"] is True
        assert call("GET", f"{API}/auth/me")["name"] == "root"  # by the session cookie
        call("POST", f"{API}/users", json={"name": "ci", "service": True})
        call("PATCH", f"{API}/users/ci", json={"email": "ci@example.com"})
        call("GET", f"{API}/users")
        call("GET", f"{API}/users/ci")
        issued = call("POST", f"{API}/tokens", json={"name": "deploy", "user": "ci"})
        assert issued["secret"].startswith("heron_")
        call("GET", f"{API}/tokens", params={"user": "ci"})
        call("DELETE", f"{API}/tokens/{issued['token']['id']}")
        call("PUT", f"{API}/projects/proj/members/ci", json={"role": "viewer"})
        call("GET", f"{API}/projects/proj/members")
        call("GET", f"{API}/users/ci/roles")
        call("GET", f"{API}/audit")
        token = call("POST", f"{API}/auth/token", json={**login, "token_name": "laptop"})
        assert token["token"]["name"] == "laptop"


def _create(run_id: str) -> dict[str, Any]:
    return {"type": "create", "spec": {"id": run_id, "project": "proj"}}
