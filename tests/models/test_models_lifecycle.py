"""The whole lifecycle through ``Models`` on SQLite and PostgreSQL: register, promote,
auto-archive, alias, rollback twice, load by every URI form, history in order."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from heron.errors import DigestMismatch, InvalidInput, NotFound
from heron.models import Models
from heron.store.sql import SqlStore
from tests.store.helpers import new_run


def weights(tmp: Path, value: float) -> Path:
    path = tmp / f"w{value}.pt"
    torch.save({"w": torch.full((2, 2), value)}, path)
    return path


def loaded_value(models: Models, uri: str) -> float:
    state = models.load(uri)
    return float(state["w"][0, 0])


def test_full_lifecycle(models: Models, store: SqlStore, tmp_path: Path) -> None:
    run = new_run(store, "vision")
    made = [models.register(run.id, weights(tmp_path, v), name="clf") for v in (1.0, 2.0, 3.0)]
    assert [m.version for m in made] == [1, 2, 3]
    assert all(m.run_id == run.id for m in made)

    models.transition("clf", 1, "production", reason="first")
    models.transition("clf", 2, "staging")
    models.transition("clf", 2, "production", reason="beats v1 by 1.2%")
    assert {v.version: v.stage for v in models.versions("clf")} == {
        1: "archived",
        2: "production",
        3: "none",
    }
    models.set_alias("clf", 3, "champion")
    models.transition("clf", 3, "production")

    assert loaded_value(models, "models:/clf/1") == 1.0
    assert loaded_value(models, "models:/clf/Production") == 3.0
    assert loaded_value(models, "models:/clf/production") == 3.0
    assert loaded_value(models, "models:/clf@champion") == 3.0
    assert loaded_value(models, "models:/clf") == 3.0  # latest

    assert models.rollback("clf", stage="production").version == 2  # type: ignore[union-attr]
    assert loaded_value(models, "models:/clf/Production") == 2.0
    assert models.rollback("clf", stage="production").version == 1  # type: ignore[union-attr]
    assert loaded_value(models, "models:/clf/Production") == 1.0

    history = models.history("clf")
    assert [h.id for h in history] == sorted(h.id for h in history)
    assert [(h.version, h.kind, h.from_value, h.to_value) for h in history] == [
        (1, "stage", "none", "production"),
        (2, "stage", "none", "staging"),
        (2, "stage", "staging", "production"),
        (1, "stage", "production", "archived"),
        (3, "alias", None, "3"),
        (3, "stage", "none", "production"),
        (2, "stage", "production", "archived"),
        (3, "stage", "production", "archived"),  # rollback 1
        (2, "stage", "archived", "production"),
        (2, "stage", "production", "archived"),  # rollback 2
        (1, "stage", "archived", "production"),
    ]
    assert all(h.actor == "ci" for h in history)
    assert [h.rollback_of is not None for h in history].count(True) == 4


def test_download_once_then_from_the_cache(models: Models, store: SqlStore, tmp_path: Path) -> None:
    run = new_run(store)
    (tmp_path / "model.onnx").write_bytes(b"onnx bytes")
    version = models.register(run.id, tmp_path / "model.onnx", name="m")
    first = models.download("models:/m/1")
    assert first.name == "model.onnx" and first.read_bytes() == b"onnx bytes"
    assert models.load("models:/m/1") == first  # a plain file: its path
    artifact = models.artifact(version)
    blob = models.blobs.local_path(artifact.files[0].digest)
    assert blob is not None
    blob.chmod(0o644)
    blob.unlink()  # the store lost it: only the cache can answer now
    assert models.download("models:/m/1").read_bytes() == b"onnx bytes"


def test_a_tampered_blob_fails_the_digest_check(
    models: Models, store: SqlStore, tmp_path: Path
) -> None:
    run = new_run(store)
    version = models.register(run.id, weights(tmp_path, 5.0), name="m")
    blob = models.blobs.local_path(models.artifact(version).files[0].digest)
    assert blob is not None
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:-1] + b"X")
    with pytest.raises(DigestMismatch, match="corrupt"):
        models.load("models:/m/1")
    assert not (models.cache / "models").exists() or not any(
        p.is_file() and p.suffix == ".pt" for p in (models.cache / "models").rglob("*")
    )


def test_an_artifact_changed_after_registration_is_refused(
    models: Models, store: SqlStore, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from heron.store import schema as s

    run = new_run(store)
    version = models.register(run.id, weights(tmp_path, 1.0), name="m")
    store.transactor.write(
        lambda conn: conn.execute(
            update(s.artifact_versions)
            .where(s.artifact_versions.c.id == version.artifact_id)
            .values(digest="sha256:" + "0" * 64)
        )
    )
    with pytest.raises(DigestMismatch, match="registered with"):
        models.download("models:/m/1")


def test_register_by_artifact_ref_or_version(
    models: Models, store: SqlStore, tmp_path: Path
) -> None:
    from tests.registry.conftest import log_artifact, put_files

    run = new_run(store, "proj")
    artifact = log_artifact(store, run.id, "ckpt", put_files(models.blobs, tmp_path, b"c"))  # type: ignore[arg-type]
    by_ref = models.register(run.id, "ckpt:v0", name="m")
    by_object = models.register(run.id, artifact, name="m")
    assert by_ref.artifact_id == by_object.artifact_id == artifact.id
    with pytest.raises(NotFound, match="neither a file or folder here nor an artifact"):
        models.register(run.id, "missing.pt", name="m")
    with pytest.raises(InvalidInput):
        models.register(run.id, 42, name="m")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not a model URI"):
        models.load("runs:/x/model")
    with pytest.raises(NotFound):
        models.load("models:/m/staging")
