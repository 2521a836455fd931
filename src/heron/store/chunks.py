"""The metric chunk codec: (steps, times, values) columns <-> compact bytes, lossless.

Layout of an encoded chunk::

    header  "<BBI": format version, flags, point count n      (6 bytes)
    body    format 3: the sections below, each array as compressed byte planes
            formats 1 and 2 (still read): zlib(steps + times + values sections)

Sections:

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
  ``VALUES_F64`` otherwise. Format 3 adds ``VALUES_DELTA``: the values' bit patterns
  (uint32 or uint64) stored as differences from the previous value's, wrapping, which
  the encoder picks per chunk when it is smaller (smooth float64 curves: a learning
  rate schedule takes about 60 % of the bytes).

Deltas (of steps and of times), formats 2 and 3: one byte, the width ``w`` (1, 2, 4
or 8) of the narrowest signed integer that holds every delta, then the deltas as
``w``-byte integers. Format 1 wrote every delta as an int64.

Format 3 (written now) stores every array as its byte planes (byte 0 of every
element, then byte 1, ...: the slowly varying high bytes of neighbours sit together),
and each plane on its own, as the smallest of: ``PLANE_CONST`` (one byte, repeated:
the high bytes of small deltas), ``PLANE_ZSTD`` (a uint32 length and a zstd frame) or
``PLANE_RAW`` (the bytes as they are: a float's low mantissa bytes are noise). Planes
apart, each with its own entropy coder, compress better than zlib over the whole body
(a float32 loss curve 3.36 instead of 3.54 bytes a value), and decoding is a zstd
inflate or a copy per plane, several times faster than zlib's. Formats 1 and 2
(zlib over the body; byte-shuffled arrays, format 2's 1- and 2-byte deltas plain)
are still read.
"""

from __future__ import annotations

import struct
import sys
import threading
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
import zstandard

from heron import compiled
from heron.errors import StoreError
from heron.store.base import Float64Array, Int64Array, Series

CHUNK_SIZE = 4096  # points per chunk: big enough to compress well, small to rewrite
FORMAT_VERSION = 3
_FORMATS = (1, 2, 3)  # read; 1 and 2: zlib over the body (1: deltas as int64)

STEPS_LINEAR = 0x01
STEPS_DELTA = 0x02
TIMES_MICROS = 0x04
TIMES_RAW = 0x08
VALUES_F32 = 0x10
VALUES_F64 = 0x20
VALUES_DELTA = 0x40  # format 3: the values' bit patterns as wrapping deltas

PLANE_RAW = 0
PLANE_CONST = 1
PLANE_ZSTD = 2

_HEADER = struct.Struct("<BBI")
_LENGTH = struct.Struct("<I")
_I64 = np.dtype("<i8")
_F64 = np.dtype("<f8")
_F32 = np.dtype("<f4")
_U32 = np.dtype("<u4")
_U64 = np.dtype("<u8")
_DELTA_TYPES: dict[int, np.dtype[np.signedinteger[Any]]] = {
    1: np.dtype("<i1"),
    2: np.dtype("<i2"),
    4: np.dtype("<i4"),
    8: _I64,
}
# Beyond 2**53 microseconds (year 2255) int64 <-> float64 conversion stops being exact.
_MAX_MICROS = float(2**53)
_ZLIB_LEVEL = 6  # formats 1 and 2 (tests write them)
# zstd's fastest level: on byte planes it compresses as well as level 3 to 9 (the
# planes are either near-constant or noise), at a fraction of the time.
_ZSTD_LEVEL = 1
_BIG_ENDIAN = sys.byteorder == "big"
# Format 3 refuses a header claiming more points (a corrupt count must not ask for
# gigabytes before the planes tell it is wrong).
MAX_POINTS = 2**24
# Format 3 in C (``_codec.c``: the same bytes, one pass over the points instead of
# about forty numpy operations, which a shipper's batch pays for every key), or None
# (not built, or a big-endian machine): then the code below.
_compiled: Any = compiled.load("heron.store._codec")


class ChunkFormatError(StoreError):
    """The bytes are not a chunk this codec wrote (corrupt, truncated, newer format).

    Raised with what is wrong with the bytes; the store's readers re-raise it naming
    the run, the metric and what to do (``heron.store.series.corrupt_chunk``)."""


