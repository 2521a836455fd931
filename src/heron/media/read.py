"""Media read back from a store (``heron.Api``'s ``ApiRun.media``): what was logged,
turned back into arrays, text and tables. Blobs are fetched on first use through the
reader the Api passes in (the local blob store, or a server's)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from heron.errors import InvalidInput
from heron.media.png import decode_png, decode_wav

_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


@dataclass(frozen=True)
class StoredMedia:
    """One logged media item: ``key``, ``step``, ``kind`` (image, histogram, table,
    text, audio), ``meta`` (caption, width/height, boxes, bins...), and its data on
    request: :meth:`bytes`, :meth:`to_numpy`, or the kind's own reader."""

    key: str
    step: int
    kind: str
    meta: dict[str, Any]
    digest: str | None
    refs: tuple[str, ...]
    time: float
    read_blob: Callable[[str], bytes] = field(repr=False, compare=False)

    @property
    def caption(self) -> str | None:
        caption = self.meta.get("caption")
        return caption if isinstance(caption, str) else None

    def bytes(self) -> bytes:
        """The stored bytes: PNG, WAV, UTF-8 text or the table's JSON."""
        if self.digest is None:
            raise InvalidInput(f"a {self.kind} has no blob; its data is in .meta")
        return self.read_blob(self.digest)

    def _want(self, kind: str) -> None:
        if self.kind != kind:
            raise InvalidInput(f"media {self.key!r} at step {self.step} is a {self.kind}")

    def image(self) -> npt.NDArray[np.uint8]:
        """The pixels, (height, width, channels) uint8."""
        self._want("image")
        return decode_png(self.bytes())

    def mask(self) -> npt.NDArray[np.uint8] | None:
        """The image's mask of class ids (height, width), or None."""
        self._want("image")
        digest = self.meta.get("mask")
        return None if not isinstance(digest, str) else decode_png(self.read_blob(digest))[:, :, 0]

    def histogram(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(counts, edges), ``len(edges) == len(counts) + 1``."""
        self._want("histogram")
        return np.asarray(self.meta["counts"], np.float64), np.asarray(
            self.meta["edges"], np.float64
        )

    def text(self) -> str:
        self._want("text")
        return self.bytes().decode("utf-8")

    def audio(self) -> tuple[npt.NDArray[np.int16], int]:
        """(samples as (frames, channels) int16, rate in Hz)."""
        self._want("audio")
        return decode_wav(self.bytes())

    def table(self) -> dict[str, Any]:
        """``{"columns": [...], "rows": [[...], ...]}``; an image cell is a dict with its
        ``image`` digest (read it with :meth:`table_image`), NaN and inf as floats."""
        self._want("table")
        data = json.loads(self.bytes())
        data["rows"] = [[_cell(c) for c in row] for row in data["rows"]]
        return dict(data)

    def table_image(self, cell: dict[str, Any]) -> npt.NDArray[np.uint8]:
        """The pixels of an image cell of :meth:`table`."""
        digest = cell.get("image")
        if not isinstance(digest, str) or digest not in self.refs:
            raise InvalidInput("not an image cell of this table")
        return decode_png(self.read_blob(digest))

    def to_pandas(self) -> Any:
        """A table as a pandas DataFrame (pandas must be installed)."""
        import pandas

        data = self.table()
        return pandas.DataFrame(data["rows"], columns=data["columns"])

    def to_numpy(self) -> Any:
        """The natural array: pixels, (counts, edges), (samples, rate); text as str."""
        readers: dict[str, Callable[[], Any]] = {
            "image": self.image,
            "histogram": self.histogram,
            "audio": self.audio,
            "text": self.text,
            "table": self.table,
        }
        return readers[self.kind]()


def _cell(cell: Any) -> Any:
    if isinstance(cell, dict) and "number" in cell:
        return _NON_FINITE.get(str(cell["number"]), float("nan"))
    return cell
