"""The metric chunk codec: (steps, times, values) columns <-> compact bytes, lossless.

Layout of an encoded chunk::

    header  "<BBI": format version, flags, point count n      (6 bytes, not compressed)
    body    zlib(steps section + times section + values section)

Sections (every multi-byte array is little-endian and byte-shuffled: byte 0 of every
element, then byte 1, ... so that the slowly varying high bytes of neighbours sit
together and compress to almost nothing):

- steps: ``STEPS_LINEAR``: first step and the constant delta (two int64); the usual
  ``step += 1`` case costs 16 bytes a chunk. ``STEPS_DELTA``: first step, then the
  n-1 deltas. Deltas wrap around modulo 2**64 (numpy integer arrays do), and so does
  the cumulative sum that undoes them, so the full int64 range round-trips exactly.
- times: ``TIMES_MICROS``: int64 microseconds, first then deltas, used when every time
  converts to whole microseconds and back bit-exactly (the store rounds wall times to
  microseconds before encoding); ``TIMES_RAW``: the float64s themselves otherwise
  (NaN, inf, sub-microsecond times).
- values: ``VALUES_F32`` when every value survives float64 -> float32 -> float64
  bit-exactly (``loss.item()`` of a float32 tensor does; NaN, +-inf and -0.0 do too),
  ``VALUES_F64`` otherwise.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

from heron.errors import StoreError
from heron.store.base import Float64Array, Int64Array, Series

CHUNK_SIZE = 4096  # points per chunk: big enough to compress well, small to rewrite
FORMAT_VERSION = 1

STEPS_LINEAR = 0x01
STEPS_DELTA = 0x02
TIMES_MICROS = 0x04
TIMES_RAW = 0x08
VALUES_F32 = 0x10
VALUES_F64 = 0x20

_HEADER = struct.Struct("<BBI")
_I64 = np.dtype("<i8")
_F64 = np.dtype("<f8")
_F32 = np.dtype("<f4")
# Beyond 2**53 microseconds (year 2255) int64 <-> float64 conversion stops being exact.
_MAX_MICROS = float(2**53)
_ZLIB_LEVEL = 6


class ChunkFormatError(StoreError):
    """The bytes are not a chunk this codec wrote (corrupt, truncated, newer format).

    Raised with what is wrong with the bytes; the store's readers re-raise it naming
    the run, the metric and what to do (``heron.store.series.corrupt_chunk``)."""


def encode(steps: Int64Array, times: Float64Array, values: Float64Array) -> bytes:
    """Encode one chunk. The three arrays must have the same length."""
    steps = np.ascontiguousarray(steps, dtype=_I64)
    times = np.ascontiguousarray(times, dtype=_F64)
    values = np.ascontiguousarray(values, dtype=_F64)
    n = steps.shape[0]
    if times.shape != (n,) or values.shape != (n,):
        raise ValueError(
            f"steps, times and values must be 1-d and of one length, got "
            f"{steps.shape}, {times.shape}, {values.shape}"
        )
    if n >= 2**32:
        raise ValueError(f"a chunk holds fewer than 2**32 points, got {n}")
    step_flag, step_part = _encode_steps(steps)
    time_flag, time_part = _encode_times(times)
    value_flag, value_part = _encode_values(values)
    header = _HEADER.pack(FORMAT_VERSION, step_flag | time_flag | value_flag, n)
    body = zlib.compress(step_part + time_part + value_part, _ZLIB_LEVEL)
    return header + body


def encode_series(series: Series) -> bytes:
    return encode(series.steps, series.times, series.values)


def decode(data: bytes) -> Series:
    """Decode a chunk written by :func:`encode`; raises :class:`ChunkFormatError`."""
    if len(data) < _HEADER.size:
        raise ChunkFormatError(f"chunk of {len(data)} bytes is shorter than its header")
    version, flags, n = _HEADER.unpack_from(data)
    if version != FORMAT_VERSION:
        raise ChunkFormatError(f"chunk format {version} is not supported (expected 1)")
    try:
        body = zlib.decompress(data[_HEADER.size :])
    except zlib.error as exc:
        raise ChunkFormatError(f"chunk body does not decompress: {exc}") from None
    if n and len(body) < n * _F32.itemsize:  # before allocating n points: a corrupt n
        raise ChunkFormatError(f"chunk body of {len(body)} bytes cannot hold {n} points")
    reader = _Reader(body)
    steps = _decode_steps(reader, flags, n)
    times = _decode_times(reader, flags, n)
    values = _decode_values(reader, flags, n)
    if reader.remaining:
        raise ChunkFormatError(f"chunk has {reader.remaining} unexpected trailing bytes")
    return Series(steps, times, values)


# --- sections ----------------------------------------------------------------


def _encode_steps(steps: Int64Array) -> tuple[int, bytes]:
    n = steps.shape[0]
    if n == 0:
        return STEPS_LINEAR, b""
    deltas = np.diff(steps)  # wraps modulo 2**64 on overflow: undone exactly by cumsum
    if n == 1 or bool(np.all(deltas == deltas[0])):
        delta = deltas[:1] if n > 1 else np.zeros(1, _I64)
        return STEPS_LINEAR, steps[:1].tobytes() + delta.astype(_I64).tobytes()
    return STEPS_DELTA, steps[:1].tobytes() + _shuffle(deltas.astype(_I64))


def _decode_steps(reader: _Reader, flags: int, n: int) -> Int64Array:
    if n == 0:
        return np.empty(0, np.int64)
    if flags & STEPS_LINEAR:
        first, delta = reader.array(_I64, 2)
        out = np.full(n, delta, dtype=np.int64)
        out[0] = first
    elif flags & STEPS_DELTA:
        out = np.empty(n, dtype=np.int64)
        out[:1] = reader.array(_I64, 1)
        out[1:] = reader.shuffled(_I64, n - 1)
    else:
        raise ChunkFormatError(f"chunk flags {flags:#x} name no step encoding")
    return np.cumsum(out, dtype=np.int64)


def _encode_times(times: Float64Array) -> tuple[int, bytes]:
    if times.shape[0] == 0:
        return TIMES_MICROS, b""
    if bool(np.all(np.abs(times) < _MAX_MICROS / 1e6)):  # also False for NaN and inf
        micros = np.rint(times * 1e6).astype(_I64)
        if _same_bits(micros / 1e6, times):
            return TIMES_MICROS, micros[:1].tobytes() + _shuffle(np.diff(micros))
    return TIMES_RAW, _shuffle(times)


def _decode_times(reader: _Reader, flags: int, n: int) -> Float64Array:
    if n == 0:
        return np.empty(0, np.float64)
    if flags & TIMES_MICROS:
        micros = np.empty(n, dtype=np.int64)
        micros[:1] = reader.array(_I64, 1)
        micros[1:] = reader.shuffled(_I64, n - 1)
        return np.cumsum(micros, dtype=np.int64) / 1e6
    if flags & TIMES_RAW:
        return reader.shuffled(_F64, n).astype(np.float64)
    raise ChunkFormatError(f"chunk flags {flags:#x} name no time encoding")


def _encode_values(values: Float64Array) -> tuple[int, bytes]:
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values -> inf: checked
        narrow = values.astype(_F32)
    if _same_bits(narrow.astype(np.float64), values):
        return VALUES_F32, _shuffle(narrow)
    return VALUES_F64, _shuffle(values)


def _decode_values(reader: _Reader, flags: int, n: int) -> Float64Array:
    if flags & VALUES_F32:
        return reader.shuffled(_F32, n).astype(np.float64)
    if flags & VALUES_F64:
        return reader.shuffled(_F64, n).astype(np.float64)
    raise ChunkFormatError(f"chunk flags {flags:#x} name no value encoding")


# --- helpers -----------------------------------------------------------------


def _same_bits(a: Float64Array, b: Float64Array) -> bool:
    """Bit-for-bit equality: tells -0.0 from 0.0 and NaN payloads apart."""
    return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))


def _shuffle(array: npt.NDArray[np.generic]) -> bytes:
    width = array.dtype.itemsize
    raw = np.ascontiguousarray(array).view(np.uint8).reshape(-1, width)
    return bytes(raw.T.tobytes())


class _Reader:
    """Sequential reads of fixed-size arrays out of a decompressed body."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._body) - self._pos

    def _take(self, size: int) -> bytes:
        if size > self.remaining:
            raise ChunkFormatError("chunk body is truncated")
        part = self._body[self._pos : self._pos + size]
        self._pos += size
        return part

    def array(self, dtype: np.dtype[np.generic], count: int) -> npt.NDArray[np.generic]:
        return np.frombuffer(self._take(dtype.itemsize * count), dtype=dtype)

    def shuffled(self, dtype: np.dtype[np.generic], count: int) -> npt.NDArray[np.generic]:
        width = dtype.itemsize
        raw = np.frombuffer(self._take(width * count), dtype=np.uint8)
        out: npt.NDArray[np.generic] = raw.reshape(width, count).T.copy().view(dtype)
        return out.reshape(count)
