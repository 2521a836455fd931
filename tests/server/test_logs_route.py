"""``GET /runs/{id}/console`` and ``/console.txt``, in-process over SQLite and PostgreSQL,
and the live ``console`` event the ingest route publishes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from heron import wire
from heron.server.background import ChangePoller
from heron.server.events import EventHub, Subscription
from heron.store.base import Batch
from tests.server.asgi import AppClient
from tests.store.helpers import T0, batch

API = "/api/v1"
RUN = "logsrun001"


def lines(stream: str, *texts: str, **extra: Any) -> dict[str, Any]:
    return {"type": "console", "stream": stream, "time": T0, "lines": list(texts), **extra}


def ingest(client: AppClient, b: Batch) -> None:
    response = client.post(
        f"{API}/runs/{b.run_id}/batches",
        content=wire.encode_batch(b),
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert response.status_code == 200, response.text


def create_with_lines(client: AppClient, count: int) -> None:
    response = client.post(f"{API}/runs", json={"id": RUN, "project": "proj"})
    assert response.status_code == 200, response.text
    texts = [f"line {i}" for i in range(1, count + 1)]
    ingest(client, batch(RUN, 1, [lines("stdout", *texts[:-1]), lines("stderr", texts[-1])]))


def test_pages_of_lines(client: AppClient) -> None:
    create_with_lines(client, 10)
    page = client.get(f"{API}/runs/{RUN}/console", params={"after": 2, "limit": 3}).json()
    assert page["total"] == 10
    assert page["lines"] == [
        {
            "line": n,
            "stream": "stdout",
            "time": T0,
            "text": f"line {n}",
            "truncated": False,
            "partial": False,
        }
        for n in (3, 4, 5)
    ]
    whole = client.get(f"{API}/runs/{RUN}/console").json()
    assert [x["line"] for x in whole["lines"]] == list(range(1, 11))
    assert whole["lines"][-1]["stream"] == "stderr"
    tail = client.get(f"{API}/runs/{RUN}/console", params={"tail": 2}).json()
    assert [x["text"] for x in tail["lines"]] == ["line 9", "line 10"]
    assert client.get(f"{API}/runs/{RUN}/console", params={"tail": 50}).json() == whole
    count = client.get(f"{API}/runs/{RUN}/console", params={"limit": 0}).json()
    assert count == {"total": 10, "lines": []}


def test_bad_parameters_are_problems(client: AppClient) -> None:
    create_with_lines(client, 2)
    for params in ({"after": -1}, {"limit": 10_001}, {"limit": "many"}, {"tail": -2}):
        response = client.get(f"{API}/runs/{RUN}/console", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/InvalidInput")
    both = client.get(f"{API}/runs/{RUN}/console", params={"after": 1, "tail": 1})
    assert both.status_code == 400 and "either after or tail" in both.json()["detail"]
    for path in ("console", "console.txt"):
        missing = client.get(f"{API}/runs/nosuchrun0/{path}")
        assert missing.status_code == 404 and missing.json()["type"].endswith("/NotFound")


def test_the_whole_log_as_text(client: AppClient) -> None:
    create_with_lines(client, 12_000)  # more than one page of the download
    response = client.get(f"{API}/runs/{RUN}/console.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{RUN}-console.log"'
    assert response.text == "".join(f"line {i}\n" for i in range(1, 12_001))


def test_ingested_lines_are_announced_as_console_events(client: AppClient, app: FastAPI) -> None:
    hub: EventHub = app.state.heron.hub
    poller = ChangePoller(app.state.heron.store, hub)
    poller.poll_once()  # the first poll only records
    sub: Subscription = client.call(lambda: hub.subscribe(None, RUN))
    create_with_lines(client, 3)  # create (a run event), then a batch of lines only
    ingest(client, batch(RUN, 2, [lines("stdout", "more")], loss=[1.0]))

    def drained() -> list[tuple[str, dict[str, Any]]]:
        out = []
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            assert event is not None
            out.append((event.kind, event.data))
        return out

    events = client.call(drained)
    assert [kind for kind, _ in events] == ["run", "console", "console", "points"]
    assert events[1][1] == {"run": RUN, "project": "proj", "seq": 1}
    # The poller knows this process announced those batches: nothing more to say.
    assert poller.poll_once() == 0
