"""heron.wire: round trips, non-finite floats, and refusal of malformed batches."""

from __future__ import annotations

import dataclasses
import json
import math
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from heron import wire
from heron.errors import InvalidInput
from heron.store.base import (
    Batch,
    ConsoleLine,
    ConsolePage,
    FileEntry,
    IngestResult,
    MetricSummary,
    ProjectInfo,
    ProjectKeys,
    RunInfo,
    RunSpec,
    RunTable,
    Series,
)
from heron.wire import (
    BATCH_MAGIC,
    decode_batch,
    encode_batch,
    float_from_json,
    float_to_json,
    floats_from_json,
    floats_to_json,
    jsonable,
    run_from_json,
    run_to_json,
    series_from_json,
    series_to_json,
    spec_from_json,
    spec_to_json,
)


def _series(values: list[float]) -> Series:
    n = len(values)
    return Series(
        np.arange(n, dtype=np.int64), np.linspace(1e9, 1e9 + n, n), np.array(values, np.float64)
    )


def test_batch_round_trip_keeps_every_value_and_event() -> None:
    batch = Batch(
        run_id="abc123",
        seq=(3 << 32) | 4096,
        metrics={"train/loss": _series([1.0, math.nan, math.inf, -math.inf]), "lr": _series([])},
        events=[{"type": "summary", "set": {"best": 0.5}, "unset": []}],
    )
    back = decode_batch(encode_batch(batch))
    assert back.run_id == "abc123" and back.seq == batch.seq
    assert back.events == batch.events
    assert list(back.metrics) == ["train/loss", "lr"]
    np.testing.assert_array_equal(
        back.metrics["train/loss"].values, batch.metrics["train/loss"].values
    )
    np.testing.assert_array_equal(back.metrics["train/loss"].steps, [0, 1, 2, 3])
    assert len(back.metrics["lr"]) == 0


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_batch_values_round_trip_bit_exact(values: list[float]) -> None:
    batch = Batch(run_id="r", seq=1, metrics={"x": _series(values)})
    back = decode_batch(encode_batch(batch)).metrics["x"].values
    assert back.tobytes() == np.array(values, np.float64).tobytes()


def _header(body: dict[str, object]) -> bytes:
    head = json.dumps(body).encode()
    return BATCH_MAGIC + struct.pack("<I", len(head)) + head


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "must start with"),
        (b"GARBAGE-not-a-batch", "must start with"),
        (BATCH_MAGIC + struct.pack("<I", 999), "exceeds the body"),
        (BATCH_MAGIC + struct.pack("<I", 3) + b"{{{", "not valid JSON"),
        (_header([]), "JSON object"),  # type: ignore[arg-type]
        (_header({"seq": 1}), "run_id"),
        (_header({"run_id": "r", "seq": -1}), "seq"),
        (_header({"run_id": "r", "seq": True}), "seq"),
        (_header({"run_id": "r", "seq": 1, "events": [{"type": "nope"}]}), "type"),
        (_header({"run_id": "r", "seq": 1, "metrics": [{"key": "a", "n": 2}]}), "truncated"),
        (_header({"run_id": "r", "seq": 1, "metrics": [{"key": "", "n": 0}]}), "metric 0"),
        (_header({"run_id": "r", "seq": 1, "metrics": [{"key": "a", "n": "2"}]}), '"n"'),
        (
            _header({"run_id": "r", "seq": 1, "metrics": [{"key": "a", "n": 0}] * 2}),
            "twice",
        ),
    ],
)
def test_malformed_batches_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        decode_batch(data)


def test_trailing_bytes_are_refused() -> None:
    data = encode_batch(Batch(run_id="r", seq=1, metrics={"a": _series([1.0])}))
    with pytest.raises(InvalidInput, match="truncated or corrupt"):
        decode_batch(data + b"\0")
    with pytest.raises(InvalidInput, match="truncated or corrupt"):
        decode_batch(data[:-1])


def test_non_finite_floats_are_spelled_as_strings() -> None:
    assert [float_to_json(x) for x in (1.5, math.nan, math.inf, -math.inf)] == [
        1.5,
        "NaN",
        "Infinity",
        "-Infinity",
    ]
    assert math.isnan(float_from_json("NaN")) and float_from_json("-Infinity") == -math.inf
    assert floats_to_json(np.array([1.0, math.nan])) == [1.0, "NaN"]
    assert np.isnan(floats_from_json([1, "NaN"])[1])
    assert json.dumps(jsonable({"a": [math.inf, {"b": math.nan}], "c": "x"}), allow_nan=False)
    for bad in ("nan", True, None, [1]):
        with pytest.raises(InvalidInput):
            float_from_json(bad)


def test_run_round_trip() -> None:
    info = RunInfo(
        id="r1",
        project="p",
        name="n",
        group=None,
        state="running",
        tags=("a",),
        notes="",
        config={"lr": 0.1, "nested": {"x": [1, 2]}},
        system={"host": "h"},
        metrics={"loss": MetricSummary("loss", 3, math.nan, 2, 5.0, 0.1, math.inf, 1.0, "min")},
        summary_overrides={"best": 1},
        created_at=1.0,
        ended_at=None,
        heartbeat_at=4.0,
        error=None,
        traceback=None,
        last_step=2,
        ingested_seq=7,
    )
    data = run_to_json(info)
    json.dumps(data, allow_nan=False)  # valid strict JSON
    assert run_from_json(json.loads(json.dumps(data))) == info
    assert run_to_json(info, include_system=False)["system"] == {}


