"""What alert rules cost at ingest: ``Tracking.ingest`` of the same batches without
alerts, with alerts but no rule in the project, and with three metric rules (NaN,
threshold, divergence) watching the batch's key and never firing. Also the SQL
statements each batch runs, counted with SQLAlchemy's cursor events.

Each configuration ingests 200 batches of 1 run x 2 keys x 500 points into its own
SQLite store, rounds interleaved, median batch time over 5 rounds.

    python bench/alerts_ingest.py [--quick]
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import event

from heron.alerts import NewRule, open_alerts
from heron.artifacts.local import LocalArtifactStore
from heron.service import Tracking
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import Batch, Series

BATCHES = 200
POINTS = 500
CONFIGS = ("no alerts", "alerts, no rules", "alerts, 3 rules")


def batches(run_id: str, count: int) -> list[Batch]:
    out = []
    for b in range(count):
        steps = np.arange(b * POINTS, (b + 1) * POINTS, dtype=np.int64)
        times = 1.7e9 + steps.astype(np.float64)
        loss = 1.0 / (1.0 + steps.astype(np.float64))
        events = [{"type": "create", "spec": {"project": "bench", "id": run_id}}] if b == 0 else []
        metrics = {"loss": Series(steps, times, loss), "acc": Series(steps, times, 1 - loss)}
        out.append(Batch(run_id, b + 1, metrics=metrics, events=events))  # type: ignore[arg-type]
    return out


def one(config: str, folder: Path, count: int) -> tuple[float, float]:
    """(median seconds per batch, SQL statements per batch) for one store."""
    store = open_store(f"sqlite:///{folder / 'heron.db'}")
    alerts = None if config == "no alerts" else open_alerts(store, Settings())
    if config == "alerts, 3 rules":
        assert alerts is not None
        for rule in (
            NewRule(name="nan", kind="nan", key="loss"),
            NewRule(name="hot", kind="threshold", key="loss", op=">", threshold=10.0),
            NewRule(name="div", kind="divergence", key="loss", factor=5.0),
        ):
            alerts.add_rule("bench", rule, "bench")
    tracking = Tracking(store, LocalArtifactStore(folder / "blobs"), alerts=alerts)
    work = batches(f"run{len(config):07d}", count)
    tracking.ingest(work[0])  # creates the run (and fills the rule cache)
    statements = [0]

    def seen(*_: object) -> None:
        statements[0] += 1

    event.listen(store.transactor.engine, "before_cursor_execute", seen)
    times = []
    for batch in work[1:]:
        t0 = time.perf_counter()
        tracking.ingest(batch)
        times.append(time.perf_counter() - t0)
    event.remove(store.transactor.engine, "before_cursor_execute", seen)
    if alerts is not None:
        alerts.close()
    store.close()
    return statistics.median(times), statements[0] / (count - 1)


def main() -> None:
    quick = "--quick" in sys.argv
    rounds, count = (2, 50) if quick else (5, BATCHES)
    results: dict[str, list[tuple[float, float]]] = {c: [] for c in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for config in CONFIGS:
                folder = Path(tmp) / f"{r}-{CONFIGS.index(config)}"
                folder.mkdir()
                results[config].append(one(config, folder, count))
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {platform.system()}")
    print(f"{count - 1} batches of 2 keys x {POINTS} points, median of {rounds} rounds")
    print("| configuration | per batch | SQL statements per batch |")
    print("| --- | ---: | ---: |")
    for config in CONFIGS:
        per_batch = statistics.median(t for t, _ in results[config])
        sql = statistics.median(s for _, s in results[config])
        print(f"| {config} | {per_batch * 1000:.2f} ms | {sql:.1f} |")


if __name__ == "__main__":
    main()
