"""TensorBoard logs (torch's and tensorboardX's SummaryWriter) into Heron."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from heron.cli.main import cli
from heron.connect import Connection
from heron.importers.base import Progress
from heron.importers.tensorboard import import_tensorboard
from heron.service import Tracking


def write_logs(logdir: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(logdir / "run-a")) as writer:
        for step in range(3000):  # more than TensorBoard's default 1,000-point reservoir
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalar("val/acc", 0.5, 10)
        writer.add_text("notes", "hello **tb**", 0)
        writer.add_histogram("weights", np.arange(10.0), 0)
        writer.add_histogram("weights", np.arange(20.0), 1)
        writer.add_image("sample", np.ones((3, 4, 6), dtype=np.float32), 2)
        writer.add_audio("sound", np.zeros(800, dtype=np.float32), 0, sample_rate=8000)
        writer.add_hparams({"lr": 0.1, "opt": "adam"}, {"hp/acc": 0.9}, run_name="hp")
    import tensorboardX

    with tensorboardX.SummaryWriter(str(logdir / "nested" / "run-b")) as writer:
        writer.add_scalar("loss", 2.0, 1)
        writer.add_scalar("loss", 1.0, 2)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logs written once for the module (each test imports them into its own store)."""
    folder = tmp_path_factory.mktemp("tb") / "logs"
    write_logs(folder)
    return folder


class Counting(Progress):
    def __init__(self) -> None:
        self.total = 0
        self.counted = 0

    def start(self, total_runs: int) -> None:
        self.total = total_runs

    def points(self, count: int) -> None:
        self.counted += count


def test_every_point_hparams_and_text(
    tmp_path: Path, tracking: Tracking, heron: Connection
) -> None:
    logdir = tmp_path / "logs"
    write_logs(logdir)
    progress = Counting()
    report = import_tensorboard(tracking, logdir, project="tb", progress=progress)
    assert report.runs_imported == 3 and not report.failed
    assert progress.total == 3 and progress.counted == report.points == 3000 + 1 + 1 + 2
    runs = {r.name: r for r in heron.store.search_runs("tb")}
    assert set(runs) == {"run-a", "run-a/hp", "nested/run-b"}
    history = heron.store.history(runs["run-a"].id)
    assert list(history["train/loss"].steps) == list(range(3000))
    assert history["train/loss"].values[2999] == pytest.approx(1 / 3000)
    assert runs["run-a/hp"].config == {"lr": 0.1, "opt": "adam"}
    assert runs["run-a"].state == "finished"
    [text] = [f for f in heron.store.run_files(runs["run-a"].id) if f.path.endswith(".md")]
    assert text.path == "tensorboard/text/notes/text_summary.md"
    with heron.blobs.open(text.digest) as stream:
        assert b"hello **tb**" in stream.read()
    media = {m.key: m for m in heron.store.media_keys(runs["run-a"].id)}
    assert media["weights"].kind == "histogram" and media["weights"].count == 2
    assert media["sample"].kind == "image" and media["sample"].first_step == 2
    [hist] = [m for m in heron.store.media(runs["run-a"].id, "weights") if m.step == 1]
    assert sum(hist.meta["counts"]) == 20 and report.media == 3
    assert any("audio 'sound'" in line for line in report.skipped), report.skipped
    again = import_tensorboard(tracking, logdir, project="tb")
    assert again.runs_imported == 0 and again.runs_skipped == 3 and again.points == 0
    assert heron.store.history(runs["run-a"].id)["train/loss"].steps.shape == (3000,)


def test_an_interrupted_import_resumes(
    tmp_path: Path, tracking: Tracking, heron: Connection
) -> None:
    from heron.importers import base

    logdir = tmp_path / "logs"
    write_logs(logdir)
    original = base.RunWriter.finish

    def crash(self: base.RunWriter, events: object = ()) -> None:
        raise KeyboardInterrupt

    base.RunWriter.finish = crash  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            import_tensorboard(tracking, logdir, project="tb")
    finally:
        base.RunWriter.finish = original  # type: ignore[method-assign]
    report = import_tensorboard(tracking, logdir, project="tb")
    assert report.runs_imported == 3
    [run] = [r for r in heron.store.search_runs("tb") if r.name == "run-a"]
    assert heron.store.history(run.id)["train/loss"].steps.shape == (3000,)  # not twice


def test_the_command(logdir: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(cli, ["--dir", str(store), "import", "tensorboard", str(logdir)])
    assert result.exit_code == 0, result.output
    assert "imported 3 run(s), 3,004 point(s), 1 file(s), 3 media" in result.output
    result = CliRunner().invoke(cli, ["--dir", str(store), "import", "tensorboard", str(logdir)])
    assert "0 point(s), 0 file(s), 0 media; 3 run(s) already imported" in result.output


def test_the_event_file_reader(tmp_path: Path) -> None:
    """The TFRecord framing read directly: a record cut short at the end (a log still
    being written) ends the file quietly, a damaged one ends it with a problem; steps
    going back (a restarted job) are all kept."""
    import tensorboardX

    from heron.importers.tb_events import read_run

    with tensorboardX.SummaryWriter(str(tmp_path / "run")) as writer:
        for step in (0, 1, 2, 1, 2):
            writer.add_scalar("loss", float(step), step)
    [path] = list((tmp_path / "run").glob("*tfevents*"))
    events = read_run([path])
    assert list(events.scalars["loss"].steps) == [0, 1, 2, 1, 2] and not events.problems
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    for tail in (data[:7], data[: 12 + length - 3]):  # a record cut short: header, data
        path.write_bytes(data + tail)
        events = read_run([path])
        assert events.points == 5 and not events.problems
    damaged = bytearray(data)
    damaged[-6] ^= 0xFF  # inside the last record's data
    path.write_bytes(bytes(damaged))
    events = read_run([path])
    assert events.points == 4 and "damaged record" in events.problems[0]
