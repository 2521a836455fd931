"""``heron alerts`` over a store written by the real SDK (``run.alert`` and a NaN rule
on a local run), and the same client code over a server (in-process transport)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import heron
from heron.alerts import NewRule
from heron.alerts.remote import RemoteAlerts
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput, NotFound
from heron.remote.http import HttpClient
from heron.server import create_app
from heron.settings import Settings
from heron.store import open_store
from tests.cli.conftest import CliRunnerCall
from tests.inprocess import serve


def _run(root: Path) -> heron.Run:
    return heron.init(project="proj", dir=root, system_metrics=False, capture=False)


def test_rules_from_the_cli_then_a_local_run_raises_alerts(
    tmp_path: Path, run_cli: CliRunnerCall
) -> None:
    root = tmp_path / "heron-runs"
    with _run(root) as first:  # the store exists once a run has written it
        first.log({"loss": 1.0})
    added = run_cli(
        str(root), "alerts", "rules", "add", "proj", "nan loss", "--when", "nan", "--key", "loss"
    )
    assert added.exit_code == 0, added.output
    assert "NaN or infinity in loss" in added.output
    listed = run_cli(str(root), "alerts", "rules", "ls", "proj", "--json")
    [rule] = [json.loads(line) for line in listed.output.splitlines()]
    assert (rule["kind"], rule["key"], rule["enabled"]) == ("nan", "loss", True)

    with _run(root) as run:  # the SDK ships through the service: rules run in this process
        run.log({"loss": 0.5})
        run.log({"loss": float("nan")})
        run.alert("checkpoint saved", "epoch 3", level="info")
        with pytest.raises(InvalidInput, match="alert level"):
            run.alert("bad", level="fatal")

    shown = run_cli(str(root), "alerts", "ls", "proj", "--json")
    alerts = [json.loads(line) for line in shown.output.splitlines()]
    assert sorted((a["title"], a["level"], a["run_id"]) for a in alerts) == [
        ("NaN in loss", "error", run.id),
        ("checkpoint saved", "info", run.id),
    ]
    table = run_cli(str(root), "alerts", "ls", "proj", "--unread")
    assert "NaN in loss" in table.output and "checkpoint saved" in table.output
    assert run_cli(str(root), "alerts", "read", "proj").output.strip() == "Marked 2 alerts read."
    assert (
        run_cli(str(root), "alerts", "ls", "proj", "--unread").output.strip()
        == "No alerts in proj."
    )
    removed = run_cli(str(root), "alerts", "rules", "rm", "proj", str(rule["id"]))
    assert removed.exit_code == 0
    assert "No alert rules" in run_cli(str(root), "alerts", "rules", "ls", "proj").output


def test_bad_rule_options_are_usage_errors(tmp_path: Path, run_cli: CliRunnerCall) -> None:
    root = tmp_path / "heron-runs"
    with _run(root) as run:
        run.log({"loss": 1.0})
    bad = run_cli(
        str(root), "alerts", "rules", "add", "proj", "x", "--when", "divergence", "--key", "loss"
    )
    assert bad.exit_code == 2 and "factor is a number" in bad.output
    gone = run_cli(str(root), "alerts", "rules", "rm", "proj", "99")
    assert gone.exit_code == 1 and "not found" in gone.output


def test_remote_alerts_speak_the_server_routes(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'heron.db'}")
    app = create_app(
        store,
        LocalArtifactStore(tmp_path / "blobs"),
        Settings(dir=tmp_path / "unused"),
        static_dir=tmp_path / "no-ui",
    )
    try:
        with serve(app) as transport:
            http = HttpClient("http://localhost", transport=transport())
            remote = RemoteAlerts(http)
            rule = remote.add_rule(
                "proj", NewRule(name="hot", kind="threshold", key="t", op=">", threshold=90), "x"
            )
            assert [r.id for r in remote.list_rules("proj")] == [rule.id]
            assert rule.params == {"op": ">", "threshold": 90.0}
            assert remote.list_alerts("proj") == []
            assert remote.mark_read("proj") == 0
            remote.remove_rule("proj", rule.id)
            with pytest.raises(NotFound):
                remote.remove_rule("proj", rule.id)
            with pytest.raises(InvalidInput, match="above 0"):
                remote.add_rule("proj", NewRule(name="s", kind="stale", minutes=0), "x")
            http.close()
    finally:
        store.close()
