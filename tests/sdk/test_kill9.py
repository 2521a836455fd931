"""kill -9 at random moments: every point whose ``log`` returned survives, the run is crashed.

The child publishes, after each ``log`` returns, how many calls have returned into a
shared memory map; the parent kills it with SIGKILL at a random moment, reads that
count, then opens the store (which ships what the dead process left) and checks that
the stored series is exactly the prefix 0..n-1 for some n >= the count: nothing that
returned is lost, nothing is duplicated, nothing out of order.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heron.local_dir import LocalDir

from .conftest import counter_value, recovered, script

CHILD = """
import mmap, os, struct, sys
import heron
import heron.sdk.spool as spool

spool.SEGMENT_BYTES = 64 * 1024  # many segment rotations in a short run
store, counter_path = sys.argv[1], sys.argv[2]
fd = os.open(counter_path, os.O_RDWR)
counter = mmap.mmap(fd, 8)
run = heron.init(project="kill", dir=store, system_metrics=False, capture=False)
sys.stdout.write(run.id + "\\n")
sys.stdout.flush()
i = 0
while True:
    run.log({"x": float(i), "y": -float(i)}, step=i)
    if i % 1000 == 0:
        run.config["progress"] = i  # variable-length records between the points
    i += 1
    struct.pack_into("<q", counter, 0, i)  # i calls have returned
"""


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_no_returned_point(tmp_path: Path) -> None:
    child = script(tmp_path, CHILD, "child.py")
    store_dir = tmp_path / "store"
    rng = random.Random(1234)
    rounds = int(os.environ.get("HERON_KILL_ROUNDS", "12"))
    for round_number in range(rounds):
        counter_path = tmp_path / f"counter-{round_number}"
        counter_path.write_bytes(b"\0" * 8)
        proc = subprocess.Popen(
            [sys.executable, str(child), str(store_dir), str(counter_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stdout.close()
        returned = counter_value(counter_path)
        with recovered(store_dir) as backend:
            info = backend.get_run(run_id)
            series = backend.store.history(run_id, ["x", "y"])
        assert info.state == "crashed", f"round {round_number}"
        stored = series["x"].steps.tolist() if "x" in series else []
        assert len(stored) >= returned, f"round {round_number}: lost points"
        assert stored == list(range(len(stored))), f"round {round_number}: gaps or duplicates"
        assert series["x"].values.tolist() == [float(s) for s in stored]
        if returned:
            assert series["y"].steps.tolist()[:returned] == list(range(returned))
        assert not (LocalDir.at(store_dir).spool / run_id).exists()
