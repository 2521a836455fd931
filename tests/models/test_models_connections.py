"""``Models`` over the connections ``heron.connect`` hands out: a local store folder and
a server over HTTP (in-process). The same calls register, move, download and load
alike; and ``Models.open`` finds its store with connect's precedence."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from heron.connect import connect
from heron.errors import DigestMismatch, InvalidInput, NotFound
from heron.models import Models, models_for
from heron.registry.remote import RemoteRegistry
from heron.registry.sql import SqlRegistry
from heron.settings import Settings
from tests.registry.harness import ADMIN, Harness
from tests.registry.receiver import Receiver
from tests.store.helpers import new_run


@pytest.fixture
def models(harness: Harness) -> Models:
    """Over the harness's connection, acting as its admin (the harness closes it)."""
    return Models.of(harness.conn, actor=ADMIN)


def weights(tmp: Path, value: float, name: str = "w.pt") -> Path:
    path = tmp / f"{value}-{name}"
    torch.save({"w": torch.full((2,), value)}, path)
    return path


def value(models: Models, uri: str) -> float:
    return float(models.load(uri)["w"][0])


def test_register_move_and_load_by_every_uri(
    models: Models, harness: Harness, tmp_path: Path
) -> None:
    run = harness.run("vision")
    made = [models.register(run.id, weights(tmp_path, v), name="net") for v in (1.0, 2.0, 3.0)]
    assert [(m.version, m.run_id) for m in made] == [(1, run.id), (2, run.id), (3, run.id)]
    models.transition("net", 1, "production", reason="first")
    models.transition("net", 2, "production", reason="better")
    models.set_alias("net", 3, "champion")
    assert value(models, "models:/net/1") == 1.0
    assert value(models, "models:/net/Production") == 2.0
    assert value(models, "models:/net@champion") == 3.0
    assert value(models, "models:/net") == 3.0
    back = models.rollback("net", stage="production", reason="v2 regressed")
    assert back is not None and back.version == 1
    assert value(models, "models:/net/production") == 1.0
    models.remove_alias("net", "champion", reason="retired")
    with pytest.raises(NotFound):
        models.resolve("models:/net@champion")
    history = models.history("net")
    assert [(h.version, h.to_value, h.reason) for h in history] == [
        (1, "production", "first"),
        (2, "production", "better"),
        (1, "archived", "version 2 moved to production: better"),
        (3, "3", None),
        (2, "archived", "v2 regressed"),
        (1, "production", "v2 regressed"),
        (3, None, "retired"),
    ]
    assert {h.actor for h in history} == {"alice"}


def test_a_file_downloads_as_itself_a_folder_as_a_folder(
    models: Models, harness: Harness, tmp_path: Path
) -> None:
    run = harness.run()
    (tmp_path / "model.onnx").write_bytes(b"onnx bytes")
    models.register(run.id, tmp_path / "model.onnx", name="file")
    folder = tmp_path / "bundle"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    models.register(run.id, folder, name="folder")
    got = models.download("models:/file/1")
    assert got.name == "model.onnx" and got.read_bytes() == b"onnx bytes"
    assert models.load("models:/file/latest") == got  # no flavour: its path
    tree = models.download("models:/folder/1")
    assert tree.is_dir() and (tree / "sub" / "b.txt").read_text() == "b"
    assert tree.is_relative_to(models.cache / "models")


def test_downloads_come_from_the_cache_and_are_repaired(
    models: Models, harness: Harness, tmp_path: Path
) -> None:
    run = harness.run()
    version = models.register(run.id, weights(tmp_path, 4.0), name="net")
    first = models.download(version)
    assert models.download("models:/net/1") == first  # the same place, fetched once
    first.chmod(0o644)
    first.write_bytes(b"changed under the cache")
    again = models.download("models:/net/1")
    assert again == first and float(torch.load(again)["w"][0]) == 4.0  # fetched anew


def test_a_logged_model_keeps_its_flavour(models: Models, harness: Harness) -> None:
    run = harness.run()
    net = torch.nn.Linear(3, 2)
    made = models.log(run.id, net, name="lin", register=True, input_example=torch.zeros(1, 3))
    assert not isinstance(made, str) and made.version == 1
    artifact = models.artifact(made)
    assert artifact.metadata == {"flavor": "pytorch"} and artifact.type == "model"
    assert artifact.single_file is False
    manifest = json.loads((models.download(made) / "MLmodel.json").read_text())
    assert manifest["signature"]["inputs"][0]["shape"] == [-1, 3]
    fresh = models.load("models:/lin/1", model=torch.nn.Linear(3, 2))
    assert torch.equal(fresh.weight, net.weight)
    with pytest.raises(InvalidInput, match="live run"):
        models.log(run.id, net, name="lin")  # a run id cannot log an artifact itself


def test_register_an_artifact_by_ref_or_object(models: Models, harness: Harness) -> None:
    run = harness.run("proj")
    artifact = harness.log_artifact(run.id, "ckpt", harness.files(b"c"))
    by_ref = models.register(run.id, "ckpt:v0", name="m", description="by ref")
    by_object = models.register(run.id, artifact, name="m", tags={"kind": "object"})
    assert by_ref.artifact_id == by_object.artifact_id == artifact.id
    assert (by_ref.description, by_object.tags) == ("by ref", {"kind": "object"})
    with pytest.raises(NotFound, match="neither a file or folder here nor an artifact"):
        models.register(run.id, "missing.pt", name="m")
    with pytest.raises(NotFound, match="no such file or folder"):
        models.register(run.id, Path("missing.pt"), name="m")
    with pytest.raises(InvalidInput, match="path or an artifact ref"):
        models.register(run.id, 42, name="m")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="a run or a run id"):
        models.register(object(), "ckpt:v0", name="m")