def test_spec_round_trip_and_validation() -> None:
    spec = RunSpec(id="r1", project="p", tags=("x",), config={"a": 1}, created_at=2.0)
    assert spec_from_json(spec_to_json(spec)) == spec
    for bad in ({"project": "p"}, {"id": "r", "project": "p", "tags": "x"}, {"id": 1}, []):
        with pytest.raises(InvalidInput):
            spec_from_json(bad)


def test_series_round_trip() -> None:
    s = _series([1.0, math.nan])
    back = series_from_json(json.loads(json.dumps(series_to_json(s))))
    np.testing.assert_array_equal(back.values, s.values)
    with pytest.raises(InvalidInput, match="equal length"):
        series_from_json({"steps": [1], "times": [], "values": []})


def _info() -> RunInfo:
    return RunInfo(
        id="r1",
        project="p",
        name="n",
        group=None,
        state="finished",
        tags=("a",),
        notes="",
        config={"lr": math.nan, "nested": {"x": [1, math.inf]}},
        system={"host": "h"},
        metrics={"loss": MetricSummary("loss", 3, math.nan, 2, 5.0, -math.inf, math.inf, 1.0)},
        summary_overrides={"best": math.nan},
        created_at=1.0,
        ended_at=3.0,
        heartbeat_at=None,
        error=None,
        traceback=None,
        last_step=2,
        ingested_seq=7,
    )


def _declared(shape: object, value: object) -> None:
    """``value`` is exactly what ``shape`` declares, strictly (as a JSON text)."""
    adapter: TypeAdapter[Any] = TypeAdapter(shape)
    text = json.dumps(value, allow_nan=False)
    assert adapter.dump_python(adapter.validate_json(text, strict=True), mode="json") == value


def test_every_encoder_writes_its_declared_shape() -> None:
    info = _info()
    _declared(wire.Run, wire.run_to_json(info))
    _declared(wire.RunPage, wire.run_page_to_json([info], 5, include_system=False))
    _declared(wire.RunCount, wire.count_to_json(3))
    _declared(wire.RunsDeleted, wire.deleted_to_json(2))
    _declared(wire.Ingested, wire.ingested_to_json(IngestResult(4, False, frozenset({"x"}))))
    _declared(wire.ProjectKeyLists, wire.keys_to_json(ProjectKeys(("a.b",), ("m",), (), ("t",))))
    _declared(wire.RunsTable, wire.table_to_json(_table()))
    _declared(dict[str, wire.SeriesPoints], wire.history_to_json({"x": _series([math.nan])}))
    _declared(wire.Project, wire.project_to_json(ProjectInfo("p", 2, 1.0, None)))
    _declared(wire.FileRef, wire.file_to_json(FileEntry("a/b", "sha256:" + "0" * 64, 3)))
    page = ConsolePage([ConsoleLine(1, "stdout", 1.0, "hi", partial=True)], 1)
    _declared(wire.LogPage, wire.console_to_json(page))


def _table() -> RunTable:
    return RunTable(
        total=9,
        ids=["a", "b"],
        names=["x", "y"],
        states=["running", "failed"],
        groups=[None, "g"],
        tags=[[], ["t"]],
        created_at=[1.0, 2.0],
        durations=[None, 1.5],
        columns={
            "metrics.loss": [math.nan, -math.inf],
            "config.opt": ["adam", None],
            "summary.best": [{"a": 1}, True],
        },
    )


def test_answer_round_trips() -> None:
    def back(encoded: object) -> object:
        return json.loads(json.dumps(encoded, allow_nan=False))

    info = _info()
    runs, total = wire.run_page_from_json(back(wire.run_page_to_json([info], 5, True)))
    assert total == 5 and [r.id for r in runs] == ["r1"]
    assert runs[0].metrics == info.metrics
    assert wire.count_from_json(back(wire.count_to_json(3))) == 3
    assert wire.deleted_from_json(back(wire.deleted_to_json(2))) == 2
    assert wire.ingested_from_json(back(wire.ingested_to_json(IngestResult(4, True)))) == (
        IngestResult(4, True)
    )
    keys = ProjectKeys(("a.b",), ("m",), ("s",), ("t",))
    assert wire.keys_from_json(back(wire.keys_to_json(keys))) == keys
    table = wire.table_from_json(back(wire.table_to_json(_table())))
    loss = table.columns["metrics.loss"]
    assert math.isnan(loss[0]) and loss[1] == -math.inf
    assert table.columns["config.opt"] == ["adam", None] and table.groups == [None, "g"]
    assert dataclasses.replace(table, columns={}) == dataclasses.replace(_table(), columns={})
    history = wire.history_from_json(back(wire.history_to_json({"x": _series([math.inf])})))
    assert history["x"].values.tolist() == [math.inf]


@pytest.mark.parametrize(
    ("decode", "data"),
    [
        (wire.run_page_from_json, {"total": 1}),
        (wire.run_page_from_json, {"runs": [], "total": "1"}),
        (wire.count_from_json, {"count": True}),
        (wire.count_from_json, []),
        (wire.deleted_from_json, {}),
        (wire.ingested_from_json, {"seq": 1, "applied": "yes"}),
        (wire.ingested_from_json, {"applied": True}),
        (wire.keys_from_json, {"config": [], "metrics": []}),
        (wire.table_from_json, {"total": 0}),
        (wire.table_from_json, {**wire.table_to_json(_table()), "columns": []}),
        (wire.history_from_json, [1]),
    ],
)
def test_malformed_answers_are_refused(decode: Any, data: object) -> None:
    with pytest.raises(InvalidInput):
        decode(data)