def encode(
    steps: Int64Array,
    times: Float64Array,
    values: Float64Array,
    *,
    version: int = FORMAT_VERSION,
) -> bytes:
    """Encode one chunk. The three arrays must have the same length. ``version`` 2
    writes the previous format (for tests of the readers of old chunks)."""
    if version not in (2, FORMAT_VERSION):
        raise ValueError(f"chunk format {version} cannot be written (2 or {FORMAT_VERSION})")
    steps = np.ascontiguousarray(steps, dtype=_I64)
    times = np.ascontiguousarray(times, dtype=_F64)
    values = np.ascontiguousarray(values, dtype=_F64)
    n = steps.shape[0]
    if times.shape != (n,) or values.shape != (n,):
        raise ValueError(
            f"steps, times and values must be 1-d and of one length, got "
            f"{steps.shape}, {times.shape}, {values.shape}"
        )
    if n > MAX_POINTS:
        raise ValueError(f"a chunk holds at most {MAX_POINTS} points, got {n}")
    if version == FORMAT_VERSION and _compiled is not None:
        encoded: bytes = _compiled.encode(steps, times, values, _codecs.compressor.compress)
        return encoded
    step_flag, step_part = _encode_steps(steps, version)
    time_flag, time_part = _encode_times(times, version)
    value_flag, value_part = _encode_values(values, version)
    header = _HEADER.pack(version, step_flag | time_flag | value_flag, n)
    if version == 2:
        return header + zlib.compress(step_part + time_part + value_part, _ZLIB_LEVEL)
    return b"".join((header, step_part, time_part, value_part))


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


def _open(data: bytes) -> tuple[int, int, int, memoryview]:
    """(format, flags, point count, body: decompressed for formats 1 and 2), checked
    before anything of the chunk's size is allocated (a corrupt count must not ask for
    gigabytes)."""
    n = point_count(data)
    version, flags, _ = _HEADER.unpack_from(data)
    if version == FORMAT_VERSION:
        if n > MAX_POINTS:
            raise ChunkFormatError(f"chunk claims {n} points, more than a chunk holds")
        return version, flags, n, memoryview(data)[_HEADER.size :]
    if version not in _FORMATS:
        raise ChunkFormatError(
            f"chunk format {version} is not supported (expected 1 to {FORMAT_VERSION}): "
            "written by a newer Heron"
        )
    try:
        body = zlib.decompress(data[_HEADER.size :])
    except zlib.error as exc:
        raise ChunkFormatError(f"chunk body does not decompress: {exc}") from None
    if n and len(body) < n * _F32.itemsize:  # before decoding n points: a corrupt n
        raise ChunkFormatError(f"chunk body of {len(body)} bytes cannot hold {n} points")
    return version, flags, n, memoryview(body)


def _decode_body(version: int, flags: int, body: memoryview, out: Series) -> None:
    if version == FORMAT_VERSION and _compiled is not None:
        try:
            done = _compiled.decode_into(
                body,
                flags,
                out.steps,
                out.times,
                out.values,
                _codecs.decompressor.decompress,
                zstandard.frame_content_size,
            )
        except ValueError as exc:  # the C reader's word for bytes it cannot read
            raise ChunkFormatError(str(exc)) from None
        except zstandard.ZstdError as exc:
            raise ChunkFormatError(f"chunk byte plane does not decompress: {exc}") from None
        if done is not NotImplemented:  # NotImplemented: strided arrays, read below
            return
    reader = _Reader(body, version)
    _decode_steps(reader, flags, out.steps)
    _decode_times(reader, flags, out.times)
    _decode_values(reader, flags, out.values)
    if reader.remaining:
        raise ChunkFormatError(f"chunk has {reader.remaining} unexpected trailing bytes")


# --- sections ----------------------------------------------------------------


def _encode_steps(steps: Int64Array, version: int) -> tuple[int, bytes]:
    n = steps.shape[0]
    if n == 0:
        return STEPS_LINEAR, b""
    deltas = np.diff(steps)  # wraps modulo 2**64 on overflow: undone exactly by cumsum
    if n == 1 or bool(np.all(deltas == deltas[0])):
        delta = deltas[:1] if n > 1 else np.zeros(1, _I64)
        return STEPS_LINEAR, steps[:1].tobytes() + delta.astype(_I64).tobytes()
    return STEPS_DELTA, steps[:1].tobytes() + _pack_deltas(deltas.astype(_I64), version)


def _decode_steps(reader: _Reader, flags: int, out: Int64Array) -> None:
    n = out.shape[0]
    if n == 0:
        return
    if flags & STEPS_LINEAR:  # first + delta * i, wrapping as the cumulative sum would
        first, delta = reader.array(_I64, 2)
        np.multiply(_counting(n), delta, out=out)
        out += first
        return
    if not flags & STEPS_DELTA:
        raise ChunkFormatError(f"chunk flags {flags:#x} name no step encoding")
    out[:1] = reader.array(_I64, 1)
    reader.deltas_into(out[1:])
    np.cumsum(out, dtype=np.int64, out=out)


