from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from heron.store import chunks
from heron.store.base import Series
from tests.store.helpers import bits

INT64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)


@st.composite
def columns(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 300))
    steps = draw(
        st.one_of(
            arrays(np.int64, n, elements=INT64),
            arrays(np.int64, n, elements=st.integers(-5, 5)),  # repeats, going back
            st.builds(
                lambda a, d: a + d * np.arange(n, dtype=np.int64),
                st.integers(-(2**40), 2**40),
                st.integers(-3, 3),
            ),
        )
    )
    times = draw(
        st.one_of(
            arrays(np.float64, n, elements=FLOATS),
            st.builds(lambda t: np.round((1.7e9 + np.arange(n) * t) * 1e6) / 1e6, st.floats(0, 10)),
        )
    )
    values = draw(
        st.one_of(
            arrays(np.float64, n, elements=FLOATS),
            arrays(np.float32, n, elements=st.floats(width=32)).map(lambda a: a.astype(np.float64)),
        )
    )
    return steps, times, values


FIXTURES = Path(__file__).with_name("fixtures")
FORMATS = [2, chunks.FORMAT_VERSION]  # the one written, and the one before it


def roundtrip(
    steps: np.ndarray, times: np.ndarray, values: np.ndarray, version: int = chunks.FORMAT_VERSION
) -> Series:
    data = chunks.encode(steps, times, values, version=version)
    assert data[0] == version
    out = chunks.decode(data)
    assert out.steps.dtype == np.int64
    assert out.times.dtype == np.float64
    assert out.values.dtype == np.float64
    return out


@settings(max_examples=300, deadline=None)
@given(columns(), st.sampled_from(FORMATS))
def test_roundtrip_is_bit_exact(
    cols: tuple[np.ndarray, np.ndarray, np.ndarray], version: int
) -> None:
    steps, times, values = cols
    out = roundtrip(steps, times, values, version)
    assert out.steps.tolist() == steps.tolist()
    assert bits(out.times) == bits(times)
    assert bits(out.values) == bits(values)


@pytest.mark.parametrize("version", FORMATS)
def test_special_values_survive(version: int) -> None:
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-310, np.finfo(np.float64).max])
    times = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5e-7, 1e300])
    steps = np.array([2**63 - 1, -(2**63), 0, 2**63 - 1, -1, 5, 5], dtype=np.int64)
    out = roundtrip(steps, times, values, version)
    assert out.steps.tolist() == steps.tolist()
    assert bits(out.times) == bits(times)
    assert bits(out.values) == bits(values)


@pytest.mark.parametrize("version", FORMATS)
def test_nan_payloads_keep_their_bits(version: int) -> None:
    odd_nan = np.array([0x7FF0_0000_0000_0001, 0xFFF8_0000_0000_0000] * 3, dtype=np.uint64)
    values = odd_nan.view(np.float64)
    out = roundtrip(np.arange(6), np.zeros(6), values, version)
    assert bits(out.values) == bits(values)
    f32_nan = np.array([0x7FC0_0001, 0xFFC0_0002, 0x7F80_0000], np.uint32).view(np.float32)
    values = np.r_[f32_nan, f32_nan].astype(np.float64)  # quiet NaNs: float32-exact
    assert bits(roundtrip(np.arange(6), np.zeros(6), values, version).values) == bits(values)


def test_encoding_choices() -> None:
    def flags(steps: object, times: object, values: object) -> int:
        data = chunks.encode(np.asarray(steps), np.asarray(times), np.asarray(values))
        return int(struct.unpack_from("<BBI", data)[1])

    assert flags([3, 5, 7], [1.0, 2.0, 3.0], [0.5, 0.25, 1.0]) == (
        chunks.STEPS_LINEAR | chunks.TIMES_MICROS | chunks.VALUES_F32
    )
    assert flags([3, 5, 4], [1.0, 2.0, 1e-9], [0.1, 0.2, 0.3]) == (
        chunks.STEPS_DELTA | chunks.TIMES_RAW | chunks.VALUES_F64
    )


@pytest.mark.parametrize("version", FORMATS)
def test_empty_and_single(version: int) -> None:
    assert len(roundtrip(np.empty(0, np.int64), np.empty(0), np.empty(0), version)) == 0
    one = roundtrip(np.array([-(2**63)]), np.array([1.7e9]), np.array([np.nan]), version)
    assert one.steps.tolist() == [-(2**63)]
    assert np.isnan(one.values[0])


def test_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="one length"):
        chunks.encode(np.arange(3), np.zeros(2), np.zeros(3))


def _v3(flags: int, n: int, body: bytes) -> bytes:
    return struct.pack("<BBI", 3, flags, n) + body


