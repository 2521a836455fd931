"""Lineage: datasets and artifacts -> runs -> checkpoints -> model versions, through
``heron.Api`` on a folder and on a server (REST), with its two one-call questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import heron
import heron.models
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput, NotFound
from heron.local_dir import LocalDir
from heron.store import open_store
from tests.remote.inprocess import URL, remote_stores


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """prep: reads raw.csv, logs the artifact clean:v0. train: uses clean:v0 and
    extra.csv, logs a checkpoint and the artifact weights:v0, registered as model
    "m" v1 (Production, alias champion). repro: a reproduction of train. other: reads
    raw.csv under another name."""
    base = tmp_path_factory.mktemp("lineage")
    root = base / "heron-runs"
    raw, extra = base / "raw.csv", base / "extra.csv"
    raw.write_text("1,2\n")
    extra.write_text("3,4\n")
    (base / "clean.csv").write_text("1\n")
    (base / "w.bin").write_bytes(b"weights")
    opts: dict[str, Any] = {"dir": root, "system_metrics": False, "capture": False}
    with heron.init(project="p", name="prep", **opts) as run:
        raw_digest = run.use_dataset(raw, name="raw")["digest"]
        run.log_artifact(base / "clean.csv", name="clean", type="dataset")
        prep = run.id
    with heron.init(project="p", name="train", **opts) as run:
        run.use_artifact("clean:v0")
        extra_digest = run.use_dataset(extra, name="extra")["digest"]
        run.log_checkpoint(base / "w.bin", metrics={"loss": 0.5}, step=1)
        run.log_artifact(base / "w.bin", name="weights", type="model")
        train = run.id
    version = heron.models.register(train, "weights:v0", name="m", dir=root)
    heron.models.transition("m", version.version, "Production", dir=root)
    heron.models.set_alias("m", version.version, "champion", dir=root)
    with heron.init(project="p", name="repro", **opts) as run:
        run.record_system({"reproduction": {"of": train}})
        repro = run.id
    with heron.init(project="q", name="other", **opts) as run:
        run.use_dataset(raw, name="same-bytes")
        other = run.id
    heron.models.close_all()
    return {
        "root": root,
        "prep": prep,
        "train": train,
        "repro": repro,
        "other": other,
        "raw": raw_digest,
        "extra": extra_digest,
    }


def _labels(graph: Any, kind: str) -> set[str]:
    return {n.label for n in graph.nodes.values() if n.kind == kind}


def _edges(graph: Any) -> set[tuple[str, str, str]]:
    label = {n.id: n.label for n in graph.nodes.values()}
    return {(label[e.source], label[e.target], e.kind) for e in graph.edges.values()}


def test_one_hop_around_a_run(world: dict[str, Any]) -> None:
    with heron.Api(world["root"]) as api:
        graph = api.run(world["train"]).lineage(depth=1)
    assert _edges(graph) == {
        ("clean:v0", "train", "input"),
        ("extra", "train", "input"),
        ("train", f"ckpt-{world['train']}:v0", "output"),
        ("train", "weights:v0", "output"),
        ("repro", "train", "reproduces"),
    }
    (ckpt,) = [n for n in graph.nodes.values() if n.kind == "checkpoint"]
    assert ckpt.data["type"] == "checkpoint"
    assert {n.kind for n in graph.nodes.values()} == {"run", "dataset", "artifact", "checkpoint"}


def test_deeper_reaches_the_data_upstream_and_the_model_downstream(
    world: dict[str, Any],
) -> None:
    with heron.Api(world["root"]) as api:
        graph = api.run(world["train"]).lineage(depth=3)
        up = api.run(world["train"]).lineage(depth=3, direction="up")
        assert api.run(world["repro"]).reproduction_of == world["train"]
    assert ("weights:v0", "m v1", "registered") in _edges(graph)
    assert ("prep", "clean:v0", "output") in _edges(graph)
    assert ("raw", "prep", "input") in _edges(graph)
    raw = graph.nodes[f"dataset:{world['raw']}"]
    assert raw.data["names"] == ["raw"] and graph.levels[raw.id] == 3  # not expanded
    assert graph.levels[f"run:{world['prep']}"] == 2
    assert _labels(up, "model_version") == set() and "repro" not in _labels(up, "run")
    assert _labels(up, "run") == {"train", "prep"}


def test_which_runs_used_this_dataset_and_which_data_trained_production(
    world: dict[str, Any],
) -> None:
    with heron.Api(world["root"]) as api:
        anywhere = api.runs_using_dataset(world["raw"])
        named = api.runs_using_dataset(world["raw"], name="raw")
        in_q = api.runs_using_dataset(world["raw"], project="q")
        trained = api.training_data("m", "Production")
        by_alias = api.training_data("m", "champion")
        with pytest.raises(InvalidInput, match="64 hex digits"):
            api.runs_using_dataset("sha256:abc")
        with pytest.raises(InvalidInput, match="depth must be"):
            api.run(world["train"]).lineage(depth=11)
        with pytest.raises(NotFound):
            api.training_data("m", "Staging")
    assert {r.name for r in anywhere} == {"prep", "other"}
    assert [r.name for r in named] == ["prep"] and [r.name for r in in_q] == ["other"]
    assert trained.model_version.version == 1 and by_alias.model_version.version == 1
    assert {n.data["digest"] for n in trained.datasets} == {world["raw"], world["extra"]}
    assert {n.label for n in trained.runs} == {"train", "prep"}
    assert {n.label for n in trained.artifacts} == {"clean:v0"}


def test_through_a_server(world: dict[str, Any], tmp_path: Path) -> None:
    local = LocalDir.at(world["root"])
    with open_store(local.db_url) as sql:
        blobs = LocalArtifactStore(local.blobs, durable=False)
        with remote_stores(sql, blobs, tmp_path) as remote:
            with heron.Api(URL, transport=remote.transport) as api:
                graph = api.run(world["train"]).lineage(depth=1)
                trained = api.training_data("m", "champion")
            client = httpx.Client(base_url=URL, transport=remote.transport)
            rest = client.get(f"/api/v1/runs/{world['train']}/lineage", params={"depth": 3})
            model = client.get("/api/v1/models/m/versions/1/lineage", params={"depth": 2})
            data = client.get("/api/v1/models/m/training-data", params={"ref": "Production"})
            used = client.get(f"/api/v1/datasets/{world['raw']}/runs")
            bad = client.get(f"/api/v1/runs/{world['train']}/lineage", params={"depth": 99})
            digest = client.get("/api/v1/datasets/sha256:zz/runs")
            unknown = client.get("/api/v1/runs/nosuchrun0/lineage")
    assert ("repro", "train", "reproduces") in _edges(graph)
    assert {n.label for n in trained.runs} == {"train", "prep"}
    assert rest.status_code == 200
    body = rest.json()
    assert body["root"] == f"run:{world['train']}" and not body["truncated"]
    assert {"source": f"dataset:{world['raw']}", "target": f"run:{world['prep']}"} | {
        "kind": "input"
    } in body["edges"]
    assert model.status_code == 200
    assert {n["label"] for n in model.json()["nodes"]} == {"m v1", "weights:v0", "train"}
    assert data.status_code == 200 and len(data.json()["datasets"]) == 2
    assert used.status_code == 200 and {r["name"] for r in used.json()} == {"prep", "other"}
    assert bad.status_code in (400, 422) and digest.status_code == 400
    assert unknown.status_code == 404
