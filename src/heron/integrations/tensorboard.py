"""Live TensorBoard mirroring: what a ``SummaryWriter`` writes also goes to the active run.

``patch()`` wraps ``FileWriter.add_summary`` of ``torch.utils.tensorboard`` and of
``tensorboardX`` (those installed): every summary is first written to the event file
exactly as before (the user's TensorBoard output does not change), then mirrored into
:func:`heron.sdk.init.current_run` at Heron's logging cost:

- scalars (``add_scalar``, ``add_scalars``) become metrics at the summary's step;
- hparams (``add_hparams``) the run's config;
- text (``add_text``) a ``heron.Text``, histograms (``add_histogram``) a
  ``heron.Histogram`` from TensorBoard's buckets, images (``add_image``) a
  ``heron.Image`` (decoding the PNG needs Pillow; without it images are not mirrored);
- anything else (audio, embeddings, graphs, PR curves...) is not mirrored.

Without an active run nothing is mirrored. A summary Heron refuses (a bad value) is
counted in :data:`refused` and logged once, never raised into the training loop.
``unpatch()`` restores the writers. ``heron.init(sync_tensorboard=True)`` is not
offered: call ``patch()`` once, before or after ``heron.init``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from heron.errors import HeronError
from heron.integrations.common import metric_key
from heron.sdk.init import current_run
from heron.sdk.values import to_json_value

log = logging.getLogger("heron.integrations")

_WRITERS = (
    ("torch.utils.tensorboard.writer", "FileWriter"),
    ("tensorboardX.writer", "FileWriter"),
)
_originals: dict[type, Callable[..., Any]] = {}
refused = 0  # summaries Heron could not take (logged once)


def patch() -> list[str]:
    """Mirror every installed ``SummaryWriter`` into the active run; the writers patched
    (``module.Class``). Patching twice changes nothing."""
    import importlib

    done = []
    for module_name, class_name in _WRITERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, class_name)
        if cls not in _originals:
            _originals[cls] = cls.add_summary
            cls.add_summary = _mirroring(cls.add_summary)
        done.append(f"{module_name}.{class_name}")
    return done


def unpatch() -> None:
    """Give the writers back their own ``add_summary``."""
    for cls, original in _originals.items():
        cls.add_summary = original  # type: ignore[attr-defined]
    _originals.clear()


def _mirroring(original: Callable[..., Any]) -> Callable[..., Any]:
    def add_summary(
        self: Any, summary: Any, global_step: int | None = None, walltime: float | None = None
    ) -> Any:
        result = original(self, summary, global_step, walltime)
        run = current_run()
        if run is not None:
            try:
                mirror(run, summary, global_step)
            except HeronError as e:
                _refuse(e)
        return result

    add_summary.__wrapped__ = original  # type: ignore[attr-defined]
    return add_summary


def _refuse(error: HeronError) -> None:
    global refused
    refused += 1
    if refused == 1:
        log.warning("heron: a TensorBoard summary was not mirrored: %s", error.message)


def mirror(run: Any, summary: Any, step: int | None) -> None:
    """One ``Summary`` protocol buffer into ``run`` (see the module doc)."""
    values: dict[str, Any] = {}
    for value in summary.value:
        kind = value.WhichOneof("value")
        plugin = value.metadata.plugin_data.plugin_name
        tag = str(value.tag)
        if plugin == "hparams":
            _hparams(run, value)
        elif kind == "simple_value":
            values[metric_key(tag)] = float(value.simple_value)
        elif kind == "histo":
            values[metric_key(tag)] = _histogram(value.histo)
        elif kind == "image":
            image = _image(value.image)
            if image is not None:
                values[metric_key(tag)] = image
        elif kind == "tensor" and plugin == "scalars":
            values[metric_key(tag)] = _tensor(value.tensor).item()
        elif kind == "tensor" and plugin == "text":
            from heron.media import Text

            cells = _tensor(value.tensor).flat
            text = "\n\n".join(
                c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c) for c in cells
            )
            values[metric_key(tag.removesuffix("/text_summary"))] = Text(text)
    if values:
        run.log(values, step=None if step is None else int(step))


def _tensor(proto: Any) -> Any:
    from tensorboard.util import tensor_util  # type: ignore[import-untyped]

    return tensor_util.make_ndarray(proto)


def _hparams(run: Any, value: Any) -> None:
    from tensorboard.plugins.hparams import plugin_data_pb2  # type: ignore[import-untyped]

    data = plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
    if data.WhichOneof("data") != "session_start_info":
        return
    config: dict[str, Any] = {}
    for name, hp in data.session_start_info.hparams.items():
        kind = hp.WhichOneof("kind")
        config[name] = getattr(hp, kind) if kind else None
    if config:
        run.config.update(to_json_value("config", config))


def _histogram(histo: Any) -> Any:
    """TensorBoard's buckets (right edges, the last often DBL_MAX; the "tensorflow"
    binning makes hundreds) as a Heron histogram: edges from the minimum, the last at
    the maximum, adjacent buckets merged down to Heron's bin limit."""
    import numpy as np

    from heron.media import Histogram
    from heron.media.limits import MAX_BINS

    counts = np.asarray(histo.bucket, np.float64)
    low, high = float(histo.min), float(histo.max)
    if high <= low:
        high = low + 1.0
    if counts.size == 0:
        return Histogram(counts=[0.0], edges=[low, high])
    right = np.minimum(np.asarray(histo.bucket_limit, np.float64), high)
    right[-1] = high
    edges = np.concatenate([[low], right])
    for i in range(1, edges.size):  # a first limit equal to the minimum, say
        if edges[i] <= edges[i - 1]:
            edges[i] = np.nextafter(edges[i - 1], np.inf)
    group = -(-counts.size // MAX_BINS)  # ceil: buckets per Heron bin
    if group > 1:
        starts = np.arange(0, counts.size, group)
        counts = np.add.reduceat(counts, starts)
        edges = np.concatenate([edges[starts], [edges[-1]]])
    return Histogram(counts=counts, edges=edges)


def _image(image: Any) -> Any:
    try:
        from PIL import Image as PILImage
    except ImportError:
        return None
    from heron.media import Image

    with PILImage.open(io.BytesIO(image.encoded_image_string)) as decoded:
        return Image(decoded.convert("RGBA" if decoded.mode in ("RGBA", "LA", "P") else "RGB"))
