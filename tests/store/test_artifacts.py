"""Store conformance: artifact versions, aliases, retention, lineage (both backends)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from heron.errors import InvalidInput, NotFound
from heron.store.base import Event, IngestResult
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, new_run


def files(**digests: str) -> list[dict[str, Any]]:
    """files(a="1") -> [{"path": "a.bin", "digest": "sha256:1", "size": 1}]"""
    return [
        {"path": f"{name}.bin", "digest": f"sha256:{d}", "size": len(d)}
        for name, d in digests.items()
    ]


def artifact(name: str, content: list[dict[str, Any]], **extra: Any) -> Event:
    return {
        "type": "artifact",
        "name": name,
        "artifact_type": "model",
        "files": content,
        "time": T0,
        **extra,
    }


class Logger:
    """Ingests events for one run with increasing seqs."""

    def __init__(self, store: SqlStore, project: str = "proj") -> None:
        self.store = store
        self.run = new_run(store, project=project)
        self.seq = 0

    def __call__(self, *events: Event) -> IngestResult:
        self.seq += 1
        return self.store.ingest(batch(self.run.id, self.seq, list(events)))


def test_versions_digest_and_lookup(store: SqlStore) -> None:
    log = Logger(store)
    log(artifact("model", files(w="aa", cfg="bb"), metadata={"acc": 0.9}))
    v0 = store.artifact("proj", "model")
    assert (v0.name, v0.version, v0.ref, v0.type) == ("model", 0, "model:v0", "model")
    manifest = "cfg.bin\0sha256:bb\nw.bin\0sha256:aa\n"
    assert v0.digest == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert [f.path for f in v0.files] == ["cfg.bin", "w.bin"]
    assert v0.size == 4 and v0.metadata == {"acc": 0.9}
    assert v0.created_by == log.run.id and v0.created_at == T0
    assert v0.aliases == ("latest",)
    log(artifact("model", files(w="cc", cfg="bb")))
    v1 = store.artifact("proj", "model:latest")
    assert v1.version == 1 and v1.aliases == ("latest",)
    assert store.artifact("proj", "model:v0").aliases == ()
    assert store.artifact("proj", "model:v0") == store.artifact_by_id(v0.id)
    for missing in ("nope", "model:v7", "model:prod"):
        with pytest.raises(NotFound):
            store.artifact("proj", missing)
    with pytest.raises(NotFound):
        store.artifact("elsewhere", "model")
    with pytest.raises(NotFound):
        store.artifact_by_id(10_000)


def test_same_content_moves_aliases_only(store: SqlStore) -> None:
    log = Logger(store)
    log(artifact("data", files(x="01")))
    log(artifact("data", files(x="02"), aliases=["candidate"]))
    log(artifact("data", files(x="02"), aliases=["production"]))
    versions = store.artifacts("proj", name="data")
    assert [(v.version, v.aliases) for v in versions] == [
        (0, ()),
        (1, ("candidate", "latest", "production")),
    ]
    # Content equal to an older version (not the newest) is a new version.
    log(artifact("data", files(x="01"), aliases=["candidate"]))
    versions = store.artifacts("proj", name="data")
    assert [(v.version, v.aliases) for v in versions] == [
        (0, ()),
        (1, ("production",)),
        (2, ("candidate", "latest")),
    ]
    assert store.artifact("proj", "data:production").version == 1
    with pytest.raises(InvalidInput):
        log(artifact("data", files(x="03"), aliases=["bad alias"]))


def test_versions_count_per_project_and_name(store: SqlStore) -> None:
    a, b = Logger(store, "p1"), Logger(store, "p2")
    a(artifact("m", files(x="1")))
    a(artifact("n", files(x="1")))
    b(artifact("m", files(x="2")))
    assert store.artifact("p1", "n").version == 0
    assert store.artifact("p2", "m").version == 0
    assert [v.project for v in store.artifacts()] == ["p1", "p1", "p2"]


def test_lineage(store: SqlStore) -> None:
    maker, user = Logger(store), Logger(store)
    maker(artifact("ds", files(x="1")))
    version = store.artifact("proj", "ds")
    user({"type": "use_artifact", "version_id": version.id, "time": T0 + 1})
    user({"type": "use_artifact", "version_id": version.id, "time": T0 + 2})  # once only
    maker({"type": "use_artifact", "version_id": version.id})
    assert store.artifact_by_id(version.id).used_by == (user.run.id, maker.run.id)
    assert [v.id for v in store.artifacts(used_by=user.run.id)] == [version.id]
    assert [v.id for v in store.artifacts(created_by=maker.run.id)] == [version.id]
    assert store.artifacts(created_by=user.run.id) == []
    user({"type": "use_artifact", "version_id": 99_999})  # gone already: nothing to link
    store.delete_runs([user.run.id])
    assert store.artifact_by_id(version.id).used_by == (maker.run.id,)


def test_empty_artifact(store: SqlStore) -> None:
    log = Logger(store)
    log(artifact("empty", []))
    v = store.artifact("proj", "empty")
    assert v.files == () and v.size == 0


def checkpoint(step: int, acc: float | None, **extra: Any) -> Event:
    metadata = {"metrics": {"acc": acc}, "step": step} if acc is not None else {"step": step}
    return artifact(
        "ckpt",
        files(weights=f"w{step}", shared="common"),
        metadata=metadata,
        retention={"keep_last": 2, "keep_best": 2, "metric": "acc", "mode": "max"},
        **extra,
    )


def test_checkpoint_retention(store: SqlStore) -> None:
    log = Logger(store)
    accs = [0.5, 0.9, 0.3, 0.8, None, 0.1, 0.2]
    orphaned: set[str] = set()
    for step, acc in enumerate(accs):
        orphaned |= log(checkpoint(step, acc)).orphaned
    kept = sorted(v.metadata["step"] for v in store.artifacts("proj", name="ckpt"))
    # last 2 (steps 5, 6) + best 2 by acc (steps 1, 3)
    assert kept == [1, 3, 5, 6]
    assert orphaned == {"sha256:w0", "sha256:w2", "sha256:w4"}
    assert "sha256:common" in store.referenced_digests()
    assert store.artifact("proj", "ckpt").metadata["step"] == 6


def test_retention_min_mode_and_aliases_protect(store: SqlStore) -> None:
    log = Logger(store)
    retention = {"keep_last": 1, "keep_best": 1, "metric": "loss", "mode": "min"}
    for step, loss in enumerate([0.5, 0.1, 0.9, 0.7]):
        event = artifact(
            "ck", files(w=f"x{step}"), metadata={"metrics": {"loss": loss}}, retention=retention
        )
        if step == 0:
            event["aliases"] = ["keep-me"]
        log(event)
    assert [v.version for v in store.artifacts(name="ck")] == [0, 1, 3]


def test_orphans_respect_other_references(store: SqlStore) -> None:
    log = Logger(store)
    log({"type": "file", "file": {"path": "w.bin", "digest": "sha256:run", "size": 1}})
    log(artifact("other", files(w="art")))
    retention = {"keep_last": 1}
    log(artifact("ck", files(w="run"), retention=retention))
    log(artifact("ck", files(w="art"), retention=retention))
    result = log(artifact("ck", files(w="mine"), retention=retention))
    assert [v.version for v in store.artifacts(name="ck")] == [2]
    assert result.orphaned == frozenset()  # still a run file / another artifact's file
    assert log(artifact("ck", files(w="new"), retention=retention)).orphaned == {"sha256:mine"}


def test_bad_retention(store: SqlStore) -> None:
    log = Logger(store)
    with pytest.raises(InvalidInput):
        log(artifact("x", files(a="1"), retention={"keep_best": 1}))
    with pytest.raises(InvalidInput):
        log(artifact("x", files(a="1"), retention={"keep_best": 1, "metric": "m", "mode": "up"}))
    with pytest.raises(InvalidInput):
        log(artifact("bad name!", files(a="1")))
