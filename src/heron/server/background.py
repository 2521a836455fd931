"""Background work of a server process: the change poller and the crash reaper.

The poller makes writes that bypass this process visible as live events: a training
script writing the SQLite store directly (``heron ui``), another server process on
SQLite, a ``heron sync``. Every ``interval`` seconds it asks the store for runs changed
since the last poll (an indexed query), with an overlap for clock skew and
transactions that commit after their timestamp, and announces what this process has
not announced already. On PostgreSQL, LISTEN/NOTIFY (``pgbridge``) delivers events of
other servers sooner; the poller still catches direct writers.

The reaper marks ``running`` runs whose heartbeat stopped as crashed (the service's
rule; every change it makes is announced by the service).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from heron.local_dir import LocalDir
from heron.server.events import EventHub
from heron.service import Tracking
from heron.store.base import Store

log = logging.getLogger("heron.server")

OVERLAP_SECONDS = 10.0


class ChangePoller:
    def __init__(self, store: Store, hub: EventHub) -> None:
        self.store = store
        self.hub = hub
        self._since: float | None = None  # store clock; None before the first poll
        self._last_poll = time.monotonic()
        self._seen: dict[str, tuple[float, int]] = {}  # run -> (updated_at, seq) last seen

    def poll_once(self) -> int:
        """One poll; returns how many runs it announced. The first poll only records."""
        started_wall, started = time.time(), time.monotonic()
        first = self._since is None
        since = (started_wall if self._since is None else self._since) - OVERLAP_SECONDS
        announced = 0
        for change in self.store.changed_runs(since):
            previous = self._seen.get(change.id)
            if previous is not None and previous[0] == change.updated_at:
                continue  # seen in an earlier, overlapping poll
            self._seen[change.id] = (change.updated_at, change.ingested_seq)
            if first:
                self.hub.note(change.id, change.ingested_seq, change.state)
                continue
            seq_known, state_known, recent_run_event = self.hub.known(
                change.id, change.ingested_seq, change.state, self._last_poll
            )
            ingested = previous is None or previous[1] != change.ingested_seq
            if ingested and change.ingested_seq >= 0 and not seq_known:
                self.hub.points(
                    change.id, change.project, None, change.last_step, change.ingested_seq
                )
                announced += 1
            # A change that ingested nothing is an edit or a crash: announce unless we did.
            edited = not ingested and not recent_run_event
            if not state_known or edited:
                self.hub.run_changed(change.id, change.project, change.state)
                announced += 1
        self._since = started_wall
        self._last_poll = started
        self._trim()
        return announced

    def _trim(self) -> None:
        """Forget runs not changed within the overlap window (bounded memory)."""
        if len(self._seen) > 50_000 and self._since is not None:
            horizon = self._since - 2 * OVERLAP_SECONDS
            self._seen = {k: v for k, v in self._seen.items() if v[0] >= horizon}


class Reaper:
    """Marks ``running`` runs crashed when their heartbeat is older than ``crash_after``
    (the rule is the service's); on a local store (``heron ui``) a run whose spool
    still has a live writer is quiet, not dead."""

    def __init__(
        self,
        tracking: Tracking,
        crash_after: float,
        spool_root: Path | None = None,
        on_crash: Callable[[], None] | None = None,
    ) -> None:
        self.tracking = tracking
        self.crash_after = crash_after
        self.folder = LocalDir(spool_root.parent) if spool_root is not None else None
        self._on_crash = on_crash

    def _alive(self, run_id: str) -> bool:
        return self.folder is not None and self.folder.writer_alive(run_id)

    def reap_once(self) -> list[str]:
        crashed = self.tracking.reap_stale(self.crash_after, self._alive)
        if self._on_crash is not None:
            for _ in crashed:
                self._on_crash()
        return crashed


async def every(seconds: float, work: Callable[[], object], name: str) -> None:
    """Run sync ``work`` in the threadpool every ``seconds`` until cancelled; a failure
    is logged and retried next time (a database restart must not end live events)."""
    while True:
        try:
            await run_in_threadpool(work)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("heron server: %s failed; retrying in %.0f s", name, seconds)
        await asyncio.sleep(seconds)
