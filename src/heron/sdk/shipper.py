"""The shipper: a background thread that moves spool records into the backend.

It wakes every ``interval`` seconds (or at once on ``flush``), reads everything new
from the spool, and delivers it as one :class:`Batch` per read, stamped with the
spool position just past it. A failed delivery is retried with exponential backoff
and jitter, forever: nothing is dropped, and the spool keeps growing on disk while
the backend is away. Because the store applies each ``seq`` once, a retry after an
ambiguous failure (say, a timeout after the commit) never duplicates.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from heron.errors import HeronError, RunDeleted, ShippingError
from heron.sdk.spool import (
    SLOT,
    SpoolChunk,
    SpoolIOError,
    SpoolReader,
    delete_segments_before,
    split_pos,
)
from heron.store.base import Batch, Series

if TYPE_CHECKING:
    from heron.sdk.backend import Backend

log = logging.getLogger("heron.shipper")

MAX_BACKOFF = 30.0
# The thread's CPU budget: after a pass that shipped something, the next one waits
# long enough for the pass's CPU time to be at most CPU_SHARE of the wait, between
# ``interval`` and BUSY_FACTOR intervals (10 s by default). A batch's cost is mostly
# fixed (one store transaction of some ten statements, a tail chunk rewritten per key)
# and, run every few seconds after a training step has evicted the caches, several
# times its warm cost; so a run logging fast, a busy machine or a slow store gets
# fewer, larger batches. The records wait in the spool, which survives a crash, and
# flush/finish ship at once. At 1 step/ms a pass costs some 5-8 ms, so the cap
# binds: 10 s (it was 5 s) halves what the passes cost such a run, for a live view
# that lags up to 10 s (TensorBoard's writer flushes every 120 s). The share is half
# the 0.2 % the shipper may use at all: the heartbeat and the prefault take the rest.
CPU_SHARE = 0.001
BUSY_FACTOR = 10.0
# ``before_pass`` (the run's prefault, which also lets the spool mapping go of the
# pages the writer is done with: RSS) runs between passes too, about every
# PREPARE_BYTES of spool the run writes (as fast as the last pass saw it log), but
# at most every PREPARE_INTERVAL: a run logging fast writes megabytes between passes.
PREPARE_BYTES = 1 << 20
PREPARE_INTERVAL = 0.25


def chunk_to_batch(run_id: str, chunk: SpoolChunk) -> Batch:
    metrics = {
        key: Series(steps, times, values) for key, (steps, times, values) in chunk.points.items()
    }
    return Batch(run_id=run_id, seq=chunk.end, metrics=metrics, events=chunk.events)


def deliver(
    backend: Backend,
    batch: Batch,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], object] = time.sleep,
) -> bool:
    """Deliver with retries until it succeeds (True) or ``should_stop()`` (False).

    A refusal of the batch itself (a 4xx-class HeronError) is raised at once:
    retrying cannot help, and the records stay in the spool for ``heron sync``.
    """
    delay = 0.05
    attempt = 0
    while True:
        try:
            backend.ingest(batch)
            return True
        except Exception as exc:  # anything transient is retried; the spool keeps the data
            if isinstance(exc, HeronError) and 400 <= exc.status_code < 500:
                raise
            attempt += 1
            if attempt in (1, 10) or attempt % 100 == 0:
                log.warning(
                    "heron: shipping run %s failed (attempt %d), will retry: %s",
                    batch.run_id,
                    attempt,
                    exc,
                )
        if should_stop():
            return False
        sleep(delay * (0.5 + random.random()))
        delay = min(MAX_BACKOFF, delay * 2)


class Shipper:
    def __init__(
        self,
        run_id: str,
        folder: Path,
        backend: Backend,
        *,
        start: int = 0,
        interval: float = 1.0,
        heartbeat_interval: float = 5.0,
        first_wait: float = 0.0,
    ) -> None:
        self.run_id = run_id
        self.folder = folder
        self.backend = backend
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        # Before the first pass (flush and stop end it): an embedded store is opened by
        # that pass, off the start of the training loop (heron.sdk.backend).
        self.first_wait = first_wait
        self._reader = SpoolReader(folder, start)
        self._acked = start
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._give_up = threading.Event()
        self._retry_now = threading.Event()  # flush/stop cut a retry's backoff short
        self._last_heartbeat = 0.0
        self._done = False  # the thread has ended (set under _cond)
        self.error: BaseException | None = None
        self.deleted = False  # the run was deleted in the store: shipping stopped for good
        self.batches = 0
        self.points = 0
        self._period = interval  # the wait between passes: longer while the run logs fast
        self._due = 0.0  # time.monotonic() of the next pass
        self._rate = 0.0  # spool bytes a second the run wrote, as the last pass saw
        self._last_pass = time.monotonic()
        self._prepared = 0.0  # time.monotonic() of the last prepare
        self._unreadable = 0.0  # while the spool cannot be read (I/O): the wait, growing
        self._deleted_below = -1  # segments before this one are removed (shipped)
        # Called at each pass, first, and every PREPARE_INTERVAL between passes: the
        # run's prefault of its spool pages (Run.prefault)
        self.before_pass: Callable[[], None] | None = None
        self._thread = threading.Thread(
            target=self._main, name=f"heron-shipper-{run_id}", daemon=True
        )

    @property
    def acked(self) -> int:
        return self._acked

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            if self.first_wait > 0:
                self._wake.wait(self.first_wait)
            while True:
                woken = self._wake.wait(self._next_wait())
                self._wake.clear()
                stopping = self._stop.is_set()  # seen before the pass: it ships all
                self._prepare()
                if woken or stopping or time.monotonic() >= self._due:
                    self._ship_available()
                    self._due = time.monotonic() + self._period
                if stopping:
                    return
                self._maybe_heartbeat()
        except RunDeleted as exc:  # not an error of this process: said once, then quiet
            self.deleted = True
            log.warning(
                "heron: run %s was deleted from the store; this process stops shipping it "
                "(what it logs from now on is dropped): %s",
                self.run_id,
                exc.message,
            )
        except BaseException as exc:  # loud: flush() re-raises it in the training thread
            self.error = exc
            log.error("heron: shipper for run %s stopped: %r", self.run_id, exc)
        finally:
            self._reader.close()
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _prepare(self) -> None:
        self._prepared = time.monotonic()
        if self.before_pass is not None:
            try:
                self.before_pass()
            except Exception as exc:  # an optimisation only: shipping goes on
                log.debug("heron: prefault failed: %s", exc)

    def _next_wait(self) -> float:
        until_heartbeat = self._last_heartbeat + self.heartbeat_interval - time.time()
        wait = min(self._due - time.monotonic(), until_heartbeat)
        if self.before_pass is not None and self._rate > 0:  # between passes too
            wait = min(wait, max(PREPARE_INTERVAL, PREPARE_BYTES / self._rate))
        return max(0.0, wait)

    def _maybe_heartbeat(self) -> None:
        now = time.time()
        if now - self._last_heartbeat >= self.heartbeat_interval:
            self._last_heartbeat = now
            try:
                self.backend.heartbeat(self.run_id, now)
            except Exception as exc:
                log.debug("heron: heartbeat failed: %s", exc)

    def _ship_available(self) -> None:
        """Ship what the spool holds now, then return: never chase the writer. A run
        logging every millisecond always has a few new records by the time a batch is
        stored; shipping those at once would keep this thread (and the CPU and GIL
        the training loop needs) busy with batches of a handful of points."""
        started = time.thread_time()
        shipped = False
        records = 0
        try:
            while True:
                if time.monotonic() - self._prepared > PREPARE_INTERVAL:
                    self._prepare()  # a long pass (a backlog): between its batches
                chunk = self._read()
                if chunk is None or chunk.end == chunk.start:
                    return
                shipped = True
                records += chunk.point_count + len(chunk.events)
                if not self._deliver(chunk):
                    return
        finally:
            now = time.monotonic()
            self._rate = records * SLOT / max(now - self._last_pass, 1e-3)
            self._last_pass = now
            self._period = self._unreadable or self.interval
            if shipped:
                wait = (time.thread_time() - started) / CPU_SHARE
                self._period = min(max(self._period, wait), self.interval * BUSY_FACTOR)

    def _read(self) -> SpoolChunk | None:
        """The next chunk of the spool; None while it cannot be read (an I/O error: a
        network mount that went away, a failing disk). Then shipping waits, longer
        each time (up to MAX_BACKOFF; ``flush`` and ``finish`` try at once), says so
        once, and goes on where it stopped once the spool reads again."""
        try:
            chunk = self._reader.read()
        except SpoolIOError as exc:
            if not self._unreadable:
                log.warning("heron: run %s: %s", self.run_id, exc.message)
            self._unreadable = min(MAX_BACKOFF, max(self.interval, 2 * self._unreadable))
            return None
        if self._unreadable:
            self._unreadable = 0.0
            log.warning("heron: run %s: its spool reads again; shipping goes on", self.run_id)
        return chunk

    def _deliver(self, chunk: SpoolChunk) -> bool:
        """Deliver one chunk; True when the spool may hold more right now."""
        batch = chunk_to_batch(self.run_id, chunk)
        if not deliver(self.backend, batch, self._give_up.is_set, self._pause):
            return False
        self.batches += 1
        self.points += batch.point_count
        with self._cond:
            self._acked = chunk.end
            self._cond.notify_all()
        segment, _ = split_pos(chunk.end)
        if segment > self._deleted_below:  # shipped segments: removed once
            delete_segments_before(self.folder, chunk.end)
            self._deleted_below = segment
        # Not full: the rest was logged after we looked, the next wake ships it.
        return chunk.full

    def _pause(self, seconds: float) -> None:
        """A retry's backoff; ``flush`` and ``stop`` end it at once (the store may be
        back: a disk that was full, a server that was down)."""
        self._retry_now.wait(seconds)
        self._retry_now.clear()

    def flush(self, target: int, timeout: float | None = None) -> bool:
        """Block until everything before ``target`` is delivered; False on timeout.

        One wake is enough: the pass it starts reads the spool after ``target`` was
        written. Raises ShippingError when the shipper stopped on an error.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        self._wake.set()
        self._retry_now.set()
        with self._cond:
            while self._acked < target:
                if self.error is not None:
                    raise ShippingError(
                        f"run {self.run_id}'s records could not be shipped: {_said(self.error)}. "
                        f"They are kept in {self.folder}; once the cause is fixed, `heron sync` "
                        "ships them (deleting that folder drops them)"
                    ) from self.error
                if self._done or not self._thread.is_alive():
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                # The thread notifies on every ack and when it ends; the timeout only
                # bounds the wait for ``deadline``.
                self._cond.wait(remaining)
        return True

    def stop(self, timeout: float | None = None) -> None:
        """Ship what is left, then stop. After ``timeout`` give up (the spool keeps it)."""
        self._stop.set()
        self._wake.set()
        self._retry_now.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._give_up.set()
            self._retry_now.set()
            self._thread.join(5.0)


def _said(error: BaseException) -> str:
    return error.message if isinstance(error, HeronError) else repr(error)
