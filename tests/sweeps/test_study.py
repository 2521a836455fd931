"""The study without processes: each method's claims, the cap, pause and resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from heron.sweeps import parse_spec
from heron.sweeps.study import Sweeps


def sweeps(tmp_path: Path) -> Sweeps:
    return Sweeps(f"sqlite:///{tmp_path / 'heron.sweeps.db'}")


def spec(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "s",
        "metric": "loss",
        "run_cap": 6,
        "parameters": {"x": {"min": -2.0, "max": 2.0}, "n": {"min": 1, "max": 8}},
    }
    return {**base, **changes}


def test_grid_claims_every_point_once_in_order(tmp_path: Path) -> None:
    grid = {"opt": {"values": ["sgd", "adam"]}, "m": {"values": [0.0, 0.9], "if": {"opt": "sgd"}}}
    with sweeps(tmp_path) as s:
        s.create(parse_spec(spec(method="grid", run_cap=None, parameters=grid)))
        claimed = []
        while (ticket := s.ask("s")) is not None:
            claimed.append(ticket.params)
            s.tell(ticket, "complete", 1.0)
        assert claimed == [{"opt": "sgd", "m": 0.0}, {"opt": "sgd", "m": 0.9}, {"opt": "adam"}]
        assert s.info("s").status == "finished"


@pytest.mark.parametrize("method", ["random", "bayes", "cmaes"])
def test_each_sampler_stays_in_the_space_and_stops_at_the_cap(tmp_path: Path, method: str) -> None:
    with sweeps(tmp_path) as s:
        s.create(parse_spec(spec(method=method)))
        seen = []
        while (ticket := s.ask("s")) is not None:
            x, n = ticket.params["x"], ticket.params["n"]
            assert -2.0 <= x <= 2.0 and isinstance(n, int) and 1 <= n <= 8
            seen.append(ticket.run_id)
            s.tell(ticket, "complete", x**2 + n)
        assert len(seen) == len(set(seen)) == 6
        info = s.info("s")
        assert info.counts == {"complete": 6} and info.best_value is not None


def test_pause_and_resume(tmp_path: Path) -> None:
    with sweeps(tmp_path) as s:
        s.create(parse_spec(spec()))
        s.set_status("s", "paused")
        assert s.ask("s") is None and s.status("s") == "paused"
        s.set_status("s", "running")
        ticket = s.ask("s")
        assert ticket is not None and s.info("s").counts == {"running": 1}
        s.tell(ticket, "failed", error="boom")
        assert s.trials("s")[0].error == "boom"
