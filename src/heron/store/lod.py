"""Level-of-detail summaries of metric chunks: one record per block of ``BLOCK`` points.

Charts of long series read these instead of decoding every point: a block's count,
x extent and sums of finite points are enough to put it into a min/max/mean bucket
(``heron.server.downsample``). A summary is computed whenever its chunk is written
and stored beside it (``metric_chunks.lod``), so it is always the chunk's exact digest.

Layout: ``"<BH"`` header (format version, block count), then the little-endian
records, one per block. Format 3 (written now): the records byte-shuffled (byte 0 of
every record, then byte 1, ...: a field's slowly varying high bytes sit together) after
each of a record's ten 8-byte words was replaced by its difference from the same word
of the block before (modulo 2**64: the steps and times of neighbouring blocks differ
little), then zstd-compressed (level 3): about 0.32 bytes per point on a float32 loss
curve. Still read: format 2 (the same without the differences, zlib: 0.35) and
format 1 (the records uncompressed: 1.25). Block ``i`` holds the chunk's points
``[i * BLOCK, i * BLOCK + count)``. Sums and the y extremes cover the points whose
value is finite; ``time_min``/``time_max`` are NaN when a time is NaN.
"""

from __future__ import annotations

import struct
import threading
import zlib
from typing import Any

import numpy as np
import zstandard

from heron import compiled
from heron.errors import StoreError
from heron.store.base import Series

BLOCK = 64  # points per block: a 4096-point chunk has 64 blocks of 80 bytes
FORMAT_VERSION = 3
_UNCOMPRESSED = 1  # the first format, still read
_ZLIB = 2  # byte-shuffled and zlib-compressed, still read

RECORD = np.dtype(
    [
        ("count", "<i4"),  # points in the block
        ("finite", "<i4"),  # points whose value is finite
        ("step_min", "<i8"),
        ("step_max", "<i8"),
        ("time_min", "<f8"),
        ("time_max", "<f8"),
        ("step_sum", "<f8"),  # of finite points, as float64
        ("time_sum", "<f8"),  # of finite points
        ("y_min", "<f8"),  # of finite points (+inf when there are none)
        ("y_max", "<f8"),  # (-inf when there are none)
        ("y_sum", "<f8"),
    ]
)
_HEADER = struct.Struct("<BH")
_WORDS = RECORD.itemsize // 8  # format 3 takes the differences of 8-byte words
_U64 = np.dtype("<u8")  # the words as stored (little-endian), on every machine
# The records and their planes in C (``_codec.c``: the same bytes, save that where 0.0
# and -0.0 tie for a block's extreme either may be kept, and a NaN's payload; one pass
# instead of about twenty numpy operations a chunk), or None (not built, or a
# big-endian machine): then the code below.
_compiled: Any = compiled.load("heron.store._codec")


class LodFormatError(StoreError):
    """The bytes are not a summary this module wrote (readers re-raise it naming the
    run and the metric: ``heron.store.series.corrupt_chunk``)."""


def summarize(series: Series) -> bytes:
    """The block summaries of one chunk's points."""
    n = len(series)
    if _compiled is not None:
        steps = np.ascontiguousarray(series.steps, dtype=np.int64)
        times = np.ascontiguousarray(series.times, dtype=np.float64)
        values = np.ascontiguousarray(series.values, dtype=np.float64)
        planes = _compiled.lod_planes(steps, times, values)
        blocks = -(-n // BLOCK)
        return _HEADER.pack(FORMAT_VERSION, blocks) + _codecs.compressor.compress(planes)
    starts = np.arange(0, n, BLOCK)
    out = np.zeros(starts.shape[0], RECORD)
    if n:
        steps, times, values = series.steps, series.times, series.values
        finite = np.isfinite(values)
        out["count"] = np.diff(np.r_[starts, n])
        out["finite"] = np.add.reduceat(finite.astype(np.int32), starts)
        out["step_min"] = np.minimum.reduceat(steps, starts)
        out["step_max"] = np.maximum.reduceat(steps, starts)
        out["time_min"] = np.minimum.reduceat(times, starts)  # NaN propagates: on purpose
        out["time_max"] = np.maximum.reduceat(times, starts)
        with np.errstate(over="ignore", invalid="ignore"):  # inf sums: readers check
            out["step_sum"] = np.add.reduceat(np.where(finite, steps, 0).astype(np.float64), starts)
            out["time_sum"] = np.add.reduceat(np.where(finite, times, 0.0), starts)
            out["y_sum"] = np.add.reduceat(np.where(finite, values, 0.0), starts)
        out["y_min"] = np.minimum.reduceat(np.where(finite, values, np.inf), starts)
        out["y_max"] = np.maximum.reduceat(np.where(finite, values, -np.inf), starts)
    words = out.view(_U64).reshape(-1, _WORDS).T.copy()  # (word, block)
    words[:, 1:] -= words[:, :-1].copy()  # wraps: unsigned
    planes = words.view(np.uint8).reshape(_WORDS, -1, 8).transpose(0, 2, 1)
    packed = _codecs.compressor.compress(planes.tobytes())
    return _HEADER.pack(FORMAT_VERSION, out.shape[0]) + packed


class _Codecs(threading.local):
    """zstd contexts, one pair per thread (a context is not safe to share)."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=3, write_checksum=False)
        self.decompressor = zstandard.ZstdDecompressor()


_codecs = _Codecs()


def decode(data: bytes) -> np.ndarray[tuple[int], np.dtype[np.void]]:
    """The records of :func:`summarize`'s bytes; raises :class:`LodFormatError`."""
    return np.frombuffer(body(data), RECORD)


def body(data: bytes) -> bytes:
    """The records' bytes of one summary, checked (join several, then decode once:
    concatenating structured arrays is slow)."""
    if len(data) < _HEADER.size:
        raise LodFormatError(f"summary of {len(data)} bytes is shorter than its header")
    version, blocks = _HEADER.unpack_from(data)
    size = blocks * RECORD.itemsize
    if version == _UNCOMPRESSED:
        if len(data) != _HEADER.size + size:
            raise LodFormatError(f"summary of {len(data)} bytes does not hold {blocks} blocks")
        return data[_HEADER.size :]
    if version not in (_ZLIB, FORMAT_VERSION):
        raise LodFormatError(
            f"summary format {version} is not supported (expected {_UNCOMPRESSED} to "
            f"{FORMAT_VERSION}): written by a newer Heron"
        )
    packed = memoryview(data)[_HEADER.size :]
    try:
        if version == _ZLIB:
            raw = zlib.decompress(packed)
        elif zstandard.frame_content_size(packed) != size:  # before allocating it
            raise LodFormatError(f"summary does not hold {blocks} blocks")
        else:
            raw = _codecs.decompressor.decompress(packed)
    except (zlib.error, zstandard.ZstdError) as exc:
        raise LodFormatError(f"summary does not decompress: {exc}") from None
    if len(raw) != size:
        raise LodFormatError(f"summary of {len(raw)} bytes does not hold {blocks} blocks")
    if version == _ZLIB:
        return bytes(np.frombuffer(raw, np.uint8).reshape(RECORD.itemsize, blocks).T.tobytes())
    planes = np.frombuffer(raw, np.uint8).reshape(_WORDS, 8, blocks)
    words = planes.transpose(0, 2, 1).copy().view(_U64)[..., 0]
    np.cumsum(words, axis=1, out=words)  # undoes the differences, wrapping
    return bytes(words.T.tobytes())
