"""A training process on the embedded store opens heron.alerts only when a batch has
something for it (``backend.AlertsOnDemand``): a ``run.alert``, or a project with an
enabled rule. Either way the alert is raised as with the engine opened at once."""

from __future__ import annotations

from pathlib import Path

import heron
from heron.alerts import NewRule, open_alerts
from heron.sdk.backend import AlertsOnDemand, EmbeddedBackend
from heron.settings import Settings
from heron.store import open_store

from .conftest import run_python, script, start_run


def _alerts_of(root: Path, project: str) -> list[tuple[str, str | None]]:
    store = open_store(f"sqlite:///{root / 'heron.db'}")
    alerts = open_alerts(store, Settings())
    try:
        return [(a.title, a.run_id) for a in alerts.list_alerts(project)]
    finally:
        alerts.close()
        store.close()


def test_a_rule_of_the_project_opens_the_engine_and_fires(tmp_path: Path) -> None:
    root = tmp_path / "heron-runs"
    start_run(root, project="p").finish()
    store = open_store(f"sqlite:///{root / 'heron.db'}")
    alerts = open_alerts(store, Settings())
    try:
        alerts.add_rule("p", NewRule(name="nan", kind="nan", key="loss"), "tester")
    finally:
        alerts.close()
        store.close()
    run = start_run(root, project="p")
    run.log({"loss": float("nan")})
    assert run.flush(timeout=60)
    backend = run.backend
    assert isinstance(backend, EmbeddedBackend)
    on_demand = backend.local().tracking.alerts
    assert isinstance(on_demand, AlertsOnDemand)
    assert "opened=True" in repr(on_demand)
    run.finish()
    assert _alerts_of(root, "p") == [("NaN in loss", run.id)]


def test_a_run_alert_without_rules_is_raised(tmp_path: Path) -> None:
    root = tmp_path / "heron-runs"
    run = start_run(root, project="q")
    run.alert("hello", "from code", level="warn")
    run.finish()
    assert _alerts_of(root, "q") == [("hello", run.id)]


NO_RULES = """
import sys
import heron

run = heron.init(project="p", dir=sys.argv[1], capture=False, system_metrics=False)
run.log({"loss": float("nan")})
run.finish()
print("loaded", "heron.alerts" in sys.modules, "sqlalchemy" in sys.modules)
"""


def test_without_rules_nor_alerts_the_engine_is_not_imported(tmp_path: Path) -> None:
    root = tmp_path / "heron-runs"
    done = run_python(script(tmp_path, NO_RULES), str(root))
    assert done.returncode == 0, done.stderr
    assert "loaded False True" in done.stdout  # the store was opened, the engine not
    assert _alerts_of(root, "p") == []
    with heron.Api(root) as api:
        assert len(api.runs(project="p")) == 1