def test_models_and_webhooks_through_models(
    models: Models, harness: Harness, receiver: Receiver
) -> None:
    made = models.create_model("reg", description="d", tags={"team": "cv"})
    assert made.tags == {"team": "cv"} and models.get_model("reg") == made
    updated = models.update_model("reg", protected=["production"])
    assert updated.protected == ("production",) and updated.description == "d"
    assert [m.name for m in models.list_models()] == ["reg"]
    url = receiver.url
    hook = models.add_webhook(url, ["version-created"], "s" * 16, model="reg")
    assert [h.id for h in models.webhooks("reg")] == [hook.id]
    harness.version("reg")
    assert models.wait_for_webhooks(30)
    assert [d.status for d in harness.deliveries(hook.id, 1)] == ["delivered"]
    models.remove_webhook(hook.id)
    assert models.webhooks() == []


def test_an_artifact_changed_after_registration_is_refused(
    models: Models, harness: Harness, tmp_path: Path
) -> None:
    run = harness.run()
    version = models.register(run.id, weights(tmp_path, 1.0), name="m")
    assert models.artifact(version).digest == version.artifact_digest
    forged = dataclasses.replace(version, artifact_digest="sha256:" + "0" * 64)
    with pytest.raises(DigestMismatch, match="registered with"):
        models.download(forged)


# --- where Models.open looks --------------------------------------------------------


def local_store(root: Path) -> Path:
    connect(root, settings=Settings(dir=root), create=True).close()
    return root


def test_open_takes_a_folder_before_heron_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = local_store(tmp_path / "store")
    monkeypatch.setenv("HERON_URL", "http://127.0.0.1:9")  # nobody there
    with Models.open(root) as models:
        assert isinstance(models.registry, SqlRegistry)
        assert models.list_models() == []
        assert models.cache == root / "cache"


def test_open_without_a_target_follows_heron_url_then_heron_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = local_store(tmp_path / "store")
    monkeypatch.setenv("HERON_DIR", str(root))
    monkeypatch.delenv("HERON_URL", raising=False)
    with Models.open() as models:
        assert isinstance(models.registry, SqlRegistry)
    monkeypatch.setenv("HERON_URL", "http://heron.example:5310")
    with Models.open() as models:  # opening a server contacts nothing yet
        assert isinstance(models.registry, RemoteRegistry)
        assert models.registry.http.url == "http://heron.example:5310"
        assert models.cache == root / "cache"  # downloads are cached under HERON_DIR
        assert models.wait_for_webhooks(0)  # the server delivers, nothing waits here
    settings = Settings(dir=root)  # given settings replace the environment
    with Models.open(settings=settings) as models:
        assert isinstance(models.registry, SqlRegistry)


def test_open_refuses_a_folder_without_a_store(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no Heron store at"):
        Models.open(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()  # nothing was created


def test_models_of_leaves_the_connection_open(tmp_path: Path) -> None:
    root = local_store(tmp_path / "store")
    with connect(root, settings=Settings(dir=root)) as conn:
        models = Models.of(conn)
        models.close()
        assert conn.registry.list_models() == []  # still usable
        assert models.actor.is_admin  # the local OS user, as an admin


def test_the_shared_models_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import heron.models

    first, second = local_store(tmp_path / "one"), local_store(tmp_path / "two")
    monkeypatch.delenv("HERON_URL", raising=False)
    monkeypatch.setenv("HERON_DIR", str(first))
    heron.models.create_model("in-one")
    monkeypatch.setenv("HERON_DIR", str(second))  # the next call looks again
    heron.models.create_model("in-two")
    assert [m.name for m in heron.models.list_models(dir=first)] == ["in-one"]
    assert [m.name for m in heron.models.list_models()] == ["in-two"]
    assert models_for(first) is models_for(str(first))  # one per store, however named
    assert models_for(first) is not models_for(second)


def test_the_module_functions_reach_the_store_they_name(tmp_path: Path) -> None:
    import heron.models as hm

    root = local_store(tmp_path / "store")
    with connect(root, settings=Settings(dir=root)) as conn:
        runs = [new_run(conn.store).id for _ in range(2)]
    for i, run_id in enumerate(runs):
        hm.register(run_id, weights(tmp_path, float(i)), name="net", dir=root, tags={"i": i})
    hm.update_model("net", description="two versions", dir=root)
    assert hm.get_model("net", dir=root).description == "two versions"
    hm.transition("net", 1, "production", reason="first", dir=root)
    hm.transition("net", 2, "production", archive_existing=False, dir=root)
    assert {v.version: v.stage for v in hm.versions("net", dir=root)} == {
        1: "production",
        2: "production",
    }
    hm.set_alias("net", 1, "champion", reason="stable", dir=root)
    assert hm.resolve("models:/net@champion", dir=root).version == 1
    assert hm.get_version("net", 2, dir=root).tags == {"i": "1"}
    hm.remove_alias("net", "champion", dir=root)
    assert hm.rollback("net", alias="champion", dir=root).version == 1  # type: ignore[union-attr]
    assert float(hm.load("models:/net/1", dir=root)["w"][0]) == 0.0
    assert hm.download("models:/net/2", dir=root).suffix == ".pt"
    assert [(h.kind, h.reason) for h in hm.history("net", dir=root)][:2] == [
        ("stage", "first"),
        ("stage", None),
    ]
    hm.create_model("empty", tags={"team": "cv"}, dir=root)
    assert [m.name for m in hm.list_models(dir=root)] == ["empty", "net"]
    assert hm.webhooks.list(dir=root) == [] and hm.webhooks.wait(1, dir=root)
