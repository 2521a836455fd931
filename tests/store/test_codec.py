"""``heron.store._codec``, the chunk codec's format 3 and the block summaries in C:
the same bytes as the pure-Python code in ``chunks.py`` and ``lod.py``, which is the
reference (and the fallback where the module is not built)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.store import chunks, lod
from heron.store.base import Series
from tests.compiled import check_built, compiled
from tests.store.helpers import bits
from tests.store.test_chunks import columns

codec, needs_codec = compiled("heron.store._codec")


@pytest.fixture(autouse=True)
def compiled_codec() -> Iterator[None]:
    """The tests here use the C codec (whatever HERON_PURE_PYTHON says) except where
    they ask for the pure-Python code (``by_python``, ``python_codec``)."""
    saved = chunks._compiled, lod._compiled
    chunks._compiled = lod._compiled = codec
    try:
        yield
    finally:
        chunks._compiled, lod._compiled = saved


def test_the_compiled_codec_is_built_in_this_checkout() -> None:
    check_built("heron.store._codec")
    assert codec is not None


def by_python(function: Any, *args: Any) -> Any:
    chunks._compiled = lod._compiled = None
    try:
        return function(*args)
    finally:
        chunks._compiled = lod._compiled = codec


def outcome(data: bytes) -> tuple[str, Any]:
    """What decoding ``data`` gives: its arrays' bits, or the error's message."""
    try:
        out = chunks.decode(data)
    except chunks.ChunkFormatError as exc:
        return "error", str(exc)
    return "points", (out.steps.tolist(), bits(out.times), bits(out.values))


@needs_codec
@settings(max_examples=400, deadline=None)
@given(columns())
def test_encode_writes_the_python_codecs_bytes(
    cols: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    steps, times, values = cols
    compiled = chunks.encode(steps, times, values)
    assert compiled == by_python(chunks.encode, steps, times, values)
    assert outcome(compiled) == by_python(outcome, compiled)
    out = chunks.decode(compiled)
    assert out.steps.tolist() == steps.tolist()
    assert bits(out.times) == bits(times)
    assert bits(out.values) == bits(values)


def training_chunk(n: int, seed: int) -> Series:
    """What a training loop logs: steps += 1, wall times in microseconds, a float32
    loss, bits of which are noise."""
    rng = np.random.default_rng(seed)
    times = np.round((1.7e9 + np.cumsum(rng.uniform(0.0005, 0.002, n))) * 1e6) / 1e6
    loss = np.exp(-np.arange(n) / 500) + rng.normal(0, 0.01, n)
    return Series(np.arange(n, dtype=np.int64), times, loss.astype(np.float32).astype(np.float64))


@needs_codec
@pytest.mark.parametrize("n", [1, 2, 3, 64, 65, 2400, chunks.CHUNK_SIZE])
def test_a_training_loops_chunks_are_the_python_codecs(n: int) -> None:
    part = training_chunk(n, n)
    data = chunks.encode_series(part)
    assert data == by_python(chunks.encode_series, part)
    assert lod.summarize(part) == by_python(lod.summarize, part)


@needs_codec
def test_damaged_chunks_fail_with_the_python_codecs_message() -> None:
    """Every truncation, and every byte changed, of chunks of each encoding: the C
    reader decodes what the Python one decodes, and refuses the rest with the same
    message (a ChunkFormatError, never a crash or a read past the bytes)."""
    rng = np.random.default_rng(7)
    samples = [
        chunks.encode_series(training_chunk(300, 1)),  # linear steps, micros, float32
        chunks.encode(  # deltas of every width, raw times, float64 deltas
            np.array([0, 1, 300, 70_000, 2**40, -5], dtype=np.int64),
            np.array([1.5e-7, np.nan, 3.0, 1e300, -2.0, 0.0]),
            np.linspace(0.1, 0.7, 6) ** 3,
        ),
    ]
    for data in samples:
        for cut in range(len(data)):
            assert outcome(data[:cut]) == by_python(outcome, data[:cut]), cut
        for at in range(6, len(data)):
            for _ in range(3):
                damaged = bytearray(data)
                damaged[at] = int(rng.integers(0, 256))
                assert outcome(bytes(damaged)) == by_python(outcome, bytes(damaged)), at
        assert outcome(data + b"\x00") == by_python(outcome, data + b"\x00")


@needs_codec
def test_decode_into_arrays_the_c_reader_cannot_take() -> None:
    """Views with a stride (no caller makes them today) are decoded by the Python
    reader: the result is the same."""
    part = training_chunk(100, 3)
    data = chunks.encode_series(part)
    wide = Series(np.zeros(200, np.int64), np.zeros(200), np.zeros(200))
    strided = Series(wide.steps[::2], wide.times[::2], wide.values[::2])
    chunks.decode_into(data, strided)
    assert strided.steps.tolist() == part.steps.tolist()
    assert bits(strided.values) == bits(part.values)


def records(summary: bytes) -> list[tuple[Any, ...]]:
    """The records, each field's bits, with two freedoms the C code takes: a NaN is
    any NaN (a time's NaN, or an overflowing sum's, keeps no payload worth keeping),
    and the extremes compare by value (where 0.0 and -0.0 tie, numpy's minimum and
    maximum return either)."""
    out = []
    for rec in lod.decode(summary):
        row: list[Any] = []
        for name in lod.RECORD.names or ():
            value = rec[name]
            if np.issubdtype(value.dtype, np.floating) and np.isnan(value):
                row.append("nan")
            elif name in ("time_min", "time_max", "y_min", "y_max"):
                row.append(float(value))
            else:
                row.append(np.asarray(value).tobytes())
        out.append(tuple(row))
    return out


@needs_codec
@settings(max_examples=300, deadline=None)
@given(columns())
def test_summaries_are_the_python_ones(cols: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Sums in numpy's pairwise order, NaN times propagated: the same records; the
    same bytes where no NaN comes in and no extreme ties 0.0 with -0.0."""
    part = Series(*cols)
    compiled, python = lod.summarize(part), by_python(lod.summarize, part)
    assert records(compiled) == records(python)
    finite = part.values[np.isfinite(part.values)]
    with np.errstate(over="ignore", invalid="ignore"):
        sums_finite = np.isfinite(finite.sum()) and np.isfinite(part.times.sum())
    if sums_finite and not (finite == 0).any() and not (part.times == 0).any():
        assert compiled == python


@needs_codec
@given(st.integers(1, 3 * lod.BLOCK + 5), st.integers(0, 2**32))
@settings(max_examples=100, deadline=None)
def test_summaries_of_sums_that_depend_on_the_order(n: int, seed: int) -> None:
    """Values of very different magnitudes, whose float sum depends on the order of
    the additions: the C sums add in numpy's order."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=n) * 10.0 ** rng.integers(-8, 12, n)
    part = Series(np.arange(n, dtype=np.int64) * 7919, 1.7e9 + rng.random(n), values)
    assert lod.summarize(part) == by_python(lod.summarize, part)
