"""The RunStore contract (heron.store.base), part 3: artifact versions, aliases,
single-file versions, retention and lineage; against every implementation."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from heron.errors import InvalidInput, NotFound
from heron.store.base import Event, RunStore
from tests.store.helpers import T0, Logger, artifact, digest, files


def test_versions_digest_and_lookup(run_store: RunStore) -> None:
    log = Logger(run_store)
    log(artifact("model", files(w="aa", cfg="bb"), metadata={"acc": 0.9}))
    v0 = run_store.artifact("proj", "model")
    assert (v0.name, v0.version, v0.ref, v0.type) == ("model", 0, "model:v0", "model")
    manifest = f"cfg.bin\0{digest('bb')}\nw.bin\0{digest('aa')}\n"
    assert v0.digest == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert [f.path for f in v0.files] == ["cfg.bin", "w.bin"]
    assert v0.size == 4 and v0.metadata == {"acc": 0.9}
    assert v0.created_by == log.run.id and v0.created_at == T0
    assert v0.aliases == ("latest",)
    log(artifact("model", files(w="cc", cfg="bb")))
    v1 = run_store.artifact("proj", "model:latest")
    assert v1.version == 1 and v1.aliases == ("latest",)
    assert run_store.artifact("proj", "model:v0").aliases == ()
    assert run_store.artifact("proj", "model:v0") == run_store.artifact_by_id(v0.id)
    for missing in ("nope", "model:v7", "model:prod"):
        with pytest.raises(NotFound):
            run_store.artifact("proj", missing)
    with pytest.raises(NotFound):
        run_store.artifact("elsewhere", "model")
    with pytest.raises(NotFound):
        run_store.artifact_by_id(10_000)


def test_same_content_moves_aliases_only(run_store: RunStore) -> None:
    log = Logger(run_store)
    log(artifact("data", files(x="01")))
    log(artifact("data", files(x="02"), aliases=["candidate"]))
    log(artifact("data", files(x="02"), aliases=["production"]))
    versions = run_store.artifacts("proj", name="data")
    assert [(v.version, v.aliases) for v in versions] == [
        (0, ()),
        (1, ("candidate", "latest", "production")),
    ]
    # Content equal to an older version (not the newest) is a new version.
    log(artifact("data", files(x="01"), aliases=["candidate"]))
    versions = run_store.artifacts("proj", name="data")
    assert [(v.version, v.aliases) for v in versions] == [
        (0, ()),
        (1, ("production",)),
        (2, ("candidate", "latest")),
    ]
    assert run_store.artifact("proj", "data:production").version == 1
    with pytest.raises(InvalidInput):
        log(artifact("data", files(x="03"), aliases=["bad alias"]))


def test_versions_count_per_project_and_name(run_store: RunStore) -> None:
    a, b = Logger(run_store, "p1"), Logger(run_store, "p2")
    a(artifact("m", files(x="1")))
    a(artifact("n", files(x="1")))
    b(artifact("m", files(x="2")))
    assert run_store.artifact("p1", "n").version == 0
    assert run_store.artifact("p2", "m").version == 0
    assert [v.project for v in run_store.artifacts()] == ["p1", "p1", "p2"]


def test_lineage(run_store: RunStore) -> None:
    maker, user = Logger(run_store), Logger(run_store)
    maker(artifact("ds", files(x="1")))
    version = run_store.artifact("proj", "ds")
    user({"type": "use_artifact", "version_id": version.id, "time": T0 + 1})
    user({"type": "use_artifact", "version_id": version.id, "time": T0 + 2})  # once only
    maker({"type": "use_artifact", "version_id": version.id})
    assert run_store.artifact_by_id(version.id).used_by == (user.run.id, maker.run.id)
    assert [v.id for v in run_store.artifacts(used_by=user.run.id)] == [version.id]
    assert [v.id for v in run_store.artifacts(created_by=maker.run.id)] == [version.id]
    assert run_store.artifacts(created_by=user.run.id) == []
    user({"type": "use_artifact", "version_id": 99_999})  # gone already: nothing to link
    run_store.delete_runs([user.run.id])
    assert run_store.artifact_by_id(version.id).used_by == (maker.run.id,)


def test_empty_artifact(run_store: RunStore) -> None:
    log = Logger(run_store)
    log(artifact("empty", []))
    v = run_store.artifact("proj", "empty")
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


def test_checkpoint_retention(run_store: RunStore) -> None:
    log = Logger(run_store)
    for step, acc in enumerate([0.5, 0.9, 0.3, 0.8, None, 0.1, 0.2]):
        log(checkpoint(step, acc))
    kept = sorted(v.metadata["step"] for v in run_store.artifacts("proj", name="ckpt"))
    # last 2 (steps 5, 6) + best 2 by acc (steps 1, 3)
    assert kept == [1, 3, 5, 6]
    assert run_store.artifact("proj", "ckpt").metadata["step"] == 6
    assert [v.version for v in run_store.artifacts(name="ckpt")] == [1, 3, 5, 6]
    with pytest.raises(NotFound):
        run_store.artifact("proj", "ckpt:v0")


def test_retention_min_mode_and_aliases_protect(run_store: RunStore) -> None:
    log = Logger(run_store)
    retention = {"keep_last": 1, "keep_best": 1, "metric": "loss", "mode": "min"}
    for step, loss in enumerate([0.5, 0.1, 0.9, 0.7]):
        event = artifact(
            "ck", files(w=f"x{step}"), metadata={"metrics": {"loss": loss}}, retention=retention
        )
        if step == 0:
            event["aliases"] = ["keep-me"]
        log(event)
    assert [v.version for v in run_store.artifacts(name="ck")] == [0, 1, 3]


def test_bad_retention(run_store: RunStore) -> None:
    log = Logger(run_store)
    with pytest.raises(InvalidInput):
        log(artifact("x", files(a="1"), retention={"keep_best": 1}))
    with pytest.raises(InvalidInput):
        log(artifact("x", files(a="1"), retention={"keep_best": 1, "metric": "m", "mode": "up"}))
    with pytest.raises(InvalidInput):
        log(artifact("bad name!", files(a="1")))


def test_a_version_logged_from_one_file_says_so(run_store: RunStore) -> None:
    log = Logger(run_store)
    log(artifact("weights", files(model="w1"), single_file=True))
    log(artifact("folder", files(model="w1")))
    single = run_store.artifact("proj", "weights")
    assert single.single_file is True and single.metadata == {}
    assert run_store.artifact("proj", "folder").single_file is False
    assert run_store.artifact_by_id(single.id).single_file is True
    assert [v.single_file for v in run_store.artifacts(name="weights")] == [True]


def test_the_old_metadata_key_is_read_as_the_field_and_dropped(run_store: RunStore) -> None:
    log = Logger(run_store)
    log(artifact("old", files(model="w"), metadata={"single_file": True, "flavor": "torch"}))
    log(artifact("old-folder", files(model="w"), metadata={"single_file": False}))
    old = run_store.artifact("proj", "old")
    assert (old.single_file, old.metadata) == (True, {"flavor": "torch"})
    folder = run_store.artifact("proj", "old-folder")
    assert (folder.single_file, folder.metadata) == (False, {})
    # The field, when present, wins over the key.
    log(artifact("both", files(model="w"), metadata={"single_file": True}, single_file=False))
    assert run_store.artifact("proj", "both").single_file is False


def test_single_file_is_part_of_a_versions_identity(run_store: RunStore) -> None:
    log = Logger(run_store)
    log(artifact("m", files(model="w"), single_file=True))
    log(artifact("m", files(model="w"), single_file=True))  # same: no new version
    log(artifact("m", files(model="w")))  # the same bytes as a folder's only file
    versions = run_store.artifacts(name="m")
    assert [(v.version, v.single_file) for v in versions] == [(0, True), (1, False)]
    assert versions[0].digest == versions[1].digest


@pytest.mark.parametrize("flag", ["yes", 1, [True]])
def test_single_file_must_be_a_bool(run_store: RunStore, flag: object) -> None:
    log = Logger(run_store)
    with pytest.raises(InvalidInput, match="single_file"):
        log(artifact("m", files(model="w"), single_file=flag))
    with pytest.raises(NotFound):
        run_store.artifact("proj", "m")
    log(artifact("m", files(model="w"), single_file=None))  # null: as if left out
    assert run_store.artifact("proj", "m").single_file is False
