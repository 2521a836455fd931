"""POST /projects/{project}/runs/bulk: tag, untag or delete runs by ids or by filter,
in-process over SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import FilterSyntaxError, NotFound
from heron.service import runs as service_runs
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient
from tests.server.test_routes import API, create, send
from tests.store.helpers import batch

FINISHED = {"type": "state", "state": "finished", "time": 1.0}


def bulk(client: AppClient, project: str = "proj", **body: Any) -> Any:
    return client.post(f"{API}/projects/{project}/runs/bulk", json=body)


def finished(client: AppClient, run_id: str, project: str = "proj", **spec: Any) -> None:
    create(client, run_id, project=project, **spec)
    send(client, batch(run_id, 1, [FINISHED]))


def tags_of(client: AppClient, run_id: str) -> list[str]:
    response = client.get(f"{API}/runs/{run_id}")
    assert response.status_code == 200, response.text
    return response.json()["tags"]  # type: ignore[no-any-return]


def five_runs(client: AppClient) -> list[str]:
    """run0000000..run0000004 in "proj" (config.i = 0..4), and one in "other"."""
    ids = [f"run{i:07d}" for i in range(5)]
    for i, run_id in enumerate(ids):
        finished(client, run_id, config={"i": i}, created_at=1000.0 + i)
    finished(client, "otherrun01", project="other", config={"i": 0})
    return ids


def test_tag_by_ids_reports_unknown_and_foreign_runs(client: AppClient) -> None:
    ids = five_runs(client)
    response = bulk(
        client, action="add_tags", tags=["good"], ids=[ids[0], ids[1], ids[1], "otherrun01", "nope"]
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["matched"] == 2 and answer["done"] == 2 and answer["running"] == 0
    assert answer["limit"] == service_runs.MAX_BULK_RUNS
    failed = {f["id"]: f for f in answer["failed"]}
    assert set(failed) == {"otherrun01", "nope"}
    assert failed["nope"]["status"] == 404
    assert "'other', not 'proj'" in failed["otherrun01"]["detail"]
    assert [tags_of(client, i) for i in ids] == [["good"], ["good"], [], [], []]
    assert tags_of(client, "otherrun01") == []  # another project's run is never touched


def test_tag_and_untag_by_filter_with_exclusions(client: AppClient) -> None:
    ids = five_runs(client)
    answer = bulk(
        client, action="add_tags", tags=["low", "x"], filter="config.i < 3", exclude=[ids[0]]
    ).json()
    assert (answer["matched"], answer["done"], answer["failed"]) == (2, 2, [])
    assert [tags_of(client, i) for i in ids] == [[], ["low", "x"], ["low", "x"], [], []]

    # "" is every run of the project, and only of this project
    everything = bulk(client, action="add_tags", tags=["all"], filter="").json()
    assert everything["matched"] == 5 and everything["done"] == 5
    assert tags_of(client, "otherrun01") == []

    untag = bulk(client, action="remove_tags", tags=["x"], filter='tags has "low"').json()
    assert untag["done"] == 2
    assert [tags_of(client, i) for i in ids] == [
        ["all"],
        ["all", "low"],
        ["all", "low"],
        ["all"],
        ["all"],
    ]


def test_dry_run_counts_without_changing(client: AppClient) -> None:
    ids = five_runs(client)
    create(client, "running001", config={"i": 9})
    answer = bulk(client, action="delete", filter="", exclude=[ids[4]], dry_run=True).json()
    assert (answer["matched"], answer["running"], answer["done"]) == (5, 1, 0)
    assert client.get(f"{API}/runs/count", params={"project": "proj"}).json() == {"count": 6}


def test_delete_refuses_running_runs_without_force(client: AppClient) -> None:
    finished(client, "done000001")
    create(client, "running001")
    refused = bulk(client, action="delete", ids=["done000001", "running001"])
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/Conflict")
    assert "1 of the 2 runs are still running (running001)" in refused.json()["detail"]
    assert '"force": true' in refused.json()["detail"]
    assert client.get(f"{API}/runs/done000001").status_code == 200  # all or nothing

    forced = bulk(client, action="delete", filter="", force=True)
    assert forced.status_code == 200, forced.text
    assert forced.json()["done"] == 2 and forced.json()["running"] == 1
    for run_id in ("done000001", "running001"):
        assert client.get(f"{API}/runs/{run_id}").status_code == 404


def test_delete_by_filter_leaves_the_rest(client: AppClient) -> None:
    ids = five_runs(client)
    answer = bulk(client, action="delete", filter="config.i >= 3").json()
    assert answer["done"] == 2
    assert [client.get(f"{API}/runs/{i}").status_code for i in ids] == [200, 200, 200, 404, 404]
    assert client.get(f"{API}/runs/otherrun01").status_code == 200


def test_more_runs_than_the_cap_are_refused_before_any_change(
    client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = five_runs(client)
    monkeypatch.setattr(service_runs, "MAX_BULK_RUNS", 3)
    too_many = bulk(client, action="add_tags", tags=["t"], filter="config.i >= 1")
    assert too_many.status_code == 400
    detail = too_many.json()["detail"]
    assert "matches 4 runs" in detail and "at most 3" in detail and "narrow the filter" in detail
    assert all(tags_of(client, i) == [] for i in ids)
    by_ids = bulk(client, action="delete", ids=ids)
    assert by_ids.status_code == 400 and "5 runs given" in by_ids.json()["detail"]
    assert client.get(f"{API}/runs/count", params={"project": "proj"}).json() == {"count": 5}
    # exclusions bring it under the cap
    fits = bulk(client, action="add_tags", tags=["t"], filter="config.i >= 1", exclude=[ids[1]])
    assert fits.status_code == 200 and fits.json()["done"] == 3


def test_a_bad_filter_is_a_400_with_the_parsers_message(client: AppClient, store: SqlStore) -> None:
    five_runs(client)
    with pytest.raises(FilterSyntaxError) as expected:
        store.count_runs("proj", "config.i <")
    response = bulk(client, action="add_tags", tags=["t"], filter="config.i <")
    assert response.status_code == 400
    assert response.json()["type"].endswith("/FilterSyntaxError")
    assert response.json()["detail"] == expected.value.message


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"action": "archive", "ids": ["a"]}, 422, "action"),
        ({"action": "delete", "ids": ["a"], "colour": "red"}, 422, "colour"),
        ({"action": "delete"}, 400, 'either "ids" or "filter"'),
        ({"action": "delete", "ids": ["a"], "filter": ""}, 400, 'either "ids" or "filter"'),
        ({"action": "add_tags", "ids": ["a"]}, 400, "needs at least one tag"),
        ({"action": "delete", "ids": ["a"], "tags": ["t"]}, 400, "not with delete"),
        ({"action": "remove_tags", "ids": ["a"], "tags": ["t"], "force": True}, 400, "force"),
        ({"action": "add_tags", "ids": ["a"], "tags": ["bad\x00tag"]}, 400, "control characters"),
    ],
)
def test_malformed_calls_are_refused_with_problem_json(
    client: AppClient, body: dict[str, Any], status: int, words: str
) -> None:
    finished(client, "a")
    response = bulk(client, **body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]
    assert tags_of(client, "a") == []


def test_per_run_failures_are_reported_and_the_rest_change(
    client: AppClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = five_runs(client)
    store = app.state.heron.store
    real_update = store.update_run

    def flaky(run_id: str, **kwargs: Any) -> Any:
        if run_id == ids[1]:
            raise NotFound(f"run {run_id} was deleted meanwhile")
        if run_id == ids[3]:
            raise RuntimeError("database went away")
        return real_update(run_id, **kwargs)

    monkeypatch.setattr(store, "update_run", flaky)
    answer = bulk(client, action="add_tags", tags=["t"], filter="", exclude=[]).json()
    failed = {f["id"]: f for f in answer["failed"]}
    # the newest run first (the store's default order): 4, 3 (fails: stop), then not tried
    assert answer["done"] == 1 and tags_of(client, ids[4]) == ["t"]
    assert failed[ids[3]]["status"] == 500 and "see the log" in failed[ids[3]]["detail"]
    assert all("not tried" in failed[i]["detail"] for i in (ids[2], ids[1], ids[0]))
    again = bulk(client, action="add_tags", tags=["t"], ids=[ids[0], ids[1], ids[2]]).json()
    assert again["done"] == 2 and [f["id"] for f in again["failed"]] == [ids[1]]
    assert (
        again["failed"][0]["status"] == 404 and "deleted meanwhile" in again["failed"][0]["detail"]
    )
    assert [tags_of(client, i) for i in (ids[0], ids[2])] == [["t"], ["t"]]


def test_bulk_changes_are_announced_on_the_event_stream(client: AppClient, app: Any) -> None:
    ids = five_runs(client)
    seen: list[dict[str, Any]] = []
    app.state.heron.hub.add_forwarder(seen.append)
    bulk(client, action="add_tags", tags=["t"], ids=ids[:2])
    bulk(client, action="delete", ids=[ids[4]])
    runs = {(e["data"]["run"], e["data"]["state"]) for e in seen if e["event"] == "run"}
    assert {(ids[0], "finished"), (ids[1], "finished"), (ids[4], "deleted")} <= runs
    assert not {(ids[2], "finished"), (ids[3], "finished")} & runs


def test_the_route_is_in_the_openapi_document(client: AppClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert f"{API}/projects/{{project}}/runs/bulk" in paths
