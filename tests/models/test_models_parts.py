"""The parts of ``heron.models`` below ``Models``: the ``MLmodel.json`` manifest,
flavour detection, and loading a downloaded path by what it is (never unpickling
without ``allow_pickle=True``)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from sklearn.linear_model import LogisticRegression

from heron.errors import HeronError, InvalidInput
from heron.models import UnsafeModel, flavors, manifest


def write_manifest(folder: Path, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / manifest.MANIFEST).write_text(json.dumps(data))
    return folder


def test_a_written_manifest_reads_back(tmp_path: Path) -> None:
    written = manifest.write(tmp_path, "files", {"weights": "w.bin"}, note="hi")
    assert written["format"] == manifest.FORMAT and written["note"] == "hi"
    assert manifest.read(tmp_path) == written
    assert manifest.file_in(tmp_path, written, "weights") == tmp_path / "w.bin"
    assert manifest.file_in(tmp_path, written, "skops") is None


def test_no_manifest_is_none(tmp_path: Path) -> None:
    assert manifest.read(tmp_path) is None  # a folder without one
    (tmp_path / "file.bin").write_bytes(b"x")
    assert manifest.read(tmp_path / "file.bin") is None  # a file is not a model folder
    assert manifest.read(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([], "no known flavor"),
        ({"flavor": "onnx", "files": {}}, "no known flavor"),
        ({"flavor": "files"}, "'files' must map"),
        ({"flavor": "files", "files": {"w": 3}}, "'files' must map"),
    ],
)
def test_malformed_manifests_are_refused(tmp_path: Path, data: object, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        manifest.read(write_manifest(tmp_path / "m", data))


def test_a_manifest_may_not_point_outside_its_folder(tmp_path: Path) -> None:
    folder = write_manifest(tmp_path / "m", {"flavor": "files", "files": {"w": "../secret"}})
    with pytest.raises(HeronError):
        manifest.read(folder)


def test_a_manifest_that_is_not_json_or_too_big(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / manifest.MANIFEST).write_text("{not json")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        manifest.read(folder)
    (folder / manifest.MANIFEST).write_text(" " * (1 << 20) + "{}")
    with pytest.raises(InvalidInput, match="larger than"):
        manifest.read(folder)


def test_requirements_name_what_is_installed() -> None:
    found = manifest.requirements("torch", "no-such-distribution-heron")
    assert set(found) == {"python", "torch"}
    assert found["torch"].split("+")[0] == torch.__version__.split("+")[0]


def test_flavours_are_detected() -> None:
    assert flavors.detect(torch.nn.Linear(1, 1)) == "pytorch"
    assert flavors.detect(LogisticRegression()) == "sklearn"
    with pytest.raises(InvalidInput, match=r"knows torch\.nn\.Module and scikit-learn"):
        flavors.detect(object())


def test_torchscript_is_for_torch_only(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="PyTorch models only"):
        flavors.save(LogisticRegression(), tmp_path, torchscript=True)


def test_plain_paths_load_as_themselves(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"onnx")
    assert flavors.load(tmp_path / "model.onnx") == tmp_path / "model.onnx"
    plain = tmp_path / "folder"
    plain.mkdir()
    assert flavors.load(plain) == plain
    files = write_manifest(tmp_path / "files", {"flavor": "files", "files": {}})
    assert flavors.load(files) == files


def test_a_sklearn_manifest_needs_its_skops_file(tmp_path: Path) -> None:
    folder = write_manifest(tmp_path / "m", {"flavor": "sklearn", "files": {}})
    with pytest.raises(InvalidInput, match="names no skops file"):
        flavors.load(folder)


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib", ".PKL"])
def test_pickles_are_refused_by_default(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps({"any": "object"}))
    with pytest.raises(UnsafeModel, match="allow_pickle=True"):
        flavors.load(path)
    assert isinstance(UnsafeModel("x"), InvalidInput)


def test_torch_files_load_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "weights.ckpt"
    torch.save({"w": torch.arange(3)}, path)
    assert torch.equal(flavors.load(path)["w"], torch.arange(3))
    whole = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(2, 2), whole)  # a full pickle of a module
    with pytest.raises(UnsafeModel, match="full PyTorch pickle"):
        flavors.load(whole)
    assert isinstance(flavors.load(whole, allow_pickle=True), torch.nn.Linear)
