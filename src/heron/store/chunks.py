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

Deltas (of steps and of times), format 2: one byte, the width ``w`` (1, 2, 4 or 8) of
the narrowest signed integer that holds every delta, then the deltas as ``w``-byte
integers: plain for 1 and 2 (a training loop's time deltas: decoding is one
``frombuffer`` and a cumulative sum, no byte shuffle to undo), shuffled for 4 and 8.
Format 1 (still read) wrote every delta as a shuffled int64.
- values: ``VALUES_F32`` when every value survives float64 -> float32 -> float64
  bit-exactly (``loss.item()`` of a float32 tensor does; NaN, +-inf and -0.0 do too),
  ``VALUES_F64`` otherwise.
"""

from __future__ import annotations

import struct
import sys
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from heron.errors import StoreError
from heron.store.base import Float64Array, Int64Array, Series

CHUNK_SIZE = 4096  # points per chunk: big enough to compress well, small to rewrite
FORMAT_VERSION = 2
_FORMATS = (1, 2)  # read; format 1 wrote deltas as shuffled int64

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
_DELTA_TYPES: dict[int, np.dtype[np.signedinteger[Any]]] = {
    1: np.dtype("<i1"),
    2: np.dtype("<i2"),
    4: np.dtype("<i4"),
    8: _I64,
}
# Beyond 2**53 microseconds (year 2255) int64 <-> float64 conversion stops being exact.
_MAX_MICROS = float(2**53)
_ZLIB_LEVEL = 6
_BIG_ENDIAN = sys.byteorder == "big"


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
    version, flags, n, body = _open(data)
    out = Series(np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.float64))
    _decode_body(version, flags, body, out)
    return out


def point_count(data: bytes) -> int:
    """The number of points a chunk holds (from its header); ChunkFormatError if short."""
    if len(data) < _HEADER.size:
        raise ChunkFormatError(f"chunk of {len(data)} bytes is shorter than its header")
    return int(_HEADER.unpack_from(data)[2])


def decode_into(data: bytes, out: Series) -> None:
    """Decode a chunk into ``out``'s arrays (int64, float64, float64, exactly as long as
    the chunk: slices of a whole series' arrays), so that reading a long series makes
    no copy of it; raises :class:`ChunkFormatError`."""
    version, flags, n, body = _open(data)
    if len(out) != n:
        raise ChunkFormatError(f"chunk holds {n} points, its row says {len(out)}")
    _decode_body(version, flags, body, out)


def _open(data: bytes) -> tuple[int, int, int, bytes]:
    """(format, flags, point count, decompressed body), checked before anything of the
    chunk's size is allocated (a corrupt count must not ask for gigabytes)."""
    n = point_count(data)
    version, flags, _ = _HEADER.unpack_from(data)
    if version not in _FORMATS:
        raise ChunkFormatError(
            f"chunk format {version} is not supported (expected 1 or 2): written by a newer Heron"
        )
    try:
        body = zlib.decompress(data[_HEADER.size :])
    except zlib.error as exc:
        raise ChunkFormatError(f"chunk body does not decompress: {exc}") from None
    if n and len(body) < n * _F32.itemsize:  # before decoding n points: a corrupt n
        raise ChunkFormatError(f"chunk body of {len(body)} bytes cannot hold {n} points")
    return version, flags, n, body


def _decode_body(version: int, flags: int, body: bytes, out: Series) -> None:
    reader = _Reader(body, version)
    _decode_steps(reader, flags, out.steps)
    _decode_times(reader, flags, out.times)
    _decode_values(reader, flags, out.values)
    if reader.remaining:
        raise ChunkFormatError(f"chunk has {reader.remaining} unexpected trailing bytes")


# --- sections ----------------------------------------------------------------


def _encode_steps(steps: Int64Array) -> tuple[int, bytes]:
    n = steps.shape[0]
    if n == 0:
        return STEPS_LINEAR, b""
    deltas = np.diff(steps)  # wraps modulo 2**64 on overflow: undone exactly by cumsum
    if n == 1 or bool(np.all(deltas == deltas[0])):
        delta = deltas[:1] if n > 1 else np.zeros(1, _I64)
        return STEPS_LINEAR, steps[:1].tobytes() + delta.astype(_I64).tobytes()
    return STEPS_DELTA, steps[:1].tobytes() + _pack_deltas(deltas.astype(_I64))


def _decode_steps(reader: _Reader, flags: int, out: Int64Array) -> None:
    n = out.shape[0]
    if n == 0:
        return
    if flags & STEPS_LINEAR:
        first, delta = reader.array(_I64, 2)
        out.fill(delta)
        out[0] = first
    elif flags & STEPS_DELTA:
        out[:1] = reader.array(_I64, 1)
        reader.deltas_into(out[1:])
    else:
        raise ChunkFormatError(f"chunk flags {flags:#x} name no step encoding")
    np.cumsum(out, dtype=np.int64, out=out)


