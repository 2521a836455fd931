"""``POST /series`` answered as typed arrays: the binary form of a :class:`Chart`.

A chart's answer is hundreds of series of a few hundred buckets, four numbers a
bucket. As JSON that is ~18 characters a number, printed by the server and parsed by
the browser; as raw float64 it is 8 bytes that the browser reads in place
(``Float64Array`` views over the answer, no parsing). A client asks for it with
``Accept: application/vnd.heron.series``; every other client gets the JSON form, which
the OpenAPI document describes. The values are the same float64 bits in both forms
(JSON prints the shortest decimal that reads back to the same double).

Layout (every integer and float little-endian)::

    "HSR1"                      4 bytes, the format and its version
    header length H             uint32
    header                      H bytes of UTF-8 JSON, padded with spaces to 8n - 8
    arrays                      float64, series after series

The header is ``{"series": [{"run", "key", "total", "sampled", "n", "nonfinite"}]}``:
``n`` buckets (points when not sampled) and ``nonfinite`` non-finite points. Each
series' arrays follow in this order: ``x[n]``, ``y[n]``, then ``min[n]`` and
``max[n]`` only when ``sampled`` (otherwise both equal ``y``), then the non-finite
points' ``x[nonfinite]`` and ``y[nonfinite]`` (NaN, +inf, -inf as they are). The
arrays start 8-byte aligned, so a reader views them without copying.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np

from heron.errors import InvalidInput
from heron.server.downsample import Downsampled

MEDIA_TYPE = "application/vnd.heron.series"
MAGIC = b"HSR1"
_LE = np.dtype("<f8")


def wants_binary(accept: str | None) -> bool:
    """Whether an ``Accept`` header names the binary form (any q above 0)."""
    if not accept:
        return False
    for item in accept.split(","):
        kind, *params = (p.strip() for p in item.split(";"))
        if kind.lower() == MEDIA_TYPE:
            return not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00") for p in params)
    return False


def encode(series: list[tuple[str, str, Downsampled]]) -> bytes:
    """The binary answer for ``(run, key, downsampled)`` triples, in that order."""
    head = []
    arrays: list[np.ndarray] = []
    for run, key, s in series:
        n, m = int(s.x.shape[0]), int(s.nonfinite_x.shape[0])
        head.append(
            {"run": run, "key": key, "total": s.total, "sampled": s.sampled, "n": n, "nonfinite": m}
        )
        arrays += [s.x, s.y, s.min, s.max] if s.sampled else [s.x, s.y]
        arrays += [s.nonfinite_x, s.nonfinite_y]
    text = json.dumps({"series": head}, separators=(",", ":")).encode()
    text += b" " * (-(len(text) + 8) % 8)
    body = np.concatenate([np.asarray(a, _LE) for a in arrays]) if arrays else np.empty(0, _LE)
    return MAGIC + struct.pack("<I", len(text)) + text + body.tobytes()


@dataclass(frozen=True)
class DecodedSeries:
    run: str
    key: str
    total: int
    sampled: bool
    x: np.ndarray
    y: np.ndarray
    min: np.ndarray
    max: np.ndarray
    nonfinite_x: np.ndarray
    nonfinite_y: np.ndarray


def decode(data: bytes) -> list[DecodedSeries]:
    """The series of a binary answer (for Python clients and the tests)."""
    if data[:4] != MAGIC or len(data) < 8:
        raise InvalidInput("not a binary series answer (HSR1)")
    (size,) = struct.unpack_from("<I", data, 4)
    head = json.loads(data[8 : 8 + size])["series"]
    values = np.frombuffer(data, _LE, offset=8 + size)
    out, at = [], 0

    def take(count: int) -> np.ndarray:
        nonlocal at
        if at + count > values.shape[0]:
            raise InvalidInput("binary series answer cut short")
        part = values[at : at + count]
        at += count
        return part

    for h in head:
        n, m = int(h["n"]), int(h["nonfinite"])
        x, y = take(n), take(n)
        lo, hi = (take(n), take(n)) if h["sampled"] else (y, y)
        nx, ny = take(m), take(m)
        out.append(
            DecodedSeries(
                h["run"], h["key"], int(h["total"]), bool(h["sampled"]), x, y, lo, hi, nx, ny
            )
        )
    if at != values.shape[0]:
        raise InvalidInput("binary series answer has trailing values")
    return out
