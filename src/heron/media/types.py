"""Rich media a run logs beside its scalars: ``run.log({"samples": heron.Image(x)})``.

Each type checks and copies its input when it is made (in the training script, so a
bad input fails there with a clear ``InvalidValue``) and encodes it later, on the
run's media thread (:meth:`Media.encode`): the training loop pays for a copy, not
for PNG or WAV compression. numpy is the only import; torch tensors, PIL images,
matplotlib figures and pandas frames are recognised by duck typing, never imported.
Limits: ``heron.media.limits`` (docs/media.md).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from heron.errors import InvalidValue
from heron.media import limits
from heron.media.png import encode_png, encode_wav

MediaKind = Literal["image", "histogram", "table", "text", "audio"]
KINDS: tuple[MediaKind, ...] = ("image", "histogram", "table", "text", "audio")
CONTENT_TYPES: dict[str, str] = {
    "image": "image/png",
    "table": "application/json",
    "text": "text/plain; charset=utf-8",
    "audio": "audio/wav",
}


def digest_of(data: bytes) -> str:
    """The content address of ``data`` (what the blob store names it)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Encoded:
    """A media item ready to store: its own bytes (None for a histogram, whose bins
    live in ``meta``), small JSON metadata, and other blobs it names by digest (a
    mask, a table's image cells)."""

    kind: MediaKind
    meta: dict[str, Any]
    blob: bytes | None = None
    refs: tuple[bytes, ...] = field(default=())


class Media:
    """A value ``run.log`` stores as media rather than as a metric point."""

    kind: ClassVar[MediaKind]

    def encode(self) -> Encoded:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


# --- checks shared by the types ---------------------------------------------------


def _caption(caption: object) -> str | None:
    if caption is None:
        return None
    if not isinstance(caption, str):
        raise InvalidValue(f"a caption is a str, got {type(caption).__name__}")
    if len(caption) > limits.MAX_CAPTION:
        raise InvalidValue(
            f"a caption has at most {limits.MAX_CAPTION} characters, got {len(caption)}"
        )
    return caption


def _label(label: object, what: str) -> str:
    if not isinstance(label, str) or len(label) > limits.MAX_LABEL:
        raise InvalidValue(f"{what} is a str of at most {limits.MAX_LABEL} characters")
    return label


