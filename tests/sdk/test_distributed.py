"""Distributed training for real: ``torchrun --nproc-per-node 2`` (gloo on CPU) runs a
tiny DDP loop whose ranks all call ``heron.init``; the store is read afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import heron

from .conftest import script

pytest.importorskip("torch.distributed")

TRAIN = """
import os, subprocess, sys, time
import torch
import torch.distributed as dist
import heron

def wait_for_a_system_sample(run):
    deadline = time.monotonic() + 60  # explicit: the sampler's first sample is in
    while not any(k.startswith("system/") for k in run._key_ids):
        assert time.monotonic() < deadline, "no system sample"
        time.sleep(0.01)

dist.init_process_group("gloo")
rank = dist.get_rank()
options = dict(dir=sys.argv[1], name="job", system_metrics=0.05, capture=False)
run = heron.init("ddp", config={"lr": 0.1}, tags=["ddp"], **options)
torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(5):
    loss = model(torch.randn(8, 4)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    run.log({"loss": loss.item(), "rank": float(rank)}, step=step)
run.summary["best"] = float(rank)
print(f"hello from rank {rank}", flush=True)
os.write(1, f"fd write from rank {rank}\\n".encode())
subprocess.run(["echo", f"echo from rank {rank}"], check=True)
wait_for_a_system_sample(run)
dist.barrier()
run.finish()

# the same job again, one run per rank
run = heron.init("ddp-per-rank", distributed="per_rank", **options)
run.log({"rank": float(rank)}, step=0)
print(f"per rank: hello from rank {rank}", flush=True)
wait_for_a_system_sample(run)
run.finish()
dist.barrier()
dist.destroy_process_group()
"""


TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _torchrun(tmp_path: Path, store: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    train = script(tmp_path, TRAIN)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HERON_", "RANK"))}
    done = subprocess.run(
        [*TORCHRUN, *extra, str(train), str(store)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**clean, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_torchrun_job_is_one_run_and_per_rank_one_run_per_rank(tmp_path: Path) -> None:
    store = tmp_path / "store"
    port = str(_free_port())  # no rendezvous id: the launcher process tells the launch apart
    out = _torchrun(tmp_path, store, "--master-addr", "127.0.0.1", "--master-port", port)
    # the terminal (the launcher's pipe) still saw every rank's output
    for rank in (0, 1):
        assert f"hello from rank {rank}" in out and f"echo from rank {rank}" in out

    api = heron.Api(store)
    runs = api.runs("ddp")
    assert len(runs) == 1, [r.id for r in runs]
    run = runs[0]
    assert run.state == "finished" and run.name == "job" and run.tags == ("ddp",)
    assert run.config == {"lr": 0.1}
    assert run.summary["best"] == 0.0  # rank 1's summary write was a no-op
    ranks = run.history("rank", as_numpy=True)
    assert list(ranks["step"]) == [0, 1, 2, 3, 4] and set(ranks["rank"]) == {0.0}
    assert run.system["distributed"]["world_size"] == 2
    assert run.system["distributed"]["key_source"] == "launcher process"

    lines = [line.text for line in run.console_lines()]
    for rank in (0, 1):
        assert f"[rank {rank}] hello from rank {rank}" in lines
        assert f"[rank {rank}] fd write from rank {rank}" in lines
        assert f"[rank {rank}] echo from rank {rank}" in lines
    assert all(line.startswith(("[rank 0] ", "[rank 1] ")) for line in lines), lines
    keys = set(run.metrics)
    assert {"system/rank0/cpu.percent", "system/rank1/cpu.percent"} <= keys
    assert not any(k.startswith("system/cpu") for k in keys)  # every key names its rank
    assert not (store / "spool" / "ranks" / "1" / run.id).exists()  # shipped, removed

    per_rank = api.runs("ddp-per-rank")
    assert sorted(r.name for r in per_rank) == ["job-rank0", "job-rank1"]
    assert len({r.group for r in per_rank}) == 1 and per_rank[0].group is not None
    for one in per_rank:
        rank = int(one.name[-1])
        assert one.state == "finished" and one.system["distributed"]["rank"] == rank
        assert set(one.history("rank", as_numpy=True)["rank"]) == {float(rank)}
        assert [line.text for line in one.console_lines()] == [f"per rank: hello from rank {rank}"]
        assert "system/cpu.percent" in one.metrics
