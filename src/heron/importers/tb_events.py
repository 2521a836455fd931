"""TensorBoard event files read directly: the TFRecord framing, then TensorBoard's own
``Event`` protobuf class, one pass, every point kept.

An event file is a sequence of records, each ``length`` (uint64, little-endian), the
masked CRC-32C of those 8 bytes, ``length`` bytes of a serialized ``Event``, and the
masked CRC-32C of the data. Reading it here, instead of through TensorBoard's
``EventAccumulator``, skips its pure-Python record reader, its conversion of every
``simple_value`` into a tensor proto and its reservoirs: a scalar point costs one
protobuf parse and three appends to typed arrays. Everything else (text, images,
histograms, hparams, other plugins) goes through TensorBoard's own ``data_compat``
migration, so it arrives as the tensors TensorBoard itself would serve.

What is read (:class:`RunEvents`): per scalar tag its steps, wall times and values in
file order (files sorted by name, as TensorBoard reads them); per other tag its plugin
(from the tag's first metadata, as TensorBoard decides it) and its tensors (every one
for :data:`KEEP_ALL`'s plugins, the first for the others: they are only listed);
whether a graph was logged; the first event's wall time. Unlike TensorBoard's
accumulator, nothing is purged when steps go back after a restart: every point stays.

A record cut short at the end of a file (a log still being written) ends that file
quietly; a record whose CRC does not match ends it with a problem (``problems``).
CRCs are computed by ``google-crc32c`` (C) when it is installed, else by TensorBoard's
pure-Python implementation (correct, slower).
"""

from __future__ import annotations

import mmap
import struct
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("<QI")  # length, masked CRC of the length: 12 bytes
_FOOTER = struct.Struct("<I")  # masked CRC of the data: 4 bytes
_MASK_DELTA = 0xA282EAD8
KEEP_ALL = ("scalars", "text", "hparams", "images", "histograms")
_DT_FLOAT = 1
_DT_DOUBLE = 2


def _crc32c() -> Callable[[bytes], int]:
    try:
        import google_crc32c
    except ImportError:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import (  # type: ignore[import-untyped]
            crc32c,
        )

        return crc32c  # type: ignore[no-any-return]
    value: Callable[[bytes], int] = google_crc32c.value
    return value


@dataclass
class Scalars:
    """One scalar tag's points, in the order they were read."""

    steps: array[int] = field(default_factory=lambda: array("q"))
    times: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))


@dataclass(frozen=True)
class TensorEvent:
    """One summary of a non-scalar tag, as TensorBoard serves it."""

    step: int
    wall_time: float
    tensor_proto: Any  # tensorboard's TensorProto


@dataclass
class RunEvents:
    """What a run directory's event files hold (module doc)."""

    scalars: dict[str, Scalars] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)  # tag -> SummaryMetadata
    tensors: dict[str, list[TensorEvent]] = field(default_factory=dict)
    first_time: float | None = None
    graph: bool = False
    problems: list[str] = field(default_factory=list)

    def plugin(self, tag: str) -> str:
        found = self.metadata.get(tag)
        return str(found.plugin_data.plugin_name) if found is not None else ""

    @property
    def points(self) -> int:
        return sum(len(s.steps) for s in self.scalars.values())


def records(path: Path, problems: list[str]) -> Iterator[bytes]:
    """The records of one event file (module doc: framing, CRCs, a cut-short end)."""
    crc = _crc32c()
    with path.open("rb") as f:
        size = path.stat().st_size
        if size == 0:
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            header = _HEADER.unpack_from
            footer = _FOOTER.unpack_from
            at = 0
            while at + 12 <= size:
                length, length_crc = header(data, at)
                c = crc(data[at : at + 8])
                if (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF != length_crc:
                    problems.append(f"{path.name}: a damaged record at byte {at}; rest skipped")
                    return
                start = at + 12
                end = start + length
                if end + 4 > size:
                    return  # cut short: a log still being written
                body = data[start:end]
                c = crc(body)
                if (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF != footer(data, end)[0]:
                    problems.append(f"{path.name}: a damaged record at byte {at}; rest skipped")
                    return
                yield body
                at = end + 4


def read_run(files: list[Path]) -> RunEvents:
    """Every event of ``files`` (read in this order) as :class:`RunEvents`."""
    from tensorboard import data_compat  # type: ignore[import-untyped]
    from tensorboard.compat.proto import event_pb2  # type: ignore[import-untyped]

    parse = event_pb2.Event.FromString
    out = RunEvents()
    scalars = out.scalars
    metadata = out.metadata
    for path in files:
        for record in records(path, out.problems):
            event = parse(record)
            if out.first_time is None:
                out.first_time = event.wall_time
            if not event.HasField("summary"):
                if event.HasField("graph_def") or event.HasField("meta_graph_def"):
                    out.graph = True
                continue
            step = event.step
            wall_time = event.wall_time
            for value in event.summary.value:
                tag = value.tag
                if value.HasField("simple_value"):
                    if tag not in metadata:
                        metadata[tag] = data_compat.migrate_value(value).metadata
                    number: float = value.simple_value
                else:
                    value = data_compat.migrate_value(value)
                    if tag not in metadata:
                        metadata[tag] = value.metadata
                    if metadata[tag].plugin_data.plugin_name != "scalars":
                        _keep(out, tag, step, wall_time, value.tensor)
                        continue
                    number = _scalar(value.tensor)
                found = scalars.get(tag)
                if found is None:
                    found = scalars[tag] = Scalars()
                found.steps.append(step)
                found.times.append(wall_time)
                found.values.append(number)
    return out


def _keep(out: RunEvents, tag: str, step: int, wall_time: float, tensor: Any) -> None:
    kept = out.tensors.setdefault(tag, [])
    if kept and out.plugin(tag) not in KEEP_ALL:
        return  # only listed in the report: one is enough
    kept.append(TensorEvent(int(step), float(wall_time), tensor))


def _scalar(tensor: Any) -> float:
    if tensor.dtype == _DT_FLOAT and len(tensor.float_val) == 1:
        return float(tensor.float_val[0])
    if tensor.dtype == _DT_DOUBLE and len(tensor.double_val) == 1:
        return float(tensor.double_val[0])
    from tensorboard.util import tensor_util  # type: ignore[import-untyped]

    return float(tensor_util.make_ndarray(tensor).item())