_V3_LINEAR = struct.pack("<qq", 0, 1)  # steps 0, 1, 2, ...
_V3_F32 = chunks.STEPS_LINEAR | chunks.TIMES_RAW | chunks.VALUES_F32


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x11",
        struct.pack("<BBI", 3, _V3_F32, 2**31),  # more points than a chunk holds
        _v3(_V3_F32, 2, _V3_LINEAR),  # the planes are missing
        _v3(_V3_F32, 2, _V3_LINEAR + b"\x07\x00"),  # no such plane encoding
        _v3(_V3_F32, 2, _V3_LINEAR + b"\x00\x00"),  # a raw plane cut short
        _v3(_V3_F32, 2, _V3_LINEAR + b"\x02" + struct.pack("<I", 9) + b"not zstd!"),
        # a zstd plane of the wrong size (3 bytes where 2 points need 2)
        _v3(_V3_F32, 2, _V3_LINEAR + b"\x02" + struct.pack("<I", 12) + b"\x00" * 12),
        _v3(0x00, 1, b"\x00" * 64),  # no flags
        struct.pack("<BBI", 9, 0x15, 1) + zlib.compress(b""),  # unknown version
        struct.pack("<BBI", 1, 0x15, 1) + b"not zlib",
        struct.pack("<BBI", 1, 0x15, 100) + zlib.compress(b"\x00" * 8),  # truncated
        struct.pack("<BBI", 1, 0x00, 1) + zlib.compress(b"\x00" * 64),  # no flags
    ],
)
def test_corrupt_chunks_raise(data: bytes) -> None:
    with pytest.raises(chunks.ChunkFormatError):
        chunks.decode(data)


def test_trailing_bytes_raise() -> None:
    good = chunks.encode(np.arange(3), np.zeros(3), np.zeros(3), version=2)
    header, body = good[:6], zlib.decompress(good[6:])
    with pytest.raises(chunks.ChunkFormatError, match="trailing"):
        chunks.decode(header + zlib.compress(body + b"x"))
    with pytest.raises(chunks.ChunkFormatError, match="trailing"):
        chunks.decode(chunks.encode(np.arange(3), np.zeros(3), np.zeros(3)) + b"x")


def test_format_2_chunks_cannot_claim_format_3_encodings() -> None:
    good = bytearray(chunks.encode(np.arange(3), np.zeros(3), np.ones(3), version=2))
    good[1] |= chunks.VALUES_DELTA
    with pytest.raises(chunks.ChunkFormatError, match="format 3"):
        chunks.decode(bytes(good))


def test_a_zstd_plane_of_the_wrong_size_is_refused() -> None:
    """A plane that decompresses to other than the chunk's count (a frame swapped in from
    another chunk) is refused before it is copied anywhere."""
    rng = np.random.default_rng(3)
    values = rng.normal(size=100).astype(np.float32).astype(np.float64)
    data = bytearray(chunks.encode(np.arange(100), np.zeros(100), values))
    data[2:6] = struct.pack("<I", 99)
    with pytest.raises(chunks.ChunkFormatError):
        chunks.decode_into(bytes(data), Series(np.empty(99, np.int64), np.empty(99), np.empty(99)))


def test_smooth_float32_curve_costs_at_most_6_bytes_per_point() -> None:
    """A typical loss curve (float32 values, step += 1, ~10 ms between logs, jitter)."""
    rng = np.random.default_rng(7)
    n = 100_000
    x = np.linspace(0.0, 1.0, n)
    loss = 2.0 * np.exp(-5 * x) + 0.1 + 0.02 * rng.standard_normal(n)
    values = loss.astype(np.float32).astype(np.float64)
    times = np.round((1.7e9 + np.cumsum(rng.uniform(0.008, 0.012, n))) * 1e6) / 1e6
    steps = np.arange(n, dtype=np.int64)
    size = 0
    for start in range(0, n, chunks.CHUNK_SIZE):
        stop = start + chunks.CHUNK_SIZE
        size += len(chunks.encode(steps[start:stop], times[start:stop], values[start:stop]))
    assert size / n <= 5.0, f"{size / n:.2f} bytes/point"