def _is_torch(value: object) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _to_numpy(value: Any, what: str) -> npt.NDArray[Any]:
    """A numpy copy of an array-like (torch tensors detached and moved to the CPU)."""
    if _is_torch(value):
        value = value.detach()
        if getattr(value, "dtype", None) is not None and "bfloat16" in str(value.dtype):
            value = value.float()
        value = value.cpu().numpy()
    try:
        array = np.array(value, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{what} is not an array ({type(value).__name__}): {exc}") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise InvalidValue(f"{what} must hold numbers, got dtype {array.dtype}")
    return array


# --- Image ---------------------------------------------------------------------------


class Image(Media):
    """An image: a numpy array (HxW, HxWxC with C 1, 3 or 4; CxHxW accepted), a torch
    tensor (CxHxW or HxW), a PIL image or a matplotlib figure.

    Floats in [0, 1] are scaled to 0-255; other numbers are clipped to 0-255; NaN or
    inf is refused. ``boxes``: ``[{"box": [x0, y0, x1, y1], "label": str, "score":
    float}]`` in pixels; ``mask``: an HxW array of class ids (0-255) with ``mask_labels``
    ``{id: name}``.
    """

    kind: ClassVar[MediaKind] = "image"

    def __init__(
        self,
        data: Any,
        caption: str | None = None,
        *,
        boxes: Sequence[Mapping[str, Any]] | None = None,
        mask: Any = None,
        mask_labels: Mapping[int, str] | None = None,
    ) -> None:
        self.caption = _caption(caption)
        self.pixels = image_pixels(data)
        height, width = self.pixels.shape[:2]
        self.boxes = _boxes(boxes or (), width, height)
        self.mask = None if mask is None else _mask(mask, width, height)
        self.mask_labels = {
            int(k): _label(v, "a mask label") for k, v in (mask_labels or {}).items()
        }

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def encode(self) -> Encoded:
        png = encode_png(self.pixels)
        meta: dict[str, Any] = {
            "width": self.width,
            "height": self.height,
            "channels": int(self.pixels.shape[2]),
        }
        if self.caption is not None:
            meta["caption"] = self.caption
        if self.boxes:
            meta["boxes"] = self.boxes
        refs: tuple[bytes, ...] = ()
        if self.mask is not None:
            mask_png = encode_png(self.mask[:, :, None])
            meta["mask"] = digest_of(mask_png)
            meta["mask_labels"] = {str(k): v for k, v in self.mask_labels.items()}
            refs = (mask_png,)
        return Encoded("image", meta, png, refs)

    def __repr__(self) -> str:
        return f"heron.Image({self.width}x{self.height}x{self.pixels.shape[2]})"


def image_pixels(data: Any) -> npt.NDArray[np.uint8]:
    """``data`` as a fresh uint8 (height, width, channels) array, channels 1 to 4."""
    if hasattr(data, "savefig") and hasattr(data, "canvas"):  # a matplotlib figure
        array = _figure_pixels(data)
    elif hasattr(data, "getbands") and hasattr(data, "convert"):  # a PIL image
        mode = "RGBA" if "A" in data.getbands() else ("L" if data.mode in ("1", "L") else "RGB")
        array = np.array(data.convert(mode), copy=True)
    else:
        array = _to_numpy(data, "an image")
        if _is_torch(data) and array.ndim == 3 and array.shape[0] in (1, 3, 4):
            array = array.transpose(1, 2, 0)  # torch is channels first
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4) and array.shape[0] in (1, 3, 4):
        array = array.transpose(1, 2, 0)  # CxHxW from numpy
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise InvalidValue(
            f"an image is HxW, HxWxC or CxHxW with C 1, 3 or 4; got shape {array.shape}"
        )
    height, width = int(array.shape[0]), int(array.shape[1])
    if height == 0 or width == 0:
        raise InvalidValue(f"an image needs pixels; got shape {array.shape}")
    if max(height, width) > limits.MAX_IMAGE_SIDE or height * width > limits.MAX_IMAGE_PIXELS:
        raise InvalidValue(
            f"an image of {width}x{height} is too large: at most {limits.MAX_IMAGE_SIDE} "
            f"pixels a side and {limits.MAX_IMAGE_PIXELS} pixels in all; resize it first"
        )
    return _to_uint8(array, "an image")


def _to_uint8(array: npt.NDArray[Any], what: str) -> npt.NDArray[np.uint8]:
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.bool_:
        return np.ascontiguousarray(array.astype(np.uint8) * 255)
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            bad = int(array.size - np.count_nonzero(finite))
            raise InvalidValue(f"{what} has {bad} NaN or infinite values; replace them first")
        low, high = float(array.min()), float(array.max())
        if low >= 0.0 and high <= 1.0:
            array = array * 255.0
        return np.ascontiguousarray(np.clip(np.rint(array), 0, 255).astype(np.uint8))
    return np.ascontiguousarray(np.clip(array, 0, 255).astype(np.uint8))


