"""The SweepService contract (heron.sweeps.base), one suite for every implementation:
LocalSweeps beside SQLite and PostgreSQL, RemoteSweeps over HTTP to ``create_app`` with
accounts on. The same calls give the same answers and fail with the same errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from heron.errors import Conflict, Forbidden, InvalidInput, NotFound
from heron.sweeps import SweepService, parse_spec
from heron.sweeps.base import Claim
from tests.conftest import _create_database, _drop_database, _url
from tests.sweeps.harness import PROJECT, Harness, open_harness


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "remote"],
)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "postgres":
        name = _create_database()
        try:
            yield from open_harness("postgres", _url(name), tmp)
        finally:
            _drop_database(name)
        return
    yield from open_harness(request.param, f"sqlite:///{tmp / 'heron.db'}", tmp)


def claimed(sweeps: SweepService, name: str, **kwargs: float) -> Claim:
    claim = sweeps.claim(name, "agent-1", **kwargs)
    assert claim.trial is not None, claim
    return claim


def test_every_implementation_is_a_sweep_service(harness: Harness) -> None:
    assert isinstance(harness.sweeps(), SweepService)


def test_create_list_info_and_a_taken_name(harness: Harness) -> None:
    made = harness.sweep(run_cap=2)
    sweeps = harness.sweeps()
    assert (made.project, made.status, made.run_cap, made.counts) == (PROJECT, "running", 2, {})
    assert sweeps.info(made.name) == made
    assert made.name in [s.name for s in sweeps.list_sweeps(PROJECT)]
    assert sweeps.spec(made.name).to_json() == made.spec
    with pytest.raises(Conflict, match="exists"):
        sweeps.create(parse_spec(made.spec))
    with pytest.raises(NotFound, match="no sweep named 'nope'"):
        sweeps.info("nope")


def test_claims_until_the_cap_each_once_then_finished(harness: Harness) -> None:
    sweeps = harness.sweeps()
    name = harness.sweep().name
    seen = []
    for number in range(3):
        trial = claimed(sweeps, name).trial
        assert trial is not None and trial.number == number and 0 <= trial.params["x"] <= 1
        seen.append(trial.run_id)
        sweeps.beat(name, number)
        sweeps.tell(name, number, "complete", trial.params["x"])
    assert len(set(seen)) == 3
    assert sweeps.claim(name) == Claim(None, "finished")
    info = sweeps.info(name)
    assert info.status == "finished" and info.counts == {"complete": 3}
    trials = sweeps.trials(name)
    assert [t.run_id for t in trials] == seen and all(t.ended_at is not None for t in trials)
    best = min(trials, key=lambda t: t.value or 0.0)
    assert (info.best_trial, info.best_value) == (best.number, best.value)


def test_pause_stop_resume(harness: Harness) -> None:
    sweeps = harness.sweeps()
    name = harness.sweep().name
    assert sweeps.set_status(name, "paused").status == "paused"
    assert sweeps.claim(name) == Claim(None, "paused")
    assert sweeps.set_status(name, "stopped").status == "stopped"
    assert sweeps.claim(name) == Claim(None, "stopped")
    sweeps.set_status(name, "running")
    assert claimed(sweeps, name).status == "running"


def test_report_prunes_and_a_pruned_trial_s_run_is_marked(harness: Harness) -> None:
    sweeps = harness.sweeps()
    rule = {"type": "median", "min_iter": 0, "startup_trials": 1}
    name = harness.sweep(early_terminate=rule, run_cap=4).name
    good = claimed(sweeps, name).trial
    assert good is not None
    assert sweeps.report(name, good.number, [(0, 1.0), (1, 0.5)]) is False
    sweeps.tell(name, good.number, "complete", 0.5)
    bad = claimed(sweeps, name).trial
    assert bad is not None
    harness.run(bad.run_id)
    assert sweeps.report(name, bad.number, [(0, 9.0), (1, 8.0)]) is True  # worse than the median
    sweeps.tell(name, bad.number, "pruned")
    assert sweeps.trials(name)[bad.number].status == "pruned"
    assert sweeps.trials(name)[bad.number].steps == 2
    assert harness.store.get_run(bad.run_id).state == "pruned"


def test_an_ended_trial_cannot_be_told_or_reported_again(harness: Harness) -> None:
    sweeps = harness.sweeps()
    name = harness.sweep().name
    trial = claimed(sweeps, name).trial
    assert trial is not None
    sweeps.tell(name, trial.number, "failed", error="boom " * 1000)
    failed = sweeps.trials(name)[0]
    assert failed.status == "failed" and failed.error is not None and len(failed.error) == 2000
    with pytest.raises(Conflict, match="has ended"):
        sweeps.tell(name, trial.number, "complete", 1.0)
    with pytest.raises(Conflict, match="has ended"):
        sweeps.report(name, trial.number, [(0, 1.0)])
    with pytest.raises(NotFound, match="no trial 7"):
        sweeps.tell(name, 7, "failed")


def test_bad_input_is_refused_with_its_reason(harness: Harness) -> None:
    sweeps = harness.sweeps()
    name = harness.sweep().name
    trial = claimed(sweeps, name).trial
    assert trial is not None
    with pytest.raises(InvalidInput, match="finite value"):
        sweeps.tell(name, trial.number, "complete", None)
    with pytest.raises(InvalidInput):
        sweeps.report(name, trial.number, [(0, float("nan"))])
    with pytest.raises(InvalidInput):
        sweeps.claim(name, grace=0.5)
    with pytest.raises(InvalidInput):
        sweeps.claim(name, "a" * 300)


def test_a_silent_agent_s_trial_is_failed_by_the_next_claim_and_its_run_crashed(
    harness: Harness,
) -> None:
    sweeps = harness.sweeps()
    name = harness.sweep().name
    dead = claimed(sweeps, name).trial
    assert dead is not None
    harness.run(dead.run_id)
    assert claimed(sweeps, name).trial is not None  # 60 s of grace by default: alive
    time.sleep(2.2)  # the heartbeat's clock has whole seconds: > 1 s means 2
    claimed(sweeps, name, grace=1)
    trials = sweeps.trials(name)
    assert trials[dead.number].status == "failed"
    assert "agent stopped" in (trials[dead.number].error or "")
    assert harness.store.get_run(dead.run_id).state == "crashed"


def test_a_viewer_reads_but_neither_creates_nor_claims_nor_tells(harness: Harness) -> None:
    name = harness.sweep().name
    viewer, nobody = harness.sweeps("viewer"), harness.sweeps(None)
    assert viewer.info(name).name == name and viewer.trials(name) == []
    spec = dict(harness.sweeps().spec(name).to_json(), name=name + "-v")
    for call in (
        lambda: viewer.claim(name),
        lambda: viewer.set_status(name, "paused"),
        lambda: viewer.tell(name, 0, "failed"),
        lambda: viewer.beat(name, 0),
        lambda: viewer.create(parse_spec(spec)),
    ):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(Forbidden):
        nobody.info(name)
    assert nobody.list_sweeps() == [] and viewer.list_sweeps(PROJECT) != []


@pytest.mark.parametrize("harness", ["remote"], indirect=True)
def test_on_a_server_the_end_of_a_sweep_raises_its_group_done_alert(harness: Harness) -> None:
    """The tell that ends a sweep's last trial fires the group_done rules of its group,
    over the server's alert routes (the local case: tests/sweeps/test_group_done.py)."""
    assert harness.http is not None
    sweeps = harness.sweeps()
    name = harness.sweep(run_cap=1).name
    rule = {"name": "sweep done", "kind": "group_done", "group": name}
    harness.http.request("POST", f"/projects/{PROJECT}/alert-rules", json=rule)
    trial = claimed(sweeps, name).trial
    assert trial is not None
    harness.run(trial.run_id, group=name)
    harness.store.mark_crashed(trial.run_id, time.time(), "the trial's process ended")
    titles = [a["title"] for a in harness.http.json("GET", f"/projects/{PROJECT}/alerts")]
    assert f"group {name} finished" not in titles
    sweeps.tell(name, trial.number, "complete", 1.0)
    titles = [a["title"] for a in harness.http.json("GET", f"/projects/{PROJECT}/alerts")]
    assert titles.count(f"group {name} finished") == 1