@pytest.mark.parametrize("version", FORMATS)
@pytest.mark.parametrize("spread", [1, 3, 200, 40_000, 3_000_000, 2**40])
def test_deltas_of_every_width_round_trip(spread: int, version: int) -> None:
    """Formats 2 and 3 keep deltas in the narrowest integers that hold them (1, 2, 4, 8 bytes),
    negative ones (steps going back, a clock stepping back) included."""
    rng = np.random.default_rng(spread)
    step_deltas = rng.integers(-spread, spread + 1, 500)
    steps = np.cumsum(step_deltas).astype(np.int64)
    micros = 1_700_000_000_000_000 + np.cumsum(rng.integers(-spread // 4, spread + 1, 500))
    times = micros / 1e6
    values = rng.normal(size=500)
    out = roundtrip(steps, times, values, version)
    assert np.array_equal(out.steps, steps)
    assert bits(out.times) == bits(times) and bits(out.values) == bits(values)


def _first_format(steps: np.ndarray, micros: np.ndarray, values: np.ndarray) -> bytes:
    """A chunk as format 1 wrote it: deltas as shuffled int64, float64 values."""
    body = (
        steps[:1].tobytes()
        + chunks._shuffle(np.diff(steps))
        + micros[:1].tobytes()
        + chunks._shuffle(np.diff(micros))
        + chunks._shuffle(values)
    )
    flags = chunks.STEPS_DELTA | chunks.TIMES_MICROS | chunks.VALUES_F64
    return struct.pack("<BBI", 1, flags, len(steps)) + zlib.compress(body)


def test_chunks_of_the_first_format_are_still_read() -> None:
    steps = np.array([0, 1, 5, 4, 100], dtype=np.int64)
    micros = np.array([1, 2, 400, 401, 10**9], dtype=np.int64) + 1_700_000_000_000_000
    values = np.array([0.5, np.nan, -0.0, np.inf, 1e300])
    out = chunks.decode(_first_format(steps, micros, values))
    assert np.array_equal(out.steps, steps)
    assert bits(out.times) == bits(micros / 1e6) and bits(out.values) == bits(values)
    assert chunks.encode(steps, micros / 1e6, values)[0] == chunks.FORMAT_VERSION == 3


@pytest.mark.parametrize("version", [2, 3])
def test_chunks_written_by_earlier_encoders_are_still_read(version: int) -> None:
    """fixtures/chunks_format<N>.json: chunks as the encoder of format N wrote them
    (make_chunk_fixtures.py), every flag and delta width among them."""
    cases = json.loads((FIXTURES / f"chunks_format{version}.json").read_text())
    flags = set()
    for name, case in cases.items():
        data = base64.b64decode(case["chunk"])
        assert data[0] == version, name
        flags.add(data[1])
        out = chunks.decode(data)
        assert len(out) == case["points"], name
        for column, dtype in (("steps", "<i8"), ("times", "<f8"), ("values", "<f8")):
            got = getattr(out, column).astype(dtype).tobytes()
            assert hashlib.sha256(got).hexdigest() == case[f"{column}_sha256"], (name, column)
    assert len(flags) >= 4


def test_values_are_stored_as_deltas_when_that_is_smaller() -> None:
    """A smooth float64 schedule (a cosine learning rate) costs far fewer bytes as the
    deltas of its bit patterns; noise does not, and stays as it is."""
    n = chunks.CHUNK_SIZE
    schedule = 3e-4 * 0.5 * (1 + np.cos(np.pi * (np.arange(n) + 20_000) / 100_000))
    noise = np.random.default_rng(4).random(n)
    sizes = {}
    for name, values in (("schedule", schedule), ("noise", noise)):
        data = chunks.encode(np.arange(n), np.zeros(n), values)
        sizes[name] = len(data)
        assert bool(data[1] & chunks.VALUES_DELTA) == (name == "schedule")
        assert bits(chunks.decode(data).values) == bits(values)
    assert sizes["schedule"] < 0.7 * len(
        chunks.encode(np.arange(n), np.zeros(n), schedule, version=2)
    )


def test_format_3_stores_a_noisy_float32_curve_smaller_than_format_2() -> None:
    """A loss curve decayed to noise: the low mantissa bytes are noise, stored raw;
    the sign and exponent plane compresses on its own (issue 19: ≤ 4 B/point on disk)."""
    rng = np.random.default_rng(5)
    n = chunks.CHUNK_SIZE
    values = (np.float32(0.01) * rng.standard_normal(n).astype(np.float32)).astype(np.float64)
    times = np.round((1.7e9 + np.cumsum(rng.integers(1, 4, n)) * 1e-6) * 1e6) / 1e6
    new = chunks.encode(np.arange(n), times, values)
    old = chunks.encode(np.arange(n), times, values, version=2)
    assert len(new) < 0.95 * len(old)


def test_decoding_into_a_slice_of_the_wrong_length_is_refused() -> None:
    data = chunks.encode(np.arange(4), np.zeros(4), np.zeros(4))
    out = Series(np.empty(3, np.int64), np.empty(3), np.empty(3))
    with pytest.raises(chunks.ChunkFormatError, match="row says 3"):
        chunks.decode_into(data, out)


@pytest.mark.parametrize("version", FORMATS)
def test_linear_steps_wrapping_around_int64_round_trip(version: int) -> None:
    """Steps of one constant delta modulo 2**64 are stored as (first, delta)."""
    for steps in ([2**63 - 2, 2**63 - 1, -(2**63), -(2**63) + 1], [5, 2**62 + 5, -(2**63) + 5]):
        array = np.array(steps, dtype=np.int64)
        data = chunks.encode(array, np.zeros(len(steps)), np.zeros(len(steps)), version=version)
        assert data[1] & chunks.STEPS_LINEAR
        assert chunks.decode(data).steps.tolist() == steps
