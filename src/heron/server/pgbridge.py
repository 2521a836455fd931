"""Live events across server processes on one PostgreSQL database: LISTEN/NOTIFY.

Every event this process publishes is also sent with ``NOTIFY heron_events`` (one
small autocommit connection, reopened after a failure); a thread holds its own
``LISTEN`` connection, reconnecting with backoff, and feeds notifications from other
processes into the local hub. A notification carries its sender's ``origin`` so that
a process skips its own. NOTIFY payloads are limited to 8000 bytes: a points event
whose key list does not fit is sent with ``keys: null`` ("refetch everything").
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

from heron.server.events import Event, EventHub

log = logging.getLogger("heron.server")

CHANNEL = "heron_events"
_MAX_PAYLOAD = 7900
_BACKOFF_MAX = 10.0


def libpq_url(sqlalchemy_url: str) -> str:
    """A libpq connection URI from the store's SQLAlchemy URL (password kept)."""
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PgBridge:
    def __init__(self, store_url: str, hub: EventHub) -> None:
        self.conninfo = libpq_url(store_url)
        self.hub = hub
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._send_conn: Any = None
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while a LISTEN connection is up (tests)

    def start(self) -> None:
        self.hub.add_forwarder(self.send)
        self._thread = threading.Thread(target=self._listen, name="heron-pg-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._send_lock:
            self._close_sender()

    # --- sending --------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """NOTIFY ``message``; a failure is logged, never raised (the local write succeeded,
        other processes' pollers still pick the change up)."""
        payload = _encode(message)
        import psycopg

        with self._send_lock:
            for attempt in (1, 2):  # a connection dropped since the last send: reopen once
                try:
                    if self._send_conn is None or self._send_conn.closed:
                        self._send_conn = psycopg.connect(
                            self.conninfo, autocommit=True, connect_timeout=5
                        )
                    self._send_conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return
                except psycopg.Error as exc:
                    self._close_sender()
                    if attempt == 2:
                        log.warning(
                            "heron server: NOTIFY failed (%s); other servers' pollers "
                            "will still see the change",
                            exc,
                        )

    def _close_sender(self) -> None:
        if self._send_conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail
                self._send_conn.close()
            self._send_conn = None

    # --- listening --------------------------------------------------------------
    def _listen(self) -> None:
        import psycopg

        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._receive(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                if self._stop.is_set():
                    return
                log.warning("heron server: LISTEN connection lost (%s); reconnecting", exc)
                self._stop.wait(delay)
                delay = min(_BACKOFF_MAX, delay * 2)
        self.listening.clear()

    def _receive(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            kind, data = message["event"], message["data"]
            if message.get("origin") == self.hub.origin:
                return
            if kind not in ("run", "points", "console") or not isinstance(data, dict):
                raise ValueError(f"unknown event {kind!r}")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("heron server: ignoring a malformed %s notification: %s", CHANNEL, exc)
            return
        self.hub.publish(Event(kind, data), forward=False)


def _encode(message: dict[str, Any]) -> str:
    payload = json.dumps(message, separators=(",", ":"), allow_nan=False)
    if len(payload.encode()) > _MAX_PAYLOAD and "keys" in message.get("data", {}):
        message = {**message, "data": {**message["data"], "keys": None}}
        payload = json.dumps(message, separators=(",", ":"), allow_nan=False)
    return payload