def _encode_times(times: Float64Array) -> tuple[int, bytes]:
    if times.shape[0] == 0:
        return TIMES_MICROS, b""
    if bool(np.all(np.abs(times) < _MAX_MICROS / 1e6)):  # also False for NaN and inf
        micros = np.rint(times * 1e6).astype(_I64)
        if _same_bits(micros / 1e6, times):
            return TIMES_MICROS, micros[:1].tobytes() + _pack_deltas(np.diff(micros))
    return TIMES_RAW, _shuffle(times)


def _decode_times(reader: _Reader, flags: int, out: Float64Array) -> None:
    n = out.shape[0]
    if n == 0:
        return
    if flags & TIMES_MICROS:
        micros = np.empty(n, dtype=np.int64)
        micros[:1] = reader.array(_I64, 1)
        reader.deltas_into(micros[1:])
        np.cumsum(micros, dtype=np.int64, out=micros)
        np.divide(micros, 1e6, out=out)
    elif flags & TIMES_RAW:
        reader.shuffled_into(out)
    else:
        raise ChunkFormatError(f"chunk flags {flags:#x} name no time encoding")


def _encode_values(values: Float64Array) -> tuple[int, bytes]:
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values -> inf: checked
        narrow = values.astype(_F32)
    if _same_bits(narrow.astype(np.float64), values):
        return VALUES_F32, _shuffle(narrow)
    return VALUES_F64, _shuffle(values)


def _decode_values(reader: _Reader, flags: int, out: Float64Array) -> None:
    if flags & VALUES_F32:
        narrow = np.empty(out.shape[0], _F32)
        reader.shuffled_into(narrow)
        out[:] = narrow
    elif flags & VALUES_F64:
        reader.shuffled_into(out)
    else:
        raise ChunkFormatError(f"chunk flags {flags:#x} name no value encoding")


# --- helpers -----------------------------------------------------------------


def _same_bits(a: Float64Array, b: Float64Array) -> bool:
    """Bit-for-bit equality: tells -0.0 from 0.0 and NaN payloads apart."""
    return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))


def _pack_deltas(deltas: Int64Array) -> bytes:
    """Format 2's deltas: the width byte, then the narrowest integers that hold them."""
    if deltas.shape[0] == 0:
        return bytes([1])
    low, high = int(deltas.min()), int(deltas.max())
    width = next(w for w in (1, 2, 4, 8) if -(2 ** (8 * w - 1)) <= low and high < 2 ** (8 * w - 1))
    narrow = deltas.astype(_DELTA_TYPES[width])
    return bytes([width]) + (narrow.tobytes() if width <= 2 else _shuffle(narrow))


def _shuffle(array: npt.NDArray[np.generic]) -> bytes:
    width = array.dtype.itemsize
    raw = np.ascontiguousarray(array).view(np.uint8).reshape(-1, width)
    return bytes(raw.T.tobytes())


class _Reader:
    """Sequential reads of fixed-size arrays out of a decompressed body."""

    def __init__(self, body: bytes, version: int = FORMAT_VERSION) -> None:
        self._body = body
        self._pos = 0
        self._version = version

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

    def deltas_into(self, out: Int64Array) -> None:
        """Read ``len(out)`` deltas (:func:`_pack_deltas`; format 1: shuffled int64)."""
        if self._version == 1:
            self.shuffled_into(out)
            return
        width = int(self._take(1)[0])
        dtype = _DELTA_TYPES.get(width)
        if dtype is None:
            raise ChunkFormatError(f"chunk deltas have no width {width}")
        if width == 8:
            self.shuffled_into(out)
        elif width == 4:
            narrow = np.empty(out.shape[0], np.int32)  # native: shuffled_into swaps
            self.shuffled_into(narrow)
            out[:] = narrow
        else:
            out[:] = self.array(dtype, out.shape[0])

    def shuffled_into(self, out: npt.NDArray[np.generic]) -> None:
        """Undo :func:`_shuffle` into ``out`` (contiguous, little-endian on this
        machine: numpy's int64/float64/float32 on every platform Heron runs on)."""
        count, width = out.shape[0], out.dtype.itemsize
        raw = np.frombuffer(self._take(width * count), dtype=np.uint8)
        out.view(np.uint8).reshape(count, width)[...] = raw.reshape(width, count).T
        if _BIG_ENDIAN:  # the bytes are little-endian
            out.byteswap(inplace=True)
