"""Live TensorBoard mirroring: torch's and tensorboardX's SummaryWriter into the active
run, the event files unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import heron
from heron.integrations import tensorboard as tb
from tests.integrations.conftest import QUIET, read


@pytest.fixture(autouse=True)
def _unpatched() -> Iterator[None]:
    yield
    tb.unpatch()


def write(writer_class: Any, logdir: Path) -> None:
    with writer_class(str(logdir)) as writer:
        for step in range(20):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalars("pair", {"a": 1.0, "b": 2.0}, 5)
        writer.add_text("note", "hello", 3)
        writer.add_histogram("weights", np.linspace(-1.0, 1.0, 100), 7)
        writer.add_image("img", np.zeros((3, 4, 5), dtype=np.float32), 2)


def scalars_in(logdir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea
    from tensorboard.util import tensor_util

    out: dict[str, list[tuple[int, float]]] = {}
    for folder in sorted({p.parent for p in logdir.rglob("*tfevents*")}):
        acc = pea.EventAccumulator(str(folder), size_guidance={pea.TENSORS: 0})
        acc.Reload()
        for tag in acc.Tags()["tensors"]:
            if acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
                rel = folder.relative_to(logdir).as_posix()
                out[f"{rel}:{tag}"] = [
                    (e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
                    for e in acc.Tensors(tag)
                ]
    return out


@pytest.mark.parametrize("flavour", ["torch", "tensorboardX"])
def test_a_summary_writer_is_mirrored(flavour: str, tmp_path: Path, store_dir: Path) -> None:
    if flavour == "torch":
        from torch.utils.tensorboard import SummaryWriter
    else:
        from tensorboardX import SummaryWriter
    write(SummaryWriter, tmp_path / "plain")  # what TensorBoard gets without Heron
    assert tb.patch()
    with heron.init(project="tb", dir=store_dir, **QUIET) as run:
        write(SummaryWriter, tmp_path / "mirrored")
        with SummaryWriter(str(tmp_path / "hp")) as writer:
            writer.add_hparams({"lr": 0.1, "opt": "adam"}, {"hp/acc": 0.75})
    assert scalars_in(tmp_path / "plain") == scalars_in(tmp_path / "mirrored")
    got = read(store_dir).run(run.id)
    loss = got.history(["train/loss"], as_numpy=True)
    assert list(loss["step"]) == list(range(20))
    assert loss["train/loss"][19] == pytest.approx(1 / 20)
    assert got.config["lr"] == 0.1 and got.config["opt"] == "adam"
    assert got.summary["hp/acc"] == 0.75
    kinds = {m.key: m.kind for m in got.media_keys()}
    assert kinds["note"] == "text" and kinds["weights"] == "histogram" and kinds["img"] == "image"
    [hist] = got.media("weights")
    assert hist.step == 7


def test_without_a_run_nothing_is_mirrored_and_unpatch_restores(tmp_path: Path) -> None:
    from torch.utils.tensorboard.writer import FileWriter

    original = FileWriter.add_summary
    tb.patch()
    tb.patch()  # twice: still one wrapper
    assert FileWriter.add_summary.__wrapped__ is original  # type: ignore[attr-defined]
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("x", 1.0, 0)
    tb.unpatch()
    assert FileWriter.add_summary is original
