"""An offline run's ``run.alert`` is raised when ``heron sync`` (``Api.sync``) ships its
spool into a local store, once."""

from __future__ import annotations

from pathlib import Path

import heron
from heron.alerts import open_alerts
from heron.settings import Settings
from heron.store import open_store


def test_sync_of_an_offline_spool_raises_its_alerts(tmp_path: Path) -> None:
    root = tmp_path / "heron-runs"
    with heron.init(project="p", dir=root, system_metrics=False, capture=False) as first:
        first.log({"loss": 1.0})  # the store exists
    store = open_store(f"sqlite:///{root / 'heron.db'}")
    alerts = open_alerts(store, Settings())
    try:
        run = heron.init(project="p", dir=root, mode="offline", system_metrics=False, capture=False)
        run.alert("offline hello", "from the plane", level="warn")
        run.log({"loss": 0.5})
        run.finish()
        assert alerts.list_alerts("p") == []  # nothing shipped yet
        with heron.Api(root, recover=False) as api:
            api.sync()
            api.sync()  # again: nothing new
        assert [(a.title, a.level, a.run_id) for a in alerts.list_alerts("p")] == [
            ("offline hello", "warn", run.id)
        ]
    finally:
        alerts.close()
        store.close()
