"""The study without processes: each method's claims, the cap, pause and resume.

One study file for the module (opening Optuna's storage checks its schema: about a
second on a busy machine); each test makes its own sweep."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from heron.sweeps import parse_spec
from heron.sweeps.study import Sweeps

_names = itertools.count()


@pytest.fixture(scope="module")
def s(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweeps]:
    path = tmp_path_factory.mktemp("study") / "heron.sweeps.db"
    with Sweeps(f"sqlite:///{path}") as sweeps:
        yield sweeps


def create(s: Sweeps, **changes: Any) -> str:
    """A new sweep (4 trials of x in [-2, 2] and n in [1, 8] unless changed): its name."""
    raw = {
        "name": f"s{next(_names)}",
        "metric": "loss",
        "run_cap": 4,
        "parameters": {"x": {"min": -2.0, "max": 2.0}, "n": {"min": 1, "max": 8}},
        **changes,
    }
    return s.create(parse_spec(raw)).name


def test_grid_claims_every_point_once_in_order(s: Sweeps) -> None:
    grid = {"opt": {"values": ["sgd", "adam"]}, "m": {"values": [0.0, 0.9], "if": {"opt": "sgd"}}}
    name = create(s, method="grid", run_cap=None, parameters=grid)
    claimed = []
    while (ticket := s.ask(name)[0].trial) is not None:
        claimed.append(ticket.params)
        s.tell(name, ticket.number, "complete", 1.0)
    assert claimed == [{"opt": "sgd", "m": 0.0}, {"opt": "sgd", "m": 0.9}, {"opt": "adam"}]
    assert s.info(name).status == "finished"


@pytest.mark.parametrize("method", ["random", "bayes", "cmaes"])
def test_each_sampler_stays_in_the_space_and_stops_at_the_cap(s: Sweeps, method: str) -> None:
    name = create(s, method=method)
    seen = []
    while (ticket := s.ask(name)[0].trial) is not None:
        x, n = ticket.params["x"], ticket.params["n"]
        assert -2.0 <= x <= 2.0 and isinstance(n, int) and 1 <= n <= 8
        seen.append(ticket.run_id)
        s.tell(name, ticket.number, "complete", x**2 + n)
    assert len(seen) == len(set(seen)) == 4
    info = s.info(name)
    assert info.counts == {"complete": 4} and info.best_value is not None


def test_pause_and_resume(s: Sweeps) -> None:
    name = create(s)
    s.set_status(name, "paused")
    assert s.ask(name)[0].trial is None and s.status(name) == "paused"
    s.set_status(name, "running")
    ticket = s.ask(name)[0].trial
    assert ticket is not None and s.info(name).counts == {"running": 1}
    s.tell(name, ticket.number, "failed", error="boom")
    assert s.trials(name)[0].error == "boom"


def test_a_sweep_of_an_earlier_version_reads_the_same(s: Sweeps) -> None:
    """Trials written with one user attribute per field (run_id, agent, started_at,
    ended_at) read as trials written now (one attribute, Optuna's own times)."""
    import optuna

    name = create(s)
    study = optuna.load_study(study_name=name, storage=s.storage)
    with warnings.catch_warnings():  # "heartbeat is meant for optimize()"
        warnings.simplefilter("ignore", UserWarning)
        trial = study.ask()
    for key, value in (("run_id", "old0000001"), ("started_at", 10.0), ("ended_at", 20.0)):
        trial.set_user_attr(key, value)
    study.tell(trial, 1.5)
    (old,) = s.trials(name)
    assert (old.run_id, old.started_at, old.ended_at) == ("old0000001", 10.0, 20.0)
    assert old.value == 1.5


def test_a_new_trial_takes_optuna_s_times_and_one_attribute(s: Sweeps) -> None:
    name = create(s)
    ticket = s.ask(name, "host:1")[0].trial
    assert ticket is not None
    s.tell(name, ticket.number, "complete", 2.0)
    (trial,) = s.trials(name)
    assert trial.run_id == ticket.run_id and trial.started_at and trial.ended_at
    assert trial.started_at <= trial.ended_at