def _figure_pixels(figure: Any) -> npt.NDArray[Any]:
    """A matplotlib figure drawn (here, in the caller's thread: matplotlib is not
    thread-safe) into an RGBA array."""
    canvas = figure.canvas
    if not hasattr(canvas, "buffer_rgba"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.array(canvas.buffer_rgba(), copy=True)


def _boxes(boxes: Sequence[Mapping[str, Any]], width: int, height: int) -> list[dict[str, Any]]:
    if len(boxes) > limits.MAX_BOXES:
        raise InvalidValue(f"an image has at most {limits.MAX_BOXES} boxes, got {len(boxes)}")
    out = []
    for i, box in enumerate(boxes):
        if not isinstance(box, Mapping) or "box" not in box:
            raise InvalidValue(f'box {i} must be a dict with "box": [x0, y0, x1, y1]')
        try:
            coords = [float(c) for c in box["box"]]
        except (TypeError, ValueError):
            raise InvalidValue(f"box {i}: coordinates must be 4 numbers") from None
        if len(coords) != 4 or not all(math.isfinite(c) for c in coords):
            raise InvalidValue(f"box {i}: coordinates must be 4 finite numbers [x0, y0, x1, y1]")
        item: dict[str, Any] = {"box": coords}
        if box.get("label") is not None:
            item["label"] = _label(box["label"], f"box {i}'s label")
        if box.get("score") is not None:
            score = float(box["score"])
            if not math.isfinite(score):
                raise InvalidValue(f"box {i}: score must be finite")
            item["score"] = score
        out.append(item)
    return out


def _mask(mask: Any, width: int, height: int) -> npt.NDArray[np.uint8]:
    array = _to_numpy(mask, "a mask")
    if array.shape != (height, width):
        raise InvalidValue(f"a mask is HxW like its image ({height}x{width}), got {array.shape}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidValue("a mask has NaN or infinite values")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise InvalidValue("a mask holds class ids 0 to 255")
    return np.ascontiguousarray(array.astype(np.uint8))


# --- Histogram -----------------------------------------------------------------------


class Histogram(Media):
    """A histogram of ``values`` (any array or tensor; ``bins`` equal bins between the
    finite min and max) or precomputed ``counts`` with ``edges`` (``len(counts) + 1``
    increasing edges). Values must be finite: NaN or inf is refused with a count.
    Torch tensors are binned where they live (``torch.histc``) and only the bins copied.
    """

    kind: ClassVar[MediaKind] = "histogram"

    def __init__(
        self,
        values: Any = None,
        bins: int = limits.DEFAULT_BINS,
        *,
        counts: Any = None,
        edges: Any = None,
    ) -> None:
        if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= limits.MAX_BINS:
            raise InvalidValue(f"bins must be an int from 1 to {limits.MAX_BINS}, got {bins!r}")
        if values is not None:
            if counts is not None or edges is not None:
                raise InvalidValue("give a histogram values, or counts and edges, not both")
            self._counts, self.edges, self.total, self._values = _bin(values, bins)
        else:
            if counts is None or edges is None:
                raise InvalidValue("a histogram needs values, or counts and edges")
            self._counts, self.edges = _precomputed(counts, edges)
            self._values = None
            self.total = float(self._counts.sum())
        self.nonfinite = 0  # values left out as NaN or inf (heron.watch counts them)

    @property
    def counts(self) -> F64:
        """The bins' counts (numpy values are binned on first use: on the media thread)."""
        if self._counts is None:
            assert self._values is not None
            low, high = float(self.edges[0]), float(self.edges[-1])
            bins, values = len(self.edges) - 1, self._values
            counts = np.zeros(bins, np.float64)
            # In slices: a thread binning a million values in one C call would hold the
            # GIL for tens of milliseconds, and the training loop would wait for it.
            for start in range(0, values.size, _BIN_SLICE):
                part = values[start : start + _BIN_SLICE]
                counts += np.histogram(part, bins=bins, range=(low, high))[0]
            self._counts, self._values = counts, None
        return self._counts

    def encode(self) -> Encoded:
        meta: dict[str, Any] = {
            "edges": [float(e) for e in self.edges],
            "counts": [float(c) for c in self.counts],
            "total": self.total,
        }
        if self.nonfinite:
            meta["nonfinite"] = self.nonfinite
        return Encoded("histogram", meta)

    def __repr__(self) -> str:
        return f"heron.Histogram({len(self.edges) - 1} bins, {self.total:g} values)"  # unbinned


F64 = npt.NDArray[np.float64]
_BIN_SLICE = 65_536  # values binned per numpy call on the media thread


Binned = tuple[F64 | None, F64, float, npt.NDArray[Any] | None]


def _bin(values: Any, bins: int) -> Binned:
    """(counts, edges, total, values): a tensor is binned now, where it lives; numpy
    values are checked now and copied, and binned later (``Histogram.counts``)."""
    if _is_torch(values):
        counts, edges, total = _bin_torch(values, bins)
        return counts, edges, total, None
    array = _to_numpy(values, "histogram values").ravel()
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return _bin_numpy(array, bins)


def _check_finite(finite: int, size: int) -> None:
    if finite != size:
        raise InvalidValue(
            f"histogram values hold {size - finite} NaN or infinite values of {size}; "
            "drop them first (values[np.isfinite(values)])"
        )
    if size == 0:
        raise InvalidValue("a histogram of no values; give at least one")


def _bin_numpy(array: npt.NDArray[Any], bins: int) -> Binned:
    if array.size == 0:
        _check_finite(0, 0)
    low, high = float(array.min()), float(array.max())  # NaN or inf shows here
    if not (math.isfinite(low) and math.isfinite(high)):
        _check_finite(int(np.count_nonzero(np.isfinite(array))), int(array.size))
    if low == high:
        low, high = low - 0.5, high + 0.5
    return None, np.linspace(low, high, bins + 1), float(array.size), array


def _bin_torch(tensor: Any, bins: int) -> tuple[F64, F64, float]:
    flat = tensor.detach().reshape(-1)
    if not flat.is_floating_point() or "bfloat16" in str(flat.dtype) or "16" in str(flat.dtype):
        flat = flat.float()
    size = int(flat.numel())
    _check_finite(int(flat.isfinite().sum().item()), size)
    low, high = float(flat.min().item()), float(flat.max().item())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = flat.histc(bins=bins, min=low, max=high).cpu().numpy().astype(np.float64)
    return counts, np.linspace(low, high, bins + 1), float(size)


def _precomputed(counts: Any, edges: Any) -> tuple[F64, F64]:
    c = _to_numpy(counts, "histogram counts").astype(np.float64).ravel()
    e = _to_numpy(edges, "histogram edges").astype(np.float64).ravel()
    if not 1 <= c.size <= limits.MAX_BINS or e.size != c.size + 1:
        raise InvalidValue(
            f"a histogram has 1 to {limits.MAX_BINS} counts and one more edge than counts; "
            f"got {c.size} counts and {e.size} edges"
        )
    if not (np.isfinite(c).all() and np.isfinite(e).all()):
        raise InvalidValue("histogram counts and edges must be finite (no NaN or inf)")
    if (c < 0).any():
        raise InvalidValue("histogram counts must not be negative")
    if not (np.diff(e) > 0).all():
        raise InvalidValue("histogram edges must increase strictly")
    return c, e


# --- Text ----------------------------------------------------------------------------


class Text(Media):
    """Text (a generated sample, a report), at most 1 MiB of UTF-8."""

    kind: ClassVar[MediaKind] = "text"

    def __init__(self, text: str, caption: str | None = None) -> None:
        if not isinstance(text, str):
            raise InvalidValue(f"heron.Text takes a str, got {type(text).__name__}")
        self.data = text.encode("utf-8", errors="replace")
        if len(self.data) > limits.MAX_TEXT_BYTES:
            raise InvalidValue(
                f"a text has at most {limits.MAX_TEXT_BYTES} bytes of UTF-8, got {len(self.data)}; "
                "save longer text as a file (run.save_file)"
            )
        self.caption = _caption(caption)
        self.preview = text[:200]

    def encode(self) -> Encoded:
        meta: dict[str, Any] = {"length": len(self.data), "preview": self.preview}
        if self.caption is not None:
            meta["caption"] = self.caption
        return Encoded("text", meta, self.data)

    def __repr__(self) -> str:
        return f"heron.Text({len(self.data)} bytes)"


# --- Audio ---------------------------------------------------------------------------


class Audio(Media):
    """Sound: ``samples`` (numpy or torch; (frames,) or (frames, channels)) at
    ``rate`` Hz, stored as 16-bit WAV. Floats are in [-1, 1] (clipped); int16 as is."""

    kind: ClassVar[MediaKind] = "audio"

    def __init__(self, samples: Any, rate: int, caption: str | None = None) -> None:
        top = limits.MAX_AUDIO_RATE
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= top:
            raise InvalidValue(f"rate is an int of Hz from 1 to {top}, got {rate!r}")
        array = _to_numpy(samples, "audio samples")
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or not 1 <= array.shape[1] <= limits.MAX_AUDIO_CHANNELS:
            raise InvalidValue(
                f"audio samples are (frames,) or (frames, channels) with 1 to "
                f"{limits.MAX_AUDIO_CHANNELS} channels; got shape {array.shape}"
            )
        if array.size == 0 or array.size > limits.MAX_AUDIO_SAMPLES:
            raise InvalidValue(
                f"audio has 1 to {limits.MAX_AUDIO_SAMPLES} samples in all, got {array.size}"
            )
        if array.dtype == np.int16:
            pcm = array
        elif array.dtype.kind == "f":
            if not np.isfinite(array).all():
                raise InvalidValue("audio samples hold NaN or infinite values")
            pcm = (np.clip(array, -1.0, 1.0) * 32767.0).astype(np.int16)
        else:
            raise InvalidValue(f"audio samples are floats in [-1, 1] or int16, got {array.dtype}")
        self.samples = np.ascontiguousarray(pcm)
        self.rate = rate
        self.caption = _caption(caption)

    @property
    def duration(self) -> float:
        return int(self.samples.shape[0]) / self.rate

    def encode(self) -> Encoded:
        meta: dict[str, Any] = {
            "rate": self.rate,
            "channels": int(self.samples.shape[1]),
            "duration": self.duration,
        }
        if self.caption is not None:
            meta["caption"] = self.caption
        return Encoded("audio", meta, encode_wav(self.samples, self.rate))

    def __repr__(self) -> str:
        return f"heron.Audio({self.duration:.2f} s at {self.rate} Hz)"


# --- Table ---------------------------------------------------------------------------

Cell = None | bool | int | float | str | Image
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # the wire's spelling


class Table(Media):
    """Rows of cells under named columns: numbers, strings, bools, None and
    ``heron.Image`` cells. ``Table(columns=[...], data=[[...], ...])`` or
    ``Table(dataframe=df)`` (pandas)."""

    kind: ClassVar[MediaKind] = "table"

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        data: Sequence[Sequence[Any]] | None = None,
        *,
        dataframe: Any = None,
    ) -> None:
        if dataframe is not None:
            if columns is not None or data is not None:
                raise InvalidValue("give a table columns and data, or a dataframe, not both")
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.itertuples(index=False, name=None)
        if columns is None:
            raise InvalidValue("a table needs columns (or a dataframe)")
        names = list(columns)
        if not 1 <= len(names) <= limits.MAX_TABLE_COLUMNS:
            raise InvalidValue(
                f"a table has 1 to {limits.MAX_TABLE_COLUMNS} columns, got {len(names)}"
            )
        for name in names:
            _label(name, "a column name")
        if len(set(names)) != len(names):
            raise InvalidValue(f"a table's column names must differ: {names}")
        self.columns = names
        self.rows: list[list[Cell]] = []
        images = 0
        for r, row in enumerate(data or ()):
            if r >= limits.MAX_TABLE_ROWS:
                raise InvalidValue(f"a table has at most {limits.MAX_TABLE_ROWS} rows")
            cells = [_cell(v, r, names[c] if c < len(names) else c) for c, v in enumerate(row)]
            if len(cells) != len(names):
                raise InvalidValue(f"table row {r} has {len(cells)} cells for {len(names)} columns")
            images += sum(isinstance(c, Image) for c in cells)
            self.rows.append(cells)
        if images > limits.MAX_TABLE_IMAGES:
            raise InvalidValue(
                f"a table holds at most {limits.MAX_TABLE_IMAGES} images, got {images}"
            )

    @classmethod
    def from_pandas(cls, dataframe: Any) -> Table:
        return cls(dataframe=dataframe)

    def encode(self) -> Encoded:
        refs: list[bytes] = []
        rows = []
        for row in self.rows:
            out: list[Any] = []
            for cell in row:
                if isinstance(cell, Image):
                    png = encode_png(cell.pixels)
                    refs.append(png)
                    image = {"image": digest_of(png), "width": cell.width, "height": cell.height}
                    out.append(image)
                elif isinstance(cell, float) and not math.isfinite(cell):
                    out.append({"number": _NON_FINITE[repr(cell)]})
                else:
                    out.append(cell)
            rows.append(out)
        body = json.dumps({"columns": self.columns, "rows": rows}, separators=(",", ":"))
        meta = {"columns": self.columns, "rows": len(self.rows)}
        return Encoded("table", meta, body.encode(), tuple(refs))

    def __repr__(self) -> str:
        return f"heron.Table({len(self.rows)} rows x {len(self.columns)} columns)"


def _cell(value: Any, row: int, column: object) -> Cell:
    if value is None or isinstance(value, (bool, str, Image)):
        if isinstance(value, str) and len(value) > limits.MAX_TABLE_CELL_TEXT:
            raise InvalidValue(
                f"table cell ({row}, {column!r}) has more than "
                f"{limits.MAX_TABLE_CELL_TEXT} characters"
            )
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return _cell(value.item(), row, column)
    raise InvalidValue(
        f"table cell ({row}, {column!r}) is a {type(value).__name__}; cells are numbers, "
        "strings, bools, None or heron.Image"
    )