def _encode_times(times: Float64Array, version: int) -> tuple[int, bytes]:
    if times.shape[0] == 0:
        return TIMES_MICROS, b""
    if bool(np.all(np.abs(times) < _MAX_MICROS / 1e6)):  # also False for NaN and inf
        micros = np.rint(times * 1e6).astype(_I64)
        if _same_bits(micros / 1e6, times):
            deltas = _pack_deltas(np.diff(micros), version)
            return TIMES_MICROS, micros[:1].tobytes() + deltas
    return TIMES_RAW, _shuffle(times) if version == 2 else _planes(times.view(_U64))


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


def _encode_values(values: Float64Array, version: int) -> tuple[int, bytes]:
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values -> inf: checked
        narrow = values.astype(_F32)
    flag = VALUES_F32 if _same_bits(narrow.astype(np.float64), values) else VALUES_F64
    if version == 2:
        return flag, _shuffle(narrow if flag == VALUES_F32 else values)
    pattern = narrow.view(_U32) if flag == VALUES_F32 else values.view(_U64)
    plain = _planes(pattern)
    if pattern.shape[0] > 2 and len(plain) > pattern.shape[0] // 2:  # worth a try
        deltas = pattern.copy()
        np.subtract(pattern[1:], pattern[:-1], out=deltas[1:])  # wraps: unsigned
        packed = _planes(deltas)
        if len(packed) < len(plain):
            return flag | VALUES_DELTA, packed
    return flag, plain


def _decode_values(reader: _Reader, flags: int, out: Float64Array) -> None:
    n = out.shape[0]
    if flags & VALUES_F32:
        pattern: npt.NDArray[Any] = np.empty(n, np.uint32)
    elif flags & VALUES_F64:
        pattern = out.view(np.uint64)
    else:
        raise ChunkFormatError(f"chunk flags {flags:#x} name no value encoding")
    reader.shuffled_into(pattern)
    if flags & VALUES_DELTA:
        if reader.version < 3:
            raise ChunkFormatError(f"chunk flags {flags:#x} name an encoding of format 3")
        np.cumsum(pattern, dtype=pattern.dtype, out=pattern)  # wraps: unsigned
    if flags & VALUES_F32:
        out[:] = pattern.view(np.float32)


# --- helpers -----------------------------------------------------------------


_COUNTING = np.arange(CHUNK_SIZE, dtype=np.int64)


def _counting(n: int) -> Int64Array:
    """0, 1, ..., n-1 (a view of one array for chunks up to ``CHUNK_SIZE`` points)."""
    return _COUNTING[:n] if n <= CHUNK_SIZE else np.arange(n, dtype=np.int64)


def _same_bits(a: Float64Array, b: Float64Array) -> bool:
    """Bit-for-bit equality: tells -0.0 from 0.0 and NaN payloads apart."""
    return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))


def _pack_deltas(deltas: Int64Array, version: int) -> bytes:
    """The width byte, then the deltas in the narrowest integers that hold them
    (format 2: plain for 1 and 2 bytes, shuffled for 4 and 8; format 3: planes)."""
    if deltas.shape[0] == 0:
        return bytes([1])
    low, high = int(deltas.min()), int(deltas.max())
    width = next(w for w in (1, 2, 4, 8) if -(2 ** (8 * w - 1)) <= low and high < 2 ** (8 * w - 1))
    narrow = deltas.astype(_DELTA_TYPES[width])
    if version == 2:
        return bytes([width]) + (narrow.tobytes() if width <= 2 else _shuffle(narrow))
    return bytes([width]) + _planes(narrow)


def _shuffle(array: npt.NDArray[np.generic]) -> bytes:
    """Formats 1 and 2: byte 0 of every element, then byte 1, ... in one string."""
    width = array.dtype.itemsize
    raw = np.ascontiguousarray(array).view(np.uint8).reshape(-1, width)
    return bytes(raw.T.tobytes())


