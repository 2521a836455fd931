"""Loading never runs a model file's code without an opt-in that names the risk
(docs/registry.md#what-loads-by-default): TorchScript needs ``allow_torchscript=True``,
pickles (joblib, a full ``torch.save``) ``allow_pickle=True``, skops types outside
skops' defaults ``trusted=[...]``. Plain state dicts load by default. Every file here is
made by the real library and goes through a real registry."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import skops.io
import torch
from sklearn.linear_model import LogisticRegression

import heron
from heron.models import UnsafeModel
from tests.models.test_models_flavors import Majority, Net

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.[a-z]*` is deprecated:DeprecationWarning"
)


def register(root: Path, *files: Path) -> Path:
    """Each file registered as model ``<stem>`` version 1 of the store at root/store."""
    store = root / "store"
    with heron.init(project="p", dir=store, capture=False, system_metrics=False) as run:
        for file in files:
            heron.models.register(run, file, name=file.stem)
    return store


class Stateful(torch.nn.Module):
    """TorchScript with a ``__setstate__``: compiled code that runs while it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    @torch.jit.export
    def __getstate__(self) -> tuple[bool, bool]:
        return (self.loaded, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[bool, bool]) -> None:
        self.loaded = True  # the file's own code, run by torch.jit.load
        self.training = state[1]


def test_torchscript_is_refused_without_its_opt_in(tmp_path: Path) -> None:
    torch.jit.save(torch.jit.script(Stateful()), str(tmp_path / "scripted.pt"))
    torch.jit.save(torch.jit.script(Net().eval()), str(tmp_path / "disguised.pth"))
    store = register(tmp_path, tmp_path / "scripted.pt", tmp_path / "disguised.pth")
    with pytest.raises(UnsafeModel, match="allow_torchscript=True") as refused:
        heron.models.load("models:/scripted/1", dir=store)
    assert "TorchScript" in str(refused.value) and "runs code" in str(refused.value)
    # allow_pickle is not the opt-in for TorchScript, whatever the suffix
    with pytest.raises(UnsafeModel, match="allow_torchscript=True"):
        heron.models.load("models:/disguised/1", dir=store, allow_pickle=True)
    loaded = heron.models.load("models:/scripted/1", dir=store, allow_torchscript=True)
    assert isinstance(loaded, torch.jit.ScriptModule)
    assert loaded.loaded  # its __setstate__ ran: what the opt-in allows


def test_a_logged_torchscript_model_needs_the_opt_in_or_a_module(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = Net().eval()
    example = torch.randn(3, 4)
    with heron.init(project="p", dir=tmp_path, capture=False, system_metrics=False):
        heron.models.log(net, name="net", register=True, input_example=example, torchscript=True)
    with pytest.raises(UnsafeModel, match="allow_torchscript=True") as refused:
        heron.models.load("models:/net/1", dir=tmp_path)
    assert "model=" in str(refused.value)  # the weights alone load safely
    weights = heron.models.load("models:/net/1", dir=tmp_path, model=Net()).eval()
    assert torch.allclose(weights(example), net(example))
    scripted = heron.models.load("models:/net/1", dir=tmp_path, allow_torchscript=True)
    assert torch.allclose(scripted(example), net(example))


def test_a_manifest_cannot_pass_torchscript_off_as_a_state_dict(tmp_path: Path) -> None:
    """A hand-made MLmodel.json whose ``state_dict`` is a TorchScript archive."""
    folder = tmp_path / "sneaky"
    folder.mkdir()
    torch.jit.save(torch.jit.script(Stateful()), str(folder / "model.pt"))
    (folder / "MLmodel.json").write_text(
        '{"format": "heron-model/1", "flavor": "pytorch", "files": {"state_dict": "model.pt"}}'
    )
    store = register(tmp_path, folder)
    for opt_in in ({}, {"allow_pickle": True}, {"model": Stateful()}):
        with pytest.raises(UnsafeModel, match="allow_torchscript=True"):
            heron.models.load("models:/sneaky/1", dir=store, **opt_in)


class Payload:
    """A pickle that runs code when loaded: it creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_pickles_run_nothing_without_allow_pickle(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with open(tmp_path / "payload.pkl", "wb") as f:
        pickle.dump(Payload(marker), f)
    joblib.dump(Payload(marker), tmp_path / "payload2.joblib")
    torch.save(Payload(marker), tmp_path / "payload3.pt")  # torch.save pickles objects
    torch.save(Net(), tmp_path / "whole.pt")  # a full module, not a state dict
    clf = LogisticRegression().fit(np.eye(2), [0, 1])
    joblib.dump(clf, tmp_path / "clf.joblib")
    files = ["payload.pkl", "payload2.joblib", "payload3.pt", "whole.pt", "clf.joblib"]
    store = register(tmp_path, *(tmp_path / name for name in files))
    for name in files:
        with pytest.raises(UnsafeModel, match="allow_pickle=True") as refused:
            heron.models.load(f"models:/{Path(name).stem}/1", dir=store)
        assert "unpickle" in str(refused.value)
        # nor does the other opt-in let a pickle through
        with pytest.raises(UnsafeModel, match="allow_pickle=True"):
            heron.models.load(f"models:/{Path(name).stem}/1", dir=store, allow_torchscript=True)
    assert not marker.exists()
    assert isinstance(heron.models.load("models:/whole/1", dir=store, allow_pickle=True), Net)
    loaded = heron.models.load("models:/clf/1", dir=store, allow_pickle=True)
    assert isinstance(loaded, LogisticRegression)
    heron.models.load("models:/payload3/1", dir=store, allow_pickle=True).close()
    assert marker.exists()  # what the opt-in allows


def test_skops_files_with_untrusted_types_are_refused(tmp_path: Path) -> None:
    x = np.zeros((4, 2))
    skops.io.dump(Majority().fit(x, np.array([1, 1, 0, 1])), tmp_path / "maj.skops")
    skops.io.dump(LogisticRegression().fit(np.eye(2), [0, 1]), tmp_path / "plain.skops")
    store = register(tmp_path, tmp_path / "maj.skops", tmp_path / "plain.skops")
    for pickle_ok, torchscript_ok in ((False, False), (True, True)):
        with pytest.raises(UnsafeModel, match="trusted=") as refused:
            heron.models.load(
                "models:/maj/1",
                dir=store,
                allow_pickle=pickle_ok,
                allow_torchscript=torchscript_ok,
            )
        assert "Majority" in str(refused.value)
    assert isinstance(heron.models.load("models:/plain/1", dir=store), LogisticRegression)
    trusted = [f"{Majority.__module__}.Majority"]
    assert list(heron.models.load("models:/maj/1", dir=store, trusted=trusted).predict(x)) == [
        1,
        1,
        1,
        1,
    ]


def test_state_dicts_load_by_default(tmp_path: Path) -> None:
    net = Net()
    torch.save(net.state_dict(), tmp_path / "weights.pt")
    store = register(tmp_path, tmp_path / "weights.pt")
    state = heron.models.load("models:/weights/1", dir=store)
    assert set(state) == set(net.state_dict())
