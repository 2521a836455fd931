"""Claim + tell of a sweep trial (issue 15): the agent's own cost per trial, locally
and through a real ``heron server``. Prints the numbers and the machine; figures in
docs/benchmarks.md.

    python bench/sweeps_claim.py [--trials 60] [--agents 3] [--method bayes]

For each transport — ``local`` (a store folder: LocalSweeps beside the SQLite study),
``postgres`` (a PostgreSQL store, when the server at 127.0.0.1:5432 answers) and
``server`` (RemoteSweeps to a real ``heron server`` on loopback, SQLite behind it) —
one agent alone, then ``--agents`` agent processes at once, each claims a trial and
tells its result, over and over, through ``heron.sweeps.open_sweeps`` (what ``heron
agent`` calls). No trial process: the figure is what the sweep machinery adds per
trial. Median and 90th percentile of claim + tell, in ms (first 5 claims of each
agent left out: imports, connections).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _servers

TARGET_MS = 50.0
SPEC = {
    "method": "bayes",
    "metric": "loss",
    "parameters": {
        "lr": {"min": 1e-4, "max": 1e-1, "distribution": "log_uniform_values"},
        "width": {"min": 16, "max": 512},
        "opt": {"values": ["sgd", "adam"]},
    },
}


def agent(target: str, name: str, trials: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import math

    from heron.connect import connect
    from heron.sweeps import open_sweeps

    times = []
    with connect(target, create=True) as connection:
        sweeps = open_sweeps(connection)
        for _ in range(trials):
            start = time.perf_counter()
            claim = sweeps.claim(name, f"bench:{os.getpid()}")
            if claim.trial is None:
                break
            value = math.log10(claim.trial.params["lr"]) ** 2
            sweeps.tell(name, claim.trial.number, "complete", value)
            times.append(time.perf_counter() - start)
        sweeps.close()
    out.put(times[5:])


def measure(target: str, method: str, trials: int, agents: int) -> dict[str, float]:
    from heron.connect import connect
    from heron.sweeps import open_sweeps, parse_spec

    results: dict[str, float] = {}
    for label, count in (("1 agent", 1), (f"{agents} agents at once", agents)):
        name = f"bench-{method}-{count}-{time.time_ns()}"
        with connect(target, create=True) as connection:
            sweeps = open_sweeps(connection)
            spec = dict(SPEC, name=name, method=method, run_cap=trials * count + 10)
            sweeps.create(parse_spec(spec))
            sweeps.close()
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        procs = [
            multiprocessing.Process(target=agent, args=(target, name, trials, queue))
            for _ in range(count)
        ]
        for p in procs:
            p.start()
        times = [t for _ in procs for t in queue.get()]
        for p in procs:
            p.join()
        times.sort()
        results[f"{label}: median"] = statistics.median(times) * 1000
        results[f"{label}: p90"] = times[int(len(times) * 0.9)] * 1000
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=60, help="claims per agent")
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--method", default="bayes", choices=["random", "bayes", "cmaes"])
    parser.add_argument("--only", choices=["local", "postgres", "server"])
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
        f"{args.method}, {args.trials} claims per agent"
    )
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "env").mkdir()
        if args.only in (None, "local"):
            rows.append(
                (
                    "local (folder, SQLite)",
                    measure(str(work / "store"), args.method, args.trials, args.agents),
                )
            )
        if args.only in (None, "postgres"):
            why = _servers.postgres_unavailable()
            if why:
                print(f"postgres: skipped ({why})", file=sys.stderr)
            else:
                with _servers.postgres_database() as url:
                    os.environ["HERON_ARTIFACTS"] = str(work / "pg-blobs")
                    rows.append(
                        ("local (PostgreSQL)", measure(url, args.method, args.trials, args.agents))
                    )
        if args.only in (None, "server"):
            db = f"sqlite:///{work / 'server.db'}"
            with _servers.heron_server(db, work) as server:
                rows.append(
                    (
                        "heron server (SQLite)",
                        measure(server.url, args.method, args.trials, args.agents),
                    )
                )
    for transport, figures in rows:
        for key, ms in figures.items():
            verdict = "" if "p90" in key else (" met" if ms <= TARGET_MS else " MISSED")
            print(f"{transport}, {key}: {ms:.1f} ms (target <= {TARGET_MS:.0f}){verdict}")


if __name__ == "__main__":
    main()
