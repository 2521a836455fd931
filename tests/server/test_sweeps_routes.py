"""The sweep routes over both SQL backends (SQLite beside the file, PostgreSQL in its
own schema), on a study filled through heron.sweeps as agents fill it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from heron.store.sql import SqlStore
from heron.sweeps import parse_spec
from heron.sweeps.study import Sweeps, sweeps_url_of
from tests.server.asgi import AppClient
from tests.server.schemas import check_answer
from tests.server.test_routes import API


@pytest.fixture
def sweep(store: SqlStore) -> Iterator[str]:
    name = "s-" + uuid.uuid4().hex[:8]  # PostgreSQL's sweeps schema outlives each test
    spec = parse_spec(
        {
            "name": name,
            "project": "proj",
            "method": "random",
            "metric": {"name": "loss", "goal": "minimize"},
            "run_cap": 6,
            "parameters": {"x": {"min": 0.0, "max": 10.0}, "opt": {"values": ["a", "b"]}},
        }
    )
    with Sweeps(sweeps_url_of(store.url)) as sweeps:
        sweeps.create(spec)
        for _ in range(5):
            ticket = sweeps.ask(name)[0].trial
            assert ticket is not None
            x = ticket.params["x"]
            sweeps.tell(name, ticket.number, "complete", (x - 3) ** 2)
        running = sweeps.ask(name)[0].trial  # the sixth is still running
        assert running is not None
    yield name


def test_list_show_importance_and_status(client: AppClient, app: object, sweep: str) -> None:
    listed = client.get(f"{API}/sweeps", params={"project": "proj"})
    assert listed.status_code == 200 and check_answer(app, listed)  # type: ignore[arg-type]
    (found,) = [s for s in listed.json() if s["name"] == sweep]
    assert found["counts"] == {"complete": 5, "running": 1} and found["status"] == "running"

    shown = client.get(f"{API}/sweeps/{sweep}")
    assert shown.status_code == 200 and check_answer(app, shown)  # type: ignore[arg-type]
    trials = shown.json()["trials"]
    assert [t["status"] for t in trials] == ["complete"] * 5 + ["running"]
    best = min(t["value"] for t in trials[:5])
    assert shown.json()["sweep"]["best_value"] == best
    assert all(t["run_state"] is None for t in trials)  # no process logged these

    rated = client.get(f"{API}/sweeps/{sweep}/importance")
    assert rated.status_code == 200 and check_answer(app, rated)  # type: ignore[arg-type]
    assert rated.json()["runs"] == 5 and {p["name"] for p in rated.json()["params"]} == {"x", "opt"}

    paused = client.post(f"{API}/sweeps/{sweep}/status", json={"status": "paused"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert check_answer(app, paused)  # type: ignore[arg-type]


def test_bad_requests_are_4xx(client: AppClient, sweep: str) -> None:
    assert client.get(f"{API}/sweeps/nosuch").status_code == 404
    bad = client.post(f"{API}/sweeps/{sweep}/status", json={"status": "finished"})
    assert bad.status_code == 422
    assert client.post(f"{API}/sweeps/nosuch/status", json={"status": "paused"}).status_code == 404