class _Codecs(threading.local):
    """zstd contexts, one pair per thread (a context is not safe to share)."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, write_checksum=False)
        self.decompressor = zstandard.ZstdDecompressor()


_codecs = _Codecs()


def _planes(array: npt.NDArray[Any]) -> bytes:
    """Format 3: the byte planes of a little-endian array, each as its smallest of
    ``PLANE_CONST``, ``PLANE_ZSTD`` and ``PLANE_RAW``; nothing for an empty array."""
    n, width = array.shape[0], array.dtype.itemsize
    if n == 0:
        return b""
    grid = np.ascontiguousarray(array).view(np.uint8).reshape(n, width).T.copy()
    # Which planes are one byte repeated, for all planes in one operation: a chunk's
    # fixed cost (a batch rewrites a chunk of every key it has points of) was mostly
    # numpy calls per plane.
    firsts = grid[:, 0]
    constant = (grid == firsts[:, None]).all(axis=1).tolist()
    compress = _codecs.compressor.compress
    parts: list[bytes] = []
    for plane, first, same in zip(grid, firsts.tolist(), constant, strict=True):
        if same:
            parts.append(bytes((PLANE_CONST, first)))
            continue
        packed = compress(plane)
        if len(packed) + _LENGTH.size < n:
            parts += (bytes((PLANE_ZSTD,)), _LENGTH.pack(len(packed)), packed)
        else:
            parts += (bytes((PLANE_RAW,)), plane.tobytes())
    return b"".join(parts)


class _Reader:
    """Sequential reads of fixed-size arrays out of a chunk's body."""

    def __init__(self, body: memoryview, version: int = FORMAT_VERSION) -> None:
        self._body = body
        self._pos = 0
        self.version = version

    @property
    def remaining(self) -> int:
        return len(self._body) - self._pos

    def _take(self, size: int) -> memoryview:
        if size > self.remaining:
            raise ChunkFormatError("chunk body is truncated")
        part = self._body[self._pos : self._pos + size]
        self._pos += size
        return part

    def _byte(self) -> int:
        if self._pos >= len(self._body):
            raise ChunkFormatError("chunk body is truncated")
        self._pos += 1
        return int(self._body[self._pos - 1])

    def array(self, dtype: np.dtype[np.generic], count: int) -> npt.NDArray[np.generic]:
        return np.frombuffer(self._take(dtype.itemsize * count), dtype=dtype)

    def deltas_into(self, out: Int64Array) -> None:
        """Read ``len(out)`` deltas (:func:`_pack_deltas`; format 1: shuffled int64)."""
        if self.version == 1:
            self.shuffled_into(out)
            return
        width = self._byte()
        dtype = _DELTA_TYPES.get(width)
        if dtype is None:
            raise ChunkFormatError(f"chunk deltas have no width {width}")
        if width == 8:
            self.shuffled_into(out)
        elif width == 4 or self.version >= 3:
            narrow = np.empty(out.shape[0], dtype.newbyteorder("="))  # native: read swaps
            self.shuffled_into(narrow)
            out[:] = narrow
        else:
            out[:] = self.array(dtype, out.shape[0])

    def shuffled_into(self, out: npt.NDArray[Any]) -> None:
        """Fill ``out`` (contiguous, native byte order) from a shuffled array (formats 1
        and 2) or from its byte planes (format 3)."""
        if self.version >= 3:
            self._planes_into(out)
            return
        count, width = out.shape[0], out.dtype.itemsize
        raw = np.frombuffer(self._take(width * count), dtype=np.uint8)
        out.view(np.uint8).reshape(count, width)[...] = raw.reshape(width, count).T
        if _BIG_ENDIAN:  # the bytes are little-endian
            out.byteswap(inplace=True)

    def _planes_into(self, out: npt.NDArray[Any]) -> None:
        """Undo :func:`_planes` into ``out``."""
        n, width = out.shape[0], out.dtype.itemsize
        if n == 0:
            return
        grid = out.view(np.uint8).reshape(n, width)
        for i in range(width):
            mode = self._byte()
            if mode == PLANE_RAW:
                grid[:, i] = np.frombuffer(self._take(n), np.uint8)
            elif mode == PLANE_CONST:
                grid[:, i] = self._byte()
            elif mode == PLANE_ZSTD:
                (size,) = _LENGTH.unpack(self._take(_LENGTH.size))
                grid[:, i] = np.frombuffer(_inflate(self._take(size), n), np.uint8)
            else:
                raise ChunkFormatError(f"chunk byte plane has no encoding {mode}")
        if _BIG_ENDIAN:  # the bytes are little-endian
            out.byteswap(inplace=True)


def _inflate(frame: memoryview, size: int) -> bytes:
    """One zstd frame that must hold exactly ``size`` bytes."""
    try:
        if zstandard.frame_content_size(frame) != size:
            raise ChunkFormatError(f"chunk byte plane does not hold {size} bytes")
        plane = _codecs.decompressor.decompress(frame)
    except zstandard.ZstdError as exc:
        raise ChunkFormatError(f"chunk byte plane does not decompress: {exc}") from None
    if len(plane) != size:
        raise ChunkFormatError(f"chunk byte plane does not hold {size} bytes")
    return plane
