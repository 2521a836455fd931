"""Importance, comparison and seed groups over a project's runs, through the server."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from scipy import stats

from tests.server.asgi import AppClient
from tests.server.schemas import check_answer
from tests.server.test_routes import API, send
from tests.store.helpers import batch

NEW = [0.912, 0.905, 0.921, 0.915, 0.909]
OLD = [0.897, 0.902, 0.894, 0.905, 0.899]


@pytest.fixture
def runs(client: AppClient) -> None:
    n = 0
    for group, finals in (("new", NEW), ("old", OLD)):
        for seed, final in enumerate(finals):
            n += 1
            run = f"run{n:07d}"
            config = {"seed": seed, "lr": 0.1 if group == "new" else 0.01, "opt": group}
            create = {
                "type": "create",
                "spec": {"id": run, "project": "proj", "group": group, "config": config},
            }
            send(client, batch(run, 1, [create], acc=[final - 0.1, final]))


def test_compare_matches_scipy(client: AppClient, app: FastAPI, runs: None) -> None:
    body = {"metric": "acc", "a": 'group = "new"', "b": 'group = "old"'}
    answer = client.post(f"{API}/projects/proj/analysis/compare", json=body)
    assert answer.status_code == 200 and check_answer(app, answer), answer.text
    expected = stats.ttest_ind(NEW, OLD, equal_var=False)
    assert answer.json()["p_value"] == pytest.approx(expected.pvalue)
    assert answer.json()["verdict"].startswith("A is higher than B")


def test_importance_and_groups(client: AppClient, app: FastAPI, runs: None) -> None:
    rated = client.post(f"{API}/projects/proj/analysis/importance", json={"metric": "acc"})
    assert rated.status_code == 200 and check_answer(app, rated), rated.text
    names = [p["name"] for p in rated.json()["params"]]
    assert set(names) == {"seed", "lr", "opt"} and rated.json()["runs"] == 10
    lr = next(p for p in rated.json()["params"] if p["name"] == "lr")
    assert lr["correlation"] > 0.8
    grouped = client.post(f"{API}/projects/proj/analysis/groups", json={})
    assert grouped.status_code == 200 and check_answer(app, grouped)
    assert sorted(g["name"] for g in grouped.json()) == ["lr=0.01, opt=old", "lr=0.1, opt=new"]
    assert all(len(g["run_ids"]) == 5 for g in grouped.json())


def test_bad_input_is_400_or_422(client: AppClient, runs: None) -> None:
    url = f"{API}/projects/proj/analysis/compare"
    few = client.post(url, json={"metric": "acc", "a": 'group = "new"', "b": 'name = "x"'})
    assert few.status_code == 400 and "group b" in few.json()["detail"]
    assert client.post(url, json={"metric": "acc", "a": "((", "b": "x"}).status_code == 400
    assert (
        client.post(url, json={"metric": "acc", "a": "x", "b": "y", "confidence": 2}).status_code
        == 422
    )
    extra = client.post(f"{API}/projects/proj/analysis/groups", json={"keys": []})
    assert extra.status_code == 422
