"""heron.wire: round trips, non-finite floats, and refusal of malformed batches."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.errors import InvalidInput
from heron.store.base import Batch, MetricSummary, RunInfo, RunSpec, Series
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
