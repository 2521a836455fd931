"""Live events: the hub, the change poller, the reaper, SSE over a real server, and
LISTEN/NOTIFY between server processes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from heron import wire
from heron.artifacts.local import LocalArtifactStore
from heron.local_dir import try_lock
from heron.server.background import ChangePoller, Reaper
from heron.server.events import Event, EventHub
from heron.service import Tracking
from heron.store.sql import SqlStore
from tests.server.conftest import ServerFactory
from tests.store.helpers import batch, new_run


def collect(hub: EventHub, **subscribe: Any) -> tuple[list[Event], Any]:
    """Subscribe on a fresh loop in a thread; (received events, stop function)."""
    received: list[Event] = []
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    async def main() -> None:
        hub.start(loop)
        sub = hub.subscribe(**subscribe)
        ready.set()
        while (event := await sub.queue.get()) is not None:
            received.append(event)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(5)

    def stop() -> None:
        hub.close()
        thread.join(5)
        loop.close()

    return received, stop


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


# --- the hub -------------------------------------------------------------------------


def test_hub_filters_by_project_and_run() -> None:
    hub = EventHub()
    by_project, stop1 = collect(hub, project="a")
    hub2 = hub  # same hub, second subscriber on its own loop is not possible: one loop
    hub2.run_changed("r1", "a", "running")
    hub2.run_changed("r2", "b", "running")
    hub2.points("r1", "a", ["loss"], 3, 7)
    wait_for(lambda: len(by_project) == 2)
    assert [e.kind for e in by_project] == ["run", "points"]
    assert by_project[1].data == {
        "run": "r1",
        "project": "a",
        "keys": ["loss"],
        "last_step": 3,
        "seq": 7,
    }
    stop1()
    assert Event("run", {"run": "x", "project": "p"}).matches(None, "x")
    assert not Event("run", {"run": "x", "project": "p"}).matches("p", "y")


def test_slow_subscriber_is_dropped_with_bounded_memory() -> None:
    drops: list[int] = []
    hub = EventHub(queue_size=5, on_drop=lambda: drops.append(1))
    loop = asyncio.new_event_loop()
    hub.start(loop)
    sub = hub.subscribe()
    for i in range(50):
        hub.points("r", "p", ["k"], i, i)
    loop.run_until_complete(asyncio.sleep(0.05))  # deliveries run on the loop
    assert sub.dropped and drops == [1]
    assert sub.queue.qsize() == 1 and sub.queue.get_nowait() is None  # emptied, end marker
    loop.close()


def test_sse_stream_text_and_ping() -> None:
    hub = EventHub()
    loop = asyncio.new_event_loop()
    hub.start(loop)

    async def read() -> list[str]:
        sub = hub.subscribe(run="r")
        stream = hub.stream(sub, ping_seconds=0.05)
        out = [await stream.__anext__()]
        out.append(await stream.__anext__())  # nothing published yet: a ping
        hub.points("r", "p", ["a"], 1, 1)
        out.append(await stream.__anext__())
        hub.close()
        out += [chunk async for chunk in stream]
        assert hub.subscriber_count == 0
        return out

    chunks = loop.run_until_complete(read())
    loop.close()
    assert chunks[0].startswith("retry:") and chunks[1] == ": ping\n\n"
    assert chunks[2].startswith("event: points\ndata: {") and chunks[2].endswith("\n\n")
    assert json.loads(chunks[2].split("data: ", 1)[1])["keys"] == ["a"]
    assert len(chunks) == 3


# --- the poller and the reaper ---------------------------------------------------------


def test_poller_announces_writes_that_bypass_the_server(store: SqlStore) -> None:
    hub = EventHub()
    received, stop = collect(hub, project="proj")
    poller = ChangePoller(store, hub)
    old = new_run(store)
    assert poller.poll_once() == 0  # the first poll only records what is there
    run = new_run(store)  # a training script writing the store directly
    store.ingest(batch(run.id, 1, loss=[1.0, 2.0]))
    poller.poll_once()
    wait_for(lambda: len(received) >= 2)
    kinds = {(e.kind, e.data["run"]) for e in received}
    assert kinds == {("run", run.id), ("points", run.id)}
    points = next(e for e in received if e.kind == "points")
    assert points.data["last_step"] == 1 and points.data["keys"] is None
    received.clear()
    assert poller.poll_once() == 0  # nothing new: nothing announced twice
    store.update_run(old.id, notes="edited elsewhere")
    store.mark_crashed(run.id, time.time(), "gone")
    poller.poll_once()
    wait_for(lambda: len(received) >= 2)
    assert {(e.kind, e.data["run"], e.data["state"]) for e in received} == {
        ("run", old.id, "running"),
        ("run", run.id, "crashed"),
    }
    stop()


def test_poller_skips_what_this_process_announced(store: SqlStore) -> None:
    hub = EventHub()
    poller = ChangePoller(store, hub)
    poller.poll_once()
    run = new_run(store)
    hub.run_changed(run.id, "proj", "running")  # what the create route does
    store.ingest(batch(run.id, 4, loss=[1.0]))
    hub.points(run.id, "proj", ["loss"], 0, 4)  # what the ingest route does
    assert poller.poll_once() == 0


def test_reaper_marks_silent_runs_crashed(store: SqlStore, tmp_path: Path) -> None:
    hub = EventHub()
    received, stop = collect(hub)
    crashes: list[int] = []
    alive = new_run(store)
    dead = new_run(store)
    store.heartbeat(dead.id, time.time() - 120)
    store.heartbeat(alive.id, time.time())
    tracking = Tracking(store, LocalArtifactStore(tmp_path / "blobs"), notifier=hub)
    reaper = Reaper(tracking, crash_after=60, on_crash=lambda: crashes.append(1))
    assert reaper.reap_once() == [dead.id]
    assert store.get_run(dead.id).state == "crashed" and store.get_run(alive.id).state == "running"
    wait_for(lambda: len(received) == 1)
    assert received[0].data == {"run": dead.id, "project": "proj", "state": "crashed"}
    assert crashes == [1] and reaper.reap_once() == []
    # With a local spool folder, a run whose writer holds the lock is spared.
    local = Reaper(tracking, crash_after=60, spool_root=tmp_path / "spool")
    quiet, gone = new_run(store), new_run(store)
    for run in (quiet, gone):
        store.heartbeat(run.id, time.time() - 120)
        (tmp_path / "spool" / run.id).mkdir(parents=True)
    lock = try_lock(tmp_path / "spool" / quiet.id)  # a live writer holds quiet's lock
    assert lock is not None
    try:
        assert local.reap_once() == [gone.id]  # its writer's lock is free: gone
    finally:
        os.close(lock)
    assert local.reap_once() == [quiet.id]  # now nobody holds it either
    stop()


# --- SSE over a real server --------------------------------------------------------------


def stream_events(url: str) -> tuple[queue.Queue[tuple[str, dict[str, Any]]], Any]:
    """Read an SSE stream in a thread; (queue of (event, data), close function)."""
    out: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    connected = threading.Event()
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(timeout=httpx.Timeout(5, read=60)) as client:
            try:
                with client.stream("GET", url) as response:
                    assert response.headers["content-type"].startswith("text/event-stream")
                    kind = None
                    for line in response.iter_lines():
                        connected.set()
                        if stop.is_set():
                            return
                        if line.startswith("event: "):
                            kind = line[len("event: ") :]
                        elif line.startswith("data: ") and kind is not None:
                            out.put((kind, json.loads(line[len("data: ") :])))
            except httpx.TransportError:  # the server stopped at the end of the test
                return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert connected.wait(15), "the event stream did not open"
    return out, stop.set


def next_event(events: queue.Queue[tuple[str, dict[str, Any]]], kind: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            got_kind, data = events.get(timeout=0.5)
        except queue.Empty:
            continue
        if got_kind == kind:
            return data
    raise AssertionError(f"no {kind!r} event arrived")


def post_batch(base: str, run_id: str, seq: int, **metrics: list[float]) -> None:
    spec = {"type": "create", "spec": {"id": run_id, "project": "live"}}
    body = wire.encode_batch(batch(run_id, seq, [spec] if seq == 1 else [], **metrics))
    response = httpx.post(
        f"{base}/api/v1/runs/{run_id}/batches",
        content=body,
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def sse_server(server_process: ServerFactory, sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    yield server_process(sqlite_url, tmp_path / "blobs").url


def test_sse_delivers_points(sse_server: str) -> None:
    events, close = stream_events(f"{sse_server}/api/v1/events?project=live")
    post_batch(sse_server, "liverun001", 1, loss=[1.0, 0.5])
    assert next_event(events, "run")["run"] == "liverun001"
    points = next_event(events, "points")
    assert points["keys"] == ["loss"] and points["last_step"] == 1
    close()


@pytest.mark.postgres
def test_events_cross_server_processes_on_postgres(
    server_process: ServerFactory, postgres_url: str, tmp_path: Path
) -> None:
    a = server_process(postgres_url, tmp_path / "blobs")
    b = server_process(postgres_url, tmp_path / "blobs")
    events, close = stream_events(f"{a.url}/api/v1/events?run=crossrun01")
    time.sleep(0.5)  # let server a's LISTEN connection come up
    post_batch(b.url, "crossrun01", 1, acc=[0.5])
    points = next_event(events, "points")
    # Exact keys come only through NOTIFY (a's own poller would not know them).
    assert points["keys"] == ["acc"] and points["run"] == "crossrun01"
    close()


@pytest.mark.postgres
def test_pg_bridge_between_two_hubs(postgres_url: str) -> None:
    from heron.server.pgbridge import PgBridge

    sender, receiver = EventHub(), EventHub()
    received, stop = collect(receiver)
    bridges = [PgBridge(postgres_url, sender), PgBridge(postgres_url, receiver)]
    for bridge in bridges:
        bridge.start()
    try:
        assert all(b.listening.wait(10) for b in bridges)
        sender.points("r1", "p", ["k" * 200] * 100, 5, 9)  # too big for NOTIFY: keys dropped
        sender.run_changed("r1", "p", "finished")
        wait_for(lambda: len(received) == 2)
        assert received[0].data["keys"] is None and received[0].data["seq"] == 9
        assert received[1].data == {"run": "r1", "project": "p", "state": "finished"}
        time.sleep(0.3)
        assert len(received) == 2  # the sender did not hear itself
        bridges[1]._receive("not json")  # a malformed notification is ignored
        assert len(received) == 2
    finally:
        for bridge in bridges:
            bridge.stop()
        stop()
