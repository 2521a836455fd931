"""The README's example run (examples/quickstart.py, what ``scripts/demo`` logs) runs as a
user would run it and records what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from heron.api import Api

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def test_quickstart_logs_a_complete_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with Api(tmp_path / "heron-runs") as api:
        (run,) = api.runs("quickstart")
        assert run.state == "finished" and run.config["lr"] == 0.5
        history = run.history(["train/loss", "val/acc"])
        assert len(history["val/acc"].dropna()) == 5
        assert history["train/loss"].dropna().iloc[-1] < history["train/loss"].dropna().iloc[0]
        # what it printed (stderr holds heron's own notes, e.g. reproducibility warnings)
        printed = [line.text for line in run.console().lines if line.stream == "stdout"]
        assert printed[:5] == [line for line in done.stdout.splitlines() if line][:5]
        assert printed[0].startswith("epoch 0: train loss")
        kept = sorted(a.version for a in run.artifacts(used=False) if a.type == "checkpoint")
        assert kept == [2, 3, 4]  # keep_last=2 plus the best (epoch 2), the rest pruned
        assert "confusion.json" in {f.path for f in run.files()}
