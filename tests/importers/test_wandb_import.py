"""W&B offline runs (written by the real ``wandb`` package, offline) into Heron."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.connect import Connection
from heron.errors import InvalidInput
from heron.importers.wandb import import_wandb, records
from heron.service import Tracking


@pytest.fixture(scope="module")
def offline_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import wandb

    root = tmp_path_factory.mktemp("wandb")
    (root / "extra.txt").write_text("a file")
    mp = pytest.MonkeyPatch()
    mp.setenv("WANDB_SILENT", "true")
    mp.setenv("WANDB_DIR", str(root))
    try:
        run = wandb.init(
            mode="offline",
            dir=str(root),
            project="proj",
            name="my-run",
            config={"lr": 0.1, "opt": {"name": "adam"}},
            tags=["baseline"],
            notes="some notes",
            group="g1",
        )
        for step in range(50):
            run.log({"loss": 1.0 / (step + 1), "acc": step / 50, "label": "text"}, step=step)
        run.summary["best"] = 0.99
        run.save(str(root / "extra.txt"), base_path=str(root), policy="now")
        run.finish()
    finally:
        mp.undo()
    return root / "wandb"


def test_config_history_summary_and_files(
    offline_runs: Path, tracking: Tracking, heron: Connection
) -> None:
    report = import_wandb(tracking, offline_runs)
    assert report.runs_imported == 1 and not report.failed, report
    [run] = heron.store.search_runs("proj")
    assert run.name == "my-run" and run.group == "g1" and run.tags == ("baseline",)
    assert run.notes == "some notes" and run.id.startswith("wandb-")
    assert run.config == {"lr": 0.1, "opt": {"name": "adam"}}
    assert run.summary_overrides == {"best": 0.99, "label": "text"}
    assert run.state == "finished"
    history = heron.store.history(run.id)
    assert list(history["loss"].steps) == list(range(50))
    assert history["acc"].values[49] == pytest.approx(49 / 50)
    assert any("'label'" in line for line in report.skipped)
    assert "extra.txt" in {f.path for f in heron.store.run_files(run.id)}
    again = import_wandb(tracking, offline_runs)
    assert (again.runs_imported, again.runs_skipped, again.points) == (0, 1, 0)


def test_a_damaged_file_is_refused(offline_runs: Path, tmp_path: Path) -> None:
    [good] = list(offline_runs.glob("offline-run-*/run-*.wandb"))
    data = bytearray(good.read_bytes())
    data[40] ^= 0xFF
    bad = tmp_path / "run-x.wandb"
    bad.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="damaged record"):
        list(records(bad))
    (tmp_path / "run-y.wandb").write_bytes(b"nope")
    with pytest.raises(InvalidInput, match="not a W&B run file"):
        list(records(tmp_path / "run-y.wandb"))
