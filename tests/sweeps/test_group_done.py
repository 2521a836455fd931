"""A sweep's ``group_done`` alert: raised once, by the tell that finishes the sweep,
never by the end of one trial's run while the next trial's run does not exist yet.
Each agent (or the same one after a restart) is its own store, study and alerts over one
database: nothing is kept in memory between them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from heron.alerts import NewRule, open_alerts
from heron.artifacts.local import LocalArtifactStore
from heron.service import Tracking
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import Batch, RunSpec
from heron.store.sql import SqlStore
from heron.sweeps import parse_spec
from heron.sweeps.service import LocalSweeps
from heron.sweeps.study import Sweeps, sweeps_url_of

PROJECT = "sw"


class Agents:
    """Opens a fresh service over the database each time (another agent or process)."""

    def __init__(self, url: str, tmp: Path, stack: ExitStack) -> None:
        self.url, self.tmp, self.stack = url, tmp, stack

    def open(self) -> LocalSweeps:
        store = open_store(self.url)
        assert isinstance(store, SqlStore)
        self.stack.callback(store.close)
        sweeps = Sweeps(sweeps_url_of(self.url))
        alerts = open_alerts(store, Settings())
        blobs = LocalArtifactStore(self.tmp / "blobs", durable=False)
        service = LocalSweeps(sweeps, Tracking(store, blobs, alerts=alerts), owns=True)
        self.stack.callback(service.close)
        return service


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Agents]:
    with ExitStack() as stack:
        yield Agents(f"sqlite:///{tmp_path / 'heron.db'}", tmp_path, stack)


def done_alerts(service: LocalSweeps, group: str) -> list[str]:
    alerts = service.tracking.alerts
    assert alerts is not None
    titles = [a.title for a in alerts.list_alerts(PROJECT)]
    return [t for t in titles if t == f"group {group} finished"]


def test_group_done_waits_for_the_sweep_s_last_tell_across_agents_and_restarts(
    agents: Agents,
) -> None:
    first, second = agents.open(), agents.open()  # two agents, or one before and after
    raw = {
        "name": "gd",
        "project": PROJECT,
        "method": "random",
        "metric": "loss",
        "run_cap": 3,
        "parameters": {"x": {"min": 0.0, "max": 1.0}},
    }
    info = first.create(parse_spec(raw))
    assert first.tracking.alerts is not None
    first.tracking.alerts.add_rule(
        PROJECT, NewRule(name="sweep done", kind="group_done", group=info.group), "t"
    )
    for number in range(3):
        agent = (first, second)[number % 2]
        claim = agent.claim(info.name, f"agent-{number}")
        assert claim.trial is not None and claim.trial.number == number
        run_id = claim.trial.run_id
        agent.tracking.store.create_run(RunSpec(id=run_id, project=PROJECT, group=info.group))
        end = {"type": "state", "state": "finished", "time": 1.0}
        agent.tracking.ingest(Batch(run_id, 1, events=[end]))  # type: ignore[list-item]
        # every run of the group so far has ended, and the next trial's run does not exist
        assert done_alerts(agent, info.group) == []
        agent.tell(info.name, number, "complete", float(number))
        expected = 1 if number == 2 else 0
        assert len(done_alerts(agent, info.group)) == expected
    late = second
    assert late.info(info.name).status == "finished"
    late._maybe_finished(info.name)  # another agent seeing the end: nothing more
    assert len(done_alerts(late, info.group)) == 1
