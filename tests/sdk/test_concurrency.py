"""Two processes x four threads logging into one embedded store at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from heron.local_dir import LocalDir
from heron.store import open_store

from .conftest import script

POINTS = 3000

CHILD = f"""
import sys, threading
import heron

store = sys.argv[1]
shared = heron.init(project="conc", name="shared-" + sys.argv[2], dir=store,
                    system_metrics=False, capture=False)

def work(thread: int) -> None:
    own = heron.init(project="conc", dir=store, system_metrics=False, capture=False,
                     config={{"thread": thread, "proc": sys.argv[2]}})
    for step in range({POINTS}):
        own.log({{"loss": 1.0 / (step + 1), "step_copy": step}}, step=step)
        shared.log({{f"t{{thread}}/x": float(step)}}, step=step)
    own.finish()

threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
shared.finish()
"""


@pytest.mark.slow
def test_two_processes_by_four_threads_lose_nothing(tmp_path: Path) -> None:
    child = script(tmp_path, CHILD, "child.py")
    store_dir = tmp_path / "store"
    procs = [
        subprocess.Popen(
            [sys.executable, str(child), str(store_dir), str(p)], stderr=subprocess.PIPE, text=True
        )
        for p in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err
    store = open_store(LocalDir.at(store_dir).db_url)
    try:
        runs = store.search_runs("conc")
        assert len(runs) == 10
        for info in runs:
            assert info.state == "finished"
            series = store.history(info.id)
            if info.name.startswith("shared-"):
                assert sorted(series) == [f"t{t}/x" for t in range(4)]
                for s in series.values():
                    assert s.steps.tolist() == list(range(POINTS))
            else:
                assert series["loss"].steps.tolist() == list(range(POINTS))
                assert info.metrics["loss"].count == POINTS
                assert info.summary["loss"] == pytest.approx(1.0 / POINTS)
                assert info.metrics["step_copy"].max == POINTS - 1
    finally:
        store.close()
