"""``heron import tensorboard LOGDIR``: TensorBoard event files into Heron, read in one
pass by :mod:`heron.importers.tb_events` (the TFRecord framing read directly, events
parsed with TensorBoard's own protobuf classes; every point kept, never a reservoir
sample).

One run per run directory (a folder holding ``*tfevents*`` files), named by its path
under LOGDIR, with a deterministic id from that path. Scalars (``add_scalar``, TF2
``tf.summary.scalar``) become metrics with every step and wall time; hparams (the
hparams plugin's session start) the config; text summaries one markdown file per tag
(``tensorboard/text/<tag>.md``, each step a section); histograms and images (the first
of each summary; Pillow decodes the PNG) Heron media at their step. Audio, graphs, PR
curves and other plugins' data are not imported: the report lists each skipped tag.
Scalar points go to the store in batches of up to ``POINTS_PER_BATCH`` points of
several tags each, through the service's ingest. Idempotent and resumable: see
:mod:`heron.importers.base`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from heron.errors import HeronError, InvalidInput, NotFound
from heron.importers.base import DONE_SEQ, SILENT, ImportReport, Progress, RunWriter, stable_id
from heron.importers.tb_events import KEEP_ALL, RunEvents, TensorEvent, read_run
from heron.keys import key_problem
from heron.service import Tracking
from heron.store.base import Event, RunSpec

_EVENTS_GLOB = "*tfevents*"
_READ_PLUGINS = KEEP_ALL
_WHY = "Heron imports scalars, hparams, text, images and histograms only"
_MEDIA_PER_BATCH = 200


def run_dirs(logdir: Path) -> list[Path]:
    """Every folder under ``logdir`` (itself included) that holds event files, sorted."""
    if not logdir.is_dir():
        raise InvalidInput(f"{logdir} is not a folder of TensorBoard logs")
    found = {p.parent for p in logdir.rglob(_EVENTS_GLOB) if p.is_file()}
    return sorted(found)


def _read(folder: Path) -> RunEvents:
    """The run directory's event files (sorted by name, as TensorBoard reads them)."""
    try:
        import tensorboard  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise InvalidInput(
            "reading TensorBoard logs needs tensorboard: pip install 'heron[tensorboard]'"
        ) from None
    files = sorted(p for p in folder.glob(_EVENTS_GLOB) if p.is_file())
    return read_run(files)


def import_tensorboard(
    tracking: Tracking, logdir: Path, *, project: str = "tensorboard", progress: Progress = SILENT
) -> ImportReport:
    logdir = logdir.resolve()
    report = ImportReport()
    folders = run_dirs(logdir)
    progress.start(len(folders))
    for folder in folders:
        relative = folder.relative_to(logdir).as_posix()
        name = relative if relative != "." else logdir.name
        progress.run_started(name)
        try:
            _import_dir(tracking, folder, name, project, report, progress)
        except HeronError as e:
            report.failed.append(f"{name}: {e.message}")
        progress.run_done()
    return report


def _import_dir(
    tracking: Tracking,
    folder: Path,
    name: str,
    project: str,
    report: ImportReport,
    progress: Progress,
) -> None:
    run_id = stable_id("tb", "tensorboard", project, str(folder))
    try:
        done = tracking.get_run(run_id).ingested_seq
    except NotFound:
        done = -1
    if done >= DONE_SEQ:  # imported before: the event files are not even read
        report.runs_skipped += 1
        return
    events = _read(folder)
    config = _hparams(events)
    first = events.first_time if events.first_time is not None else 0.0
    spec = RunSpec(
        id=run_id,
        project=project,
        name=name[:256],
        config=config,
        system={"tensorboard": {"logdir": str(folder)}},
        created_at=first,
    )
    writer = RunWriter(tracking, spec, report)
    writer.done_before()
    last_time = first
    series: dict[str, tuple[Any, Any, Any]] = {}
    for tag in sorted(events.scalars):
        found = events.scalars.pop(tag)  # freed as it goes
        times = np.frombuffer(found.times, np.float64)
        series[_key(tag)] = (np.frombuffer(found.steps, np.int64), times, found.values)
        if times.size:
            last_time = max(last_time, float(np.nanmax(times)))
    writer.send_series(series, progress.points)
    files: list[Event] = []
    with tempfile.TemporaryDirectory(prefix="heron-import-") as scratch:
        for tag, text in _texts(events):
            path = Path(scratch) / "text.md"
            path.write_text(text, encoding="utf-8")
            files.append(writer.file_event(path, f"tensorboard/text/{_clean_path(tag)}.md"))
    media: list[Event] = []
    for tag, step, when, item in _media(events):
        media.append(writer.media_event(_clean_key(tag), step, when, item))
        if len(media) == _MEDIA_PER_BATCH:
            writer.send(media)
            media = []
    if media:
        writer.send(media)
    for tag in sorted(events.tensors):
        if events.plugin(tag) not in _READ_PLUGINS:
            report.skipped.append(f"{name}: {events.plugin(tag)} {tag!r} (not imported: {_WHY})")
    if events.graph:
        report.skipped.append(f"{name}: the graph (not imported: {_WHY})")
    report.skipped.extend(f"{name}: {problem}" for problem in events.problems)
    end: Event = {"type": "state", "state": "finished", "time": last_time}
    writer.finish([*files, end])


