"""Sweeps and analysis (issue 15): what the engine adds per trial, and what the
statistics cost. Prints the numbers and the machine; figures in docs/benchmarks.md.

    python bench/sweeps_analysis.py [--trials 100]

(a) claim + tell of one trial on a SQLite study (no process: the agent's own
    overhead per trial, under the shared claim lock), TPE sampler, 3 parameters
    (bench/sweeps_claim.py measures it through the service and a server, with
    several agents at once);
(b) heron.analysis.stats.compare on 2 x 10 values with 10,000 bootstrap resamples;
(c) parameter importance over 1,000 runs x 5 parameters (correlations + a 100-tree
    random forest).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from heron.analysis.importance import importance
from heron.analysis.stats import compare
from heron.sweeps import parse_spec
from heron.sweeps.study import Sweeps

TARGETS = {"claim_tell_ms": 50.0, "compare_ms": 200.0, "importance_ms": 2000.0}


def claim_and_tell(trials: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        spec = {
            "name": "bench",
            "method": "bayes",
            "metric": "loss",
            "run_cap": trials,
            "parameters": {
                "lr": {"min": 1e-4, "max": 1e-1, "distribution": "log_uniform_values"},
                "width": {"min": 16, "max": 512},
                "opt": {"values": ["sgd", "adam"]},
            },
        }
        times = []
        with Sweeps(f"sqlite:///{Path(tmp) / 'heron.sweeps.db'}") as sweeps:
            sweeps.create(parse_spec(spec))
            for _ in range(trials):
                start = time.perf_counter()
                ticket = sweeps.ask("bench")[0].trial
                assert ticket is not None
                value = float(np.log10(ticket.params["lr"]) ** 2)
                sweeps.tell("bench", ticket.number, "complete", value)
                times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000


def compare_ms() -> float:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.9, 0.01, 10), rng.normal(0.89, 0.01, 10)
    compare(a, b)  # warm (scipy imports)
    start = time.perf_counter()
    for _ in range(5):
        compare(a, b)
    return (time.perf_counter() - start) / 5 * 1000


def importance_ms() -> float:
    rng = np.random.default_rng(0)
    runs = []
    for _ in range(1000):
        config = {f"p{i}": float(rng.uniform()) for i in range(5)}
        runs.append((config, 3 * config["p0"] + config["p1"] + float(rng.normal(0, 0.1))))
    importance(runs[:10])  # warm (scikit-learn imports)
    start = time.perf_counter()
    importance(runs)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    results = {
        "claim_tell_ms": claim_and_tell(args.trials),
        "compare_ms": compare_ms(),
        "importance_ms": importance_ms(),
    }
    for key, value in results.items():
        verdict = "met" if value <= TARGETS[key] else "MISSED"
        print(f"{key}: {value:.1f} (target <= {TARGETS[key]:.0f}) {verdict}")


if __name__ == "__main__":
    main()
