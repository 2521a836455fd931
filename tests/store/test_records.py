"""The read path's constructors of RunInfo and MetricSummary give the objects the
dataclasses' own ``__init__`` gives, and the objects stay frozen."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from heron.store import base
from heron.store.records import MetricSummary, RunInfo, new_metric_summary, new_run_info

SUMMARY_ARGS: tuple[Any, ...] = ("val/acc", 3, 0.9, 2, 12.5, 0.1, 0.95, 10.0, "max", "_time")


def _run_args(metrics: dict[str, MetricSummary]) -> tuple[Any, ...]:
    return (
        "abcdefghij", "proj", "keen-oriole-1", "g", "finished", ("a", "b"), "notes",
        {"lr": 0.1}, {"heron": {"inactive_seconds": 1}}, metrics, {"best": 1},
        100.0, 200.0, 150.0, None, None, 2, 7, "alice",
    )  # fmt: skip


def test_fast_constructors_equal_init() -> None:
    fast_m = new_metric_summary(*SUMMARY_ARGS)
    slow_m = MetricSummary(*SUMMARY_ARGS)
    assert fast_m == slow_m and repr(fast_m) == repr(slow_m)
    assert fast_m.value == 0.95
    fast = new_run_info(*_run_args({"val/acc": fast_m}))
    slow = RunInfo(*_run_args({"val/acc": slow_m}))
    assert fast == slow and repr(fast) == repr(slow)
    assert vars(fast) == vars(slow)
    assert fast.summary == {"val/acc": 0.95, "best": 1}
    assert fast.duration == 99.0
    assert dataclasses.replace(fast, name="x").name == "x"
    assert pickle.loads(pickle.dumps(fast)) == fast


@pytest.mark.parametrize("cls", [MetricSummary, RunInfo])
def test_fast_constructors_name_every_field(cls: type) -> None:
    """A field added to the dataclass must be added to its fast constructor too."""
    fields = [f.name for f in dataclasses.fields(cls)]
    if cls is MetricSummary:
        obj: Any = new_metric_summary(*SUMMARY_ARGS)
    else:
        obj = new_run_info(*_run_args({}))
    assert list(vars(obj)) == fields


def test_built_objects_stay_frozen() -> None:
    info = new_run_info(*_run_args({"val/acc": new_metric_summary(*SUMMARY_ARGS)}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.metrics["val/acc"].last = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del info.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.extra = 1  # type: ignore[attr-defined]


def test_contract_reexports_the_same_classes() -> None:
    import heron.store

    assert base.RunInfo is RunInfo and base.MetricSummary is MetricSummary
    assert heron.store.RunInfo is RunInfo
    assert heron.store.Batch is base.Batch
    with pytest.raises(AttributeError):
        heron.store.NoSuchName  # noqa: B018