def _key(tag: str) -> str:
    return tag if not key_problem(tag) else _clean_key(tag)


def _tensors(events: RunEvents, plugin: str) -> Iterator[tuple[str, list[TensorEvent]]]:
    for tag in sorted(events.tensors):
        if events.plugin(tag) == plugin:
            yield tag, events.tensors[tag]


def _texts(events: RunEvents) -> Iterator[tuple[str, str]]:
    from tensorboard.util import tensor_util  # type: ignore[import-untyped]

    for tag, found in _tensors(events, "text"):
        parts = []
        for e in found:
            array = tensor_util.make_ndarray(e.tensor_proto)
            cells = [
                c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c) for c in array.flat
            ]
            parts.append(f"## step {e.step}\n\n" + "\n\n".join(cells) + "\n")
        yield tag, "\n".join(parts)


def _media(events: RunEvents) -> Iterator[tuple[str, int, float, Any]]:
    """(tag, step, wall time, heron media) of every image and histogram summary."""
    from tensorboard.util import tensor_util

    for plugin in ("histograms", "images"):
        for tag, found in _tensors(events, plugin):
            for e in found:
                array = tensor_util.make_ndarray(e.tensor_proto)
                item = _histogram(array) if plugin == "histograms" else _image(array)
                if item is not None:
                    yield tag, e.step, e.wall_time, item


def _histogram(array: Any) -> Any:
    """The histograms plugin's ``[left, right, count]`` rows as a Heron histogram
    (adjacent buckets merged down to Heron's bin limit)."""
    import numpy as np

    from heron.media import Histogram
    from heron.media.limits import MAX_BINS

    rows = np.asarray(array, np.float64).reshape(-1, 3)
    if rows.shape[0] == 0:
        return Histogram(counts=[0.0], edges=[0.0, 1.0])
    edges = np.concatenate([rows[:1, 0], rows[:, 1]])
    counts = rows[:, 2]
    for i in range(1, edges.size):
        if not edges[i] > edges[i - 1]:
            edges[i] = np.nextafter(edges[i - 1], np.inf)
    group = -(-counts.size // MAX_BINS)
    if group > 1:
        starts = np.arange(0, counts.size, group)
        counts = np.add.reduceat(counts, starts)
        edges = np.concatenate([edges[starts], [edges[-1]]])
    return Histogram(counts=counts, edges=edges)


def _image(array: Any) -> Any:
    """The images plugin's ``[width, height, png, ...]``: its first image (decoding the
    PNG needs Pillow; without it, None)."""
    if len(array) < 3:
        return None
    try:
        from PIL import Image as PILImage
    except ImportError:
        return None
    import io

    from heron.media import Image

    with PILImage.open(io.BytesIO(bytes(array[2]))) as decoded:
        return Image(decoded.convert("RGBA" if decoded.mode in ("RGBA", "LA", "P") else "RGB"))


def _hparams(events: RunEvents) -> dict[str, Any]:
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2  # type: ignore[import-untyped]

    config: dict[str, Any] = {}
    for tag in events.tensors:
        if events.plugin(tag) != metadata.PLUGIN_NAME:
            continue
        content = events.metadata[tag].plugin_data.content
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.WhichOneof("data") != "session_start_info":
            continue
        for name, value in data.session_start_info.hparams.items():
            kind = value.WhichOneof("kind")
            config[name] = getattr(value, kind) if kind else None
    return config


def _clean_key(tag: str) -> str:
    return "".join(c if not key_problem(c) else "_" for c in tag)[:256] or "_"


def _clean_path(tag: str) -> str:
    return (
        "/".join(
            "".join(c if c.isalnum() or c in "-_." else "_" for c in part) or "_"
            for part in tag.split("/")
            if part not in ("", ".", "..")
        )
        or "text"
    )
