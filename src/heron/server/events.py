"""The in-process event hub behind ``GET /events``: notifications that a run changed.

Publishers (routes, the change poller, the reaper, the PostgreSQL listener) may call
:meth:`EventHub.publish` from any thread; delivery happens on the event loop. Each
subscriber has a bounded queue: a client that reads too slowly is dropped (its stream
ends; EventSource reconnects and refetches), so memory never grows without bound.

Events are ``{"event": "run" | "points" | "console", "data": {...}}``
(docs/rest-api.md). Every event carries ``origin``, this process's random id, when it
goes to other processes (``forward``), so that the PostgreSQL bridge can skip its own
notifications.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

EventKind = str  # "run", "points" or "console"
Forward = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    data: dict[str, Any]

    def matches(self, project: str | None, run: str | None) -> bool:
        if run is not None and self.data.get("run") != run:
            return False
        return project is None or self.data.get("project") == project


@dataclass(eq=False)  # kept in a set: hashed by identity
class Subscription:
    project: str | None
    run: str | None
    queue: asyncio.Queue[Event | None]
    dropped: bool = False


@dataclass
class _Published:
    """What this process already announced about a run (the poller skips it)."""

    seq: int = -1
    state: str | None = None
    run_event_at: float = field(default=-1.0)  # monotonic time of the last "run" event


class EventHub:
    def __init__(self, queue_size: int = 1000, on_drop: Callable[[], None] | None = None) -> None:
        self.origin = secrets.token_hex(8)
        self.queue_size = queue_size
        self._on_drop = on_drop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscriptions: set[Subscription] = set()
        self._forwarders: list[Forward] = []
        self._lock = threading.Lock()
        self._published: dict[str, _Published] = {}
        self._closed = False

    # --- lifecycle ------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._closed = False

    def add_forwarder(self, forward: Forward) -> None:
        """Also hand every locally published event to ``forward`` (PostgreSQL NOTIFY)."""
        self._forwarders.append(forward)

    def close(self) -> None:
        """End every stream (server shutdown). Safe from any thread, also twice."""
        self._closed = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._end_all)

    def _end_all(self) -> None:
        for sub in list(self._subscriptions):
            self._end(sub)

    # --- publishing -----------------------------------------------------------
    def run_changed(self, run: str, project: str, state: str) -> None:
        self.publish(Event("run", {"run": run, "project": project, "state": state}))

    def points(
        self, run: str, project: str, keys: list[str] | None, last_step: int | None, seq: int
    ) -> None:
        data = {"run": run, "project": project, "keys": keys, "last_step": last_step, "seq": seq}
        self.publish(Event("points", data))

    def console(self, run: str, project: str, seq: int) -> None:
        """The run printed lines (a batch brought console events)."""
        self.publish(Event("console", {"run": run, "project": project, "seq": seq}))

    def publish(self, event: Event, *, forward: bool = True) -> None:
        """Deliver ``event`` to matching local subscribers and, unless it came from
        another process already (``forward=False``), to the forwarders."""
        self._record(event)
        if forward:
            for send in self._forwarders:
                send({"origin": self.origin, "event": event.kind, "data": event.data})
        loop = self._loop
        if loop is None or loop.is_closed() or self._closed:
            return
        try:
            loop.call_soon_threadsafe(self._deliver, event)
        except RuntimeError:  # the loop closed meanwhile (shutdown)
            return

    def _record(self, event: Event) -> None:
        run = event.data.get("run")
        if not isinstance(run, str):
            return
        with self._lock:
            seen = self._published.setdefault(run, _Published())
            seq = event.data.get("seq")
            if event.kind in ("points", "console") and isinstance(seq, int):
                seen.seq = max(seen.seq, seq)
            elif event.kind == "run":
                seen.state = event.data.get("state")
                seen.run_event_at = time.monotonic()

    def known(self, run: str, seq: int, state: str, since: float) -> tuple[bool, bool, bool]:
        """For the change poller: whether this process already announced ``seq`` (or
        later) for ``run``, its ``state``, and a "run" event after ``since`` (monotonic)."""
        with self._lock:
            seen = self._published.get(run)
            if seen is None:
                return False, False, False
            return seen.seq >= seq, seen.state == state, seen.run_event_at >= since

    def note(self, run: str, seq: int, state: str) -> None:
        """Record a run's state without announcing it (what the poller sees at start)."""
        with self._lock:
            seen = self._published.setdefault(run, _Published())
            seen.seq = max(seen.seq, seq)
            seen.state = state

    def forget(self, run: str) -> None:
        with self._lock:
            self._published.pop(run, None)

    # --- subscribing (event loop only) -----------------------------------------
    def subscribe(self, project: str | None = None, run: str | None = None) -> Subscription:
        sub = Subscription(project, run, asyncio.Queue(self.queue_size))
        if self._closed:
            sub.queue.put_nowait(None)
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    @property
    def queue_depth(self) -> int:
        return sum(sub.queue.qsize() for sub in list(self._subscriptions))

    def _deliver(self, event: Event) -> None:
        for sub in list(self._subscriptions):
            if sub.dropped or not event.matches(sub.project, sub.run):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.dropped = True
                if self._on_drop is not None:
                    self._on_drop()
                self._end(sub)

    def _end(self, sub: Subscription) -> None:
        """Empty the queue (its memory goes now) and leave the end marker."""
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    async def stream(self, sub: Subscription, ping_seconds: float) -> AsyncIterator[str]:
        """The Server-Sent Events text of one subscription, until it ends."""
        import json

        try:
            yield "retry: 2000\n: connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(sub.queue.get(), ping_seconds)
                except asyncio.TimeoutError:
                    yield ": ping\n\n"
                    continue
                if event is None:
                    return
                payload = json.dumps(event.data, separators=(",", ":"), allow_nan=False)
                yield f"event: {event.kind}\ndata: {payload}\n\n"
        finally:
            self.unsubscribe(sub)
