"""``run.log``'s fast path (one call per call of a known shape: compiled, or one
``pack_into`` in pure Python) writes the very bytes of the record-by-record path, and
falls back to it for anything else. Each test runs on both fast paths."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import heron.sdk.run as run_module
from heron.errors import InvalidValue
from heron.sdk.run import MAX_SHAPES, Run
from heron.sdk.spool import SCALAR, SLOT, SpoolReader

from .conftest import start_run


def offset(run: Run) -> int:
    """The spool writer's offset (the compiled path's cursor put back: its lock)."""
    with run._lock:
        return run._writer.off


def spool_bytes(run: Run) -> bytes:
    return bytes(run._writer.mm[: offset(run)])


def records(run: Run, start: int) -> list[tuple[float, int, float, int, int]]:
    raw = spool_bytes(run)[start:]
    return [SCALAR.unpack_from(raw, i) for i in range(0, len(raw), SLOT)]


@pytest.fixture(autouse=True, params=["compiled", "pure-python"])
def fast_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs started in the test take the compiled fast path, or the pure-Python one."""
    if request.param == "compiled":
        try:
            fast = importlib.import_module("heron.sdk._fastlog")
        except ImportError:
            pytest.skip("heron.sdk._fastlog is not built here (no C compiler)")
        monkeypatch.setattr(run_module, "_fast", fast)
    else:
        monkeypatch.setattr(run_module, "_fast", None)


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("heron.sdk.run._now", lambda: 1234.5)


def test_the_fast_path_writes_the_bytes_of_the_slow_one(store_dir: Path, fixed_time: None) -> None:
    fast = start_run(store_dir, mode="offline", capture_console=False)
    slow = start_run(store_dir, mode="offline", capture_console=False)
    slow._shapes.clear()
    values = [
        {"loss": 0.5, "acc": 1, "lr": np.float32(0.25), "ok": True, "n": np.int64(7)},
        {"loss": float("nan"), "acc": -3, "lr": np.float32(-0.0), "ok": False, "n": np.int64(-1)},
        {"loss": float("inf"), "acc": 2**53, "lr": np.float32(1e-8), "ok": True, "n": np.int64(0)},
    ]
    starts = (offset(fast), offset(slow))
    for step, data in enumerate(values * 3):
        fast.log(data, step=step)
        slow.log(data, step=step)
        slow._shapes.clear()  # always record by record
    assert len(fast._shapes) == 1  # one shape: the later calls took the fast path
    assert sum(r[4] == 1 for r in records(fast, starts[0])) == 9 * 5  # SCALAR records
    assert spool_bytes(fast)[starts[0] :] == spool_bytes(slow)[starts[1] :]
    fast.finish()
    slow.finish()


def test_other_keys_orders_or_types_take_the_slow_path_then_get_their_own_shape(
    store_dir: Path,
) -> None:
    run = start_run(store_dir, mode="offline", capture_console=False)
    run.log({"a": 1.0, "b": 2.0})
    run.log({"b": 2.0, "a": 1.0})  # another order: another shape
    assert len(run._shapes) == 2
    run.log({"a": 1, "b": 2.0})  # another type: the slow path, then the shape's types
    assert len(run._shapes) == 2
    off = offset(run)
    run.log({"a": 1, "b": 2.0})  # the fast path with the new types
    assert offset(run) == off + 2 * SLOT
    with pytest.raises(InvalidValue, match="'a'"):
        run.log({"a": "text", "b": 2.0})  # never a shape: refused, b still logged
    assert len(run._shapes) == 2
    with pytest.raises(InvalidValue, match="shape"):  # arrays are refused as before
        run.log({"a": np.ones(1), "b": 2.0})
    run.finish()


def test_out_of_range_values_and_steps_fall_back_and_raise_as_before(store_dir: Path) -> None:
    run = start_run(store_dir, mode="offline", capture_console=False)
    run.log({"a": 1, "b": 2.0}, step=0)
    run.log({"a": 1, "b": 2.0}, step=1)  # the shape exists: the fast path
    off = offset(run)
    with pytest.raises(InvalidValue, match="float64"):
        run.log({"a": 10**400, "b": 3.0}, step=2)  # struct refuses: the slow path says why
    assert run.step == 3  # the call was logged (b)
    with pytest.raises(InvalidValue, match="int64"):
        run.log({"a": 1, "b": 2.0}, step=2**63)
    assert run.step == 3  # the step counter stays as it was
    reader = SpoolReader(run._writer.folder)
    chunk = reader.read()
    reader.close()
    assert chunk.points["b"][0].tolist() == [0, 1, 2]
    assert chunk.points["a"][0].tolist() == [0, 1]
    assert offset(run) == off + SLOT  # b only; nothing of the refused step
    run.finish()


def test_the_number_of_shapes_is_bounded(store_dir: Path) -> None:
    run = start_run(store_dir, mode="offline", capture_console=False)
    for i in range(MAX_SHAPES + 10):
        run.log({f"k{i}": 1.0})
    assert len(run._shapes) == MAX_SHAPES
    run.log({f"k{MAX_SHAPES + 5}": 2.0})  # past the bound: the slow path, still logged
    run.finish()
