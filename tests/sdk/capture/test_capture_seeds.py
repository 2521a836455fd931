"""seed_everything: the same seed gives the same random streams."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from heron.errors import InvalidInput, InvalidValue
from heron.sdk.capture import seeds
from heron.sdk.capture.seeds import MAX_SEED, check_seed, seed_everything


def draws() -> tuple[list[float], list[float]]:
    return [random.random() for _ in range(5)], np.random.rand(5).tolist()


def test_same_seed_same_sequences() -> None:
    seed_everything(1234)
    first = draws()
    seed_everything(1234)
    assert draws() == first
    seed_everything(4321)
    assert draws() != first


def test_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    record = seed_everything(7)
    assert record["seed"] == 7
    assert record["deterministic"] is False
    assert record["seeded"][:2] == ["random", "numpy"]
    assert record["pythonhashseed"] == "0"
    assert "skipped" not in record


def test_pythonhashseed_unset_is_recorded_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    assert seed_everything(1)["pythonhashseed"] is None


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED, np.int64(5), np.uint32(MAX_SEED)])
def test_valid_seeds(seed: Any) -> None:
    assert check_seed(seed) == int(seed)


@pytest.mark.parametrize("seed", [True, False, 1.5, 1.0, "1", None, [1]])
def test_seeds_that_are_not_integers(seed: Any) -> None:
    with pytest.raises(InvalidValue, match="seed must be an integer") as info:
        seed_everything(seed)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**64])
def test_seeds_out_of_range(seed: int) -> None:
    with pytest.raises(InvalidInput, match="between 0 and") as info:
        seed_everything(seed)
    assert isinstance(info.value, ValueError)


def test_deterministic_must_be_a_bool() -> None:
    with pytest.raises(InvalidValue):
        seed_everything(1, deterministic="yes")  # type: ignore[arg-type]


def test_installed_module_that_fails_to_import_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "heron_broken_lib.py").write_text("raise ImportError('libcuda.so.1 missing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    skipped: dict[str, str] = {}
    assert seeds._module("heron_broken_lib", skipped) is None
    assert skipped == {"heron_broken_lib": "ImportError: libcuda.so.1 missing"}
    assert seeds._module("heron_not_installed_anywhere", skipped) is None
    assert list(skipped) == ["heron_broken_lib"]


@pytest.fixture
def torch(monkeypatch: pytest.MonkeyPatch) -> Any:
    torch = pytest.importorskip("torch")
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)  # restored afterwards
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    yield torch
    torch.use_deterministic_algorithms(saved[0])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[1:]


def test_torch_same_seed_same_tensors(torch: Any) -> None:
    record = seed_everything(99)
    assert "torch" in record["seeded"]
    first = torch.rand(8)
    seed_everything(99)
    assert torch.equal(torch.rand(8), first)
    seed_everything(100)
    assert not torch.equal(torch.rand(8), first)


def test_torch_deterministic(torch: Any) -> None:
    record = seed_everything(3, deterministic=True)
    assert record["deterministic"] is True
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.deterministic is True
    assert torch.backends.cudnn.benchmark is False
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_torch_deterministic_keeps_a_user_cublas_setting(
    torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    seed_everything(3, deterministic=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_torch_already_imported_is_used_as_is(torch: Any) -> None:
    assert sys.modules["torch"] is torch
    assert "torch" in seed_everything(5)["seeded"]
