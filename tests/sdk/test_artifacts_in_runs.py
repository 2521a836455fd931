"""Artifacts through a real run: files, named versions, lineage, checkpoints, safety."""

from __future__ import annotations

from pathlib import Path

import pytest

import heron
from heron.errors import InvalidInput, NotFound, UnsafePath
from heron.local_dir import LocalDir
from heron.service import runs as service_runs

from .conftest import start_run


def api(store_dir: Path) -> heron.Api:
    return heron.Api(store_dir)


def test_unnamed_files_join_the_runs_own_files(store_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "confusion.png").write_bytes(b"\x89PNG fake")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    with start_run(store_dir) as run:
        run.log_artifact(tmp_path / "confusion.png")
        run.log_artifact(folder)
    with api(store_dir) as reader:
        files = {f.path: f.size for f in reader.run(run.id).files()}
    assert files == {"confusion.png": 9, "plots/a.txt": 1, "plots/sub/b.txt": 1}


def test_named_artifacts_are_versioned_deduplicated_and_used(
    store_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,2\n")
    with start_run(store_dir) as producer:
        producer.log_artifact(data, name="dataset", type="dataset", aliases=["gold"])
        producer.log_artifact(data, name="dataset")  # same bytes: no new version
        data.write_text("x,y\n1,3\n")
        producer.log_artifact(data, name="dataset")
    with start_run(store_dir) as consumer:
        path = consumer.use_artifact("dataset:gold")
        assert path.read_text() == "x,y\n1,2\n"
        assert consumer.use_artifact("dataset").read_text() == "x,y\n1,3\n"
        with pytest.raises(NotFound):
            consumer.use_artifact("dataset:v9")
    with api(store_dir) as reader:
        latest = reader.artifact("test", "dataset:latest")
        first = reader.artifact("test", "dataset:v0")
        assert (first.version, latest.version) == (0, 1)
        assert "gold" in first.aliases and latest.created_by == producer.id
        assert consumer.id in latest.used_by and consumer.id in first.used_by
        used = {a.ref for a in reader.run(consumer.id).artifacts(produced=False)}
        assert used == {"dataset:v0", "dataset:v1"}


def test_checkpoint_retention_keeps_last_and_best_and_frees_bytes(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_runs, "ORPHAN_GRACE_SECONDS", 0.0)
    ckpt = tmp_path / "ckpt.pt"
    accuracies = [0.5, 0.9, 0.6, 0.7, 0.65]
    with start_run(store_dir) as run:
        for step, acc in enumerate(accuracies):
            ckpt.write_bytes(f"weights {step}".encode() * 100)
            run.log({"val/acc": acc}, step=step)
            run.log_checkpoint(ckpt, metrics={"val/acc": acc}, keep_last=2, keep_best=1)
    with api(store_dir) as reader:
        versions = reader.run(run.id).artifacts(used=False)
        steps = sorted(v.metadata["step"] for v in versions)
    assert steps == [1, 3, 4]  # best (0.9 at step 1) and the last two
    blobs = LocalDir.at(store_dir).blobs / "sha256"
    stored = sum(1 for b in blobs.rglob("*") if b.is_file())
    assert stored == 3  # the pruned checkpoints' bytes are gone


def test_checkpoint_mode_defaults_to_min_for_losses(store_dir: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt.pt"
    with start_run(store_dir) as run:
        for step, loss in enumerate([0.3, 0.1, 0.5, 0.6]):
            ckpt.write_bytes(str(step).encode())
            run.log_checkpoint(ckpt, step=step, metrics={"val/loss": loss}, keep_last=1)
    with api(store_dir) as reader:
        steps = sorted(v.metadata["step"] for v in reader.run(run.id).artifacts(used=False))
    assert steps == [1, 3]


def test_bad_artifact_input_is_refused_clearly(store_dir: Path, tmp_path: Path) -> None:
    with start_run(store_dir) as run:
        with pytest.raises(InvalidInput, match="no such file"):
            run.log_artifact(tmp_path / "missing.pt")
        (tmp_path / "f").write_text("x")
        with pytest.raises(UnsafePath):
            run.save_file(tmp_path / "f", name="../../etc/passwd")
        with pytest.raises(InvalidInput):
            run.log_artifact(tmp_path / "f", name="../escape")
        with pytest.raises(InvalidInput, match="keep_last"):
            run.log_checkpoint(tmp_path / "f", keep_last=0, keep_best=0)
        run.log({"still": 1.0})
    with api(store_dir) as reader:
        assert reader.run(run.id).summary == {"still": 1.0}


def test_use_dataset_and_seed_everything_are_recorded(store_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.bin").write_bytes(b"1234")
    heron.seed_everything(42)  # before init: recorded into the next run
    with start_run(store_dir) as run:
        record = run.use_dataset(data, name="toy")
    with api(store_dir) as reader:
        system = reader.run(run.id).system
    assert system["seed"]["seed"] == 42
    assert system["datasets"]["toy"]["digest"] == record["digest"]
    assert system["datasets"]["toy"]["file_count"] == 1
