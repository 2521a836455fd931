"""kill -9 while printing: every line whose ``print`` returned is in the store after
recovery, once, in order (the same method as test_kill9.py: the child publishes how many
prints have returned in a shared memory map; the parent kills it at a random moment)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import counter_value, recovered, script

CHILD = """
import mmap, os, struct, sys
import heron
import heron.sdk.spool as spool

spool.SEGMENT_BYTES = 64 * 1024  # many segment rotations in a short run
store, counter_path, id_path = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(counter_path, os.O_RDWR)
counter = mmap.mmap(fd, 8)
run = heron.init(project="kill", dir=store, system_metrics=False, capture=False)
with open(id_path + ".tmp", "w") as f:
    f.write(run.id)
os.replace(id_path + ".tmp", id_path)
i = 0
while True:
    print(f"line {i}", file=sys.stderr if i % 7 == 0 else sys.stdout)
    if i % 100 == 0:
        run.log({"x": float(i)}, step=i)  # points between the lines
    i += 1
    struct.pack_into("<q", counter, 0, i)  # i prints have returned
"""


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, "the child died before starting its run"
        assert time.monotonic() < deadline, "the child did not start its run"
        time.sleep(0.01)
    return path.read_text()


@pytest.mark.slow
def test_kill_9_while_printing_loses_no_printed_line(tmp_path: Path) -> None:
    child = script(tmp_path, CHILD, "child.py")
    store_dir = tmp_path / "store"
    rng = random.Random(4321)
    for round_number in range(int(os.environ.get("HERON_KILL_ROUNDS", "5"))):
        counter_path = tmp_path / f"counter-{round_number}"
        counter_path.write_bytes(b"\0" * 8)
        id_path = tmp_path / f"run-{round_number}"
        proc = subprocess.Popen(
            [sys.executable, str(child), str(store_dir), str(counter_path), str(id_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        run_id = _wait_for(id_path, proc)
        time.sleep(rng.uniform(0.05, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        returned = counter_value(counter_path)
        with recovered(store_dir) as backend:
            info = backend.get_run(run_id)
            page = backend.store.console(run_id, limit=None)
        assert info.state == "crashed", f"round {round_number}"
        texts = [line.text for line in page.lines]
        assert returned > 0 and len(texts) >= returned, f"round {round_number}: lost lines"
        assert texts == [f"line {i}" for i in range(len(texts))], f"round {round_number}"
        assert [line.line for line in page.lines] == list(range(1, len(texts) + 1))
        streams = [line.stream for line in page.lines]
        assert streams == ["stderr" if i % 7 == 0 else "stdout" for i in range(len(texts))]
        assert page.total == len(texts)
