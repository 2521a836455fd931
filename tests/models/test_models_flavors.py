"""Logging and loading real models through real runs: PyTorch (state dict and
TorchScript, with its opt-in), scikit-learn via skops with its type check, plain files,
and refusal of anything that would unpickle without ``allow_pickle=True``
(the refusals themselves: test_models_safety)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import heron
from heron.models import UnsafeModel


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)
        self.bn = torch.nn.BatchNorm1d(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.fc(x))


class Majority(BaseEstimator, ClassifierMixin):  # type: ignore[misc]
    """A custom estimator: a type skops does not trust by default."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> Majority:
        self.label_ = int(np.bincount(y).argmax())
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), self.label_)


def start(root: Path) -> heron.Run:
    return heron.init(project="p", dir=root, capture=False, system_metrics=False)


def test_torch_module_logged_registered_and_loaded_both_ways(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = Net()
    example = torch.randn(5, 4)
    stats_before = net.bn.running_mean.clone()
    with start(tmp_path) as run:
        mv = heron.models.log(
            net, name="net", register=True, input_example=example, torchscript=True
        )
    assert isinstance(mv, heron.models.ModelVersion) and mv.run_id == run.id
    assert torch.equal(net.bn.running_mean, stats_before)  # describing did not train it
    assert net.training  # and its mode was put back
    folder = heron.models.download("models:/net/1", dir=tmp_path)
    manifest = json.loads((folder / "MLmodel.json").read_text())
    assert manifest["flavor"] == "pytorch"
    assert manifest["class"].endswith("Net")
    assert manifest["signature"]["inputs"] == [
        {"type": "tensor", "dtype": "float32", "shape": [-1, 4]}
    ]
    assert manifest["signature"]["outputs"][0]["shape"] == [-1, 3]
    assert {"python", "torch", "numpy"} <= set(manifest["requirements"])
    net.eval()
    scripted = heron.models.load("models:/net/1", dir=tmp_path, allow_torchscript=True)
    assert isinstance(scripted, torch.jit.ScriptModule)
    assert torch.allclose(scripted(example), net(example))
    fresh = heron.models.load("models:/net/1", dir=tmp_path, model=Net())
    fresh.eval()
    assert torch.allclose(fresh(example), net(example))


def test_log_without_register_is_a_run_artifact(tmp_path: Path) -> None:
    with start(tmp_path) as run:
        ref = heron.models.log(Net(), name="plain-net")
    assert ref == "plain-net:latest"
    api = heron.Api(tmp_path)
    try:
        artifact = api.artifact("p", "plain-net")
        assert artifact.type == "model" and artifact.created_by == run.id
        assert {f.path for f in artifact.files} == {"MLmodel.json", "model.pt"}
    finally:
        api.close()
    with pytest.raises(heron.errors.NotFound):
        heron.models.get_model("plain-net", dir=tmp_path)


def test_sklearn_round_trip_through_skops(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    clf = LogisticRegression().fit(x, y)
    with start(tmp_path):
        heron.models.log(clf, name="clf", register=True, input_example=x[:2])
    heron.models.transition("clf", 1, "production", dir=tmp_path)
    loaded = heron.models.load("models:/clf/production", dir=tmp_path)
    assert np.array_equal(loaded.predict(x), clf.predict(x))
    manifest = json.loads(
        (heron.models.download("models:/clf/1", dir=tmp_path) / "MLmodel.json").read_text()
    )
    assert manifest["flavor"] == "sklearn" and "scikit-learn" in manifest["requirements"]
    assert manifest["signature"]["inputs"]["shape"] == [-1, 3]


def test_unknown_types_in_a_skops_file_need_trust(tmp_path: Path) -> None:
    x = np.zeros((4, 2))
    y = np.array([1, 1, 0, 1])
    with start(tmp_path):
        heron.models.log(Majority().fit(x, y), name="maj", register=True)
    with pytest.raises(UnsafeModel, match="Majority") as refused:
        heron.models.load("models:/maj/1", dir=tmp_path)
    assert "trusted=" in str(refused.value)
    trusted = f"{Majority.__module__}.Majority"
    model = heron.models.load("models:/maj/1", dir=tmp_path, trusted=[trusted])
    assert list(model.predict(x)) == [1, 1, 1, 1]


def test_pickles_load_only_with_opt_in(tmp_path: Path) -> None:
    clf = LogisticRegression().fit(np.eye(2), [0, 1])
    with open(tmp_path / "clf.pkl", "wb") as f:
        pickle.dump(clf, f)
    torch.save(Net(), tmp_path / "whole.pt")  # a full pickle of the module, not a state dict
    with start(tmp_path / "store") as run:
        heron.models.register(run, tmp_path / "clf.pkl", name="pickled")
        heron.models.register(run, tmp_path / "whole.pt", name="whole")
    store = tmp_path / "store"
    with pytest.raises(UnsafeModel, match="allow_pickle=True"):
        heron.models.load("models:/pickled/1", dir=store)
    with pytest.raises(UnsafeModel, match="full PyTorch pickle"):
        heron.models.load("models:/whole/1", dir=store)
    assert isinstance(
        heron.models.load("models:/pickled/1", dir=store, allow_pickle=True), LogisticRegression
    )
    assert isinstance(heron.models.load("models:/whole/1", dir=store, allow_pickle=True), Net)


@pytest.mark.filterwarnings("ignore:`torch.jit.[a-z]*` is deprecated:DeprecationWarning")
def test_torchscript_and_state_dict_files_without_a_manifest(tmp_path: Path) -> None:
    net = Net().eval()
    torch.jit.save(torch.jit.script(net), str(tmp_path / "scripted.pt"))
    torch.save(net.state_dict(), tmp_path / "weights.pth")
    with start(tmp_path / "store") as run:
        heron.models.register(run, tmp_path / "scripted.pt", name="ts")
        heron.models.register(run, tmp_path / "weights.pth", name="sd")
    store = tmp_path / "store"
    scripted = heron.models.load("models:/ts/1", dir=store, allow_torchscript=True)
    assert isinstance(scripted, torch.jit.ScriptModule)
    state = heron.models.load("models:/sd/latest", dir=store)
    assert set(state) == set(net.state_dict())


def test_objects_of_no_known_flavour_are_refused(tmp_path: Path) -> None:
    with start(tmp_path) as run, pytest.raises(heron.errors.InvalidInput, match="knows torch"):
        heron.models.log({"not": "a model"}, name="x", run=run)
