"""Downsampled series kept between chart requests, checked against the store each time.

A workspace asks for the same series again and again (every visit, every reload, every
viewer of a shared view), and reading them is most of a chart request's work: the
chunks' points decompressed and bucketed (~0.7 ms of CPU per 5,000-point series). The
block summaries (``BlockReads.block_summaries``) are read anyway, in one query, and they
describe exactly the points a series is bucketed from: each block's chunk, offset and
count, and its points' x extent, sums, minimum and maximum. An answer is kept with a
fingerprint of those summaries and given again only while the fingerprint matches, so
a series that gained points (a live run: its tail chunk rewritten, its total grown) or
changed in any way is read afresh, and no answer can be staler than the store.

Bounded by the bytes of the kept arrays (:data:`MAX_BYTES`), least recently used first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable

from heron.server.downsample import Downsampled
from heron.store.base import BlockSummaries

MAX_BYTES = 64 * 1024 * 1024


def fingerprint(blocks: BlockSummaries) -> bytes:
    """What the points of a series bucketed from ``blocks`` depend on, hashed."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((blocks.total, blocks.x_offset, len(blocks))).encode())
    for a in (
        blocks.chunk,
        blocks.start,
        blocks.count,
        blocks.finite,
        blocks.x_min,
        blocks.x_max,
        blocks.x_sum,
        blocks.y_min,
        blocks.y_max,
        blocks.y_sum,
    ):
        h.update(a.tobytes())
    return h.digest()


def _size(d: Downsampled) -> int:
    arrays = (d.x, d.y, d.min, d.max, d.nonfinite_x, d.nonfinite_y)
    return 200 + sum(a.nbytes for a in arrays)


class ChartCache:
    """Answers by key, each kept with its fingerprint; thread-safe."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[bytes, Downsampled, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, mark: bytes) -> Downsampled | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != mark:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, mark: bytes, value: Downsampled) -> None:
        size = _size(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._items[key] = (mark, value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)
