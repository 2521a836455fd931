"""A run's console output in the ``run_console`` table: ingest of ``console`` events
and reads (the contract is in ``store.base``, module doc "Console").

Line numbers are given here, inside the ingest transaction: the run's next number is
one past its highest, read once per batch, so a batch applied exactly once numbers
its lines the same way whoever ships it. An unfinished line the SDK recorded as a
snapshot (``"open"``) stays the last row of its stream until a ``"cont"`` event
rewrites it, so finding it is one indexed lookup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from heron.errors import InvalidInput
from heron.store import schema as s
from heron.store.base import CONSOLE_MAX_LINE_BYTES, CONSOLE_STREAMS, ConsoleLine, ConsolePage

_c = s.run_console.c


def clean_text(text: object) -> tuple[str, bool]:
    """A line as the store keeps it, and whether it was cut: text only, at most
    ``CONSOLE_MAX_LINE_BYTES`` of UTF-8, no NUL (PostgreSQL text cannot hold it), no
    lone surrogates (not encodable)."""
    if not isinstance(text, str):
        raise InvalidInput(f"a console line must be a string, got {type(text).__name__}")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if text.isascii():
        if len(text) <= CONSOLE_MAX_LINE_BYTES:
            return text, False
        return text[:CONSOLE_MAX_LINE_BYTES], True
    data = text.encode("utf-8", "replace")  # lone surrogates become '?'
    if len(data) <= CONSOLE_MAX_LINE_BYTES:
        return data.decode("utf-8"), False
    return data[:CONSOLE_MAX_LINE_BYTES].decode("utf-8", "ignore"), True


class ConsoleWriter:
    """The console lines one batch adds (and the open lines it rewrites) for one run."""

    def __init__(self, conn: Connection, run_id: str) -> None:
        self.conn = conn
        self.run_id = run_id
        self._next: int | None = None  # the next line number, read on first use
        self._rows: list[dict[str, Any]] = []  # new rows, in line order
        self._rewrites: dict[int, dict[str, Any]] = {}  # line -> new values (rows already stored)
        # stream -> its open line's row (None: it has none), once this batch knows
        self._open: dict[str, dict[str, Any] | None] = {}

    def apply(self, event: Mapping[str, Any]) -> None:
        stream = event["stream"]
        if stream not in CONSOLE_STREAMS:
            raise InvalidInput(f"console stream must be one of {CONSOLE_STREAMS}, got {stream!r}")
        texts = event["lines"]
        if not isinstance(texts, list) or not texts:
            raise InvalidInput("a console event needs a non-empty list of lines")
        at = float(event["time"])
        if not math.isfinite(at):  # SQLite would store NaN as NULL
            raise InvalidInput(f"a console event's time must be a finite number, got {at}")
        cut = {int(i) for i in event.get("truncated") or ()}
        is_open = bool(event.get("open"))
        rows = []
        for i, raw in enumerate(texts):
            text, too_long = clean_text(raw)
            rows.append(
                {
                    "stream": stream,
                    "time": at,
                    "text": text,
                    "truncated": too_long or i in cut,
                    "partial": is_open and i == len(texts) - 1,
                }
            )
        target = self._open_row(stream) if event.get("cont") else None
        if target is not None:  # the first line finishes (or redraws) the open one
            target.update(rows.pop(0))
        for row in rows:
            row["line"] = self._take_number()
            self._rows.append(row)
        last = rows[-1] if rows else target
        self._open[stream] = last if is_open else None

    def _open_row(self, stream: str) -> dict[str, Any] | None:
        """The stream's open line, to be updated in place: a row of this batch, or the
        new values of the stored last row of the stream if that one is partial."""
        if stream in self._open:  # this batch already knows
            return self._open[stream]
        last = self.conn.execute(
            select(_c.line, _c.partial)
            .where(_c.run_id == self.run_id, _c.stream == stream)
            .order_by(_c.line.desc())
            .limit(1)
        ).first()
        if last is None or not last.partial:
            return None
        return self._rewrites.setdefault(int(last.line), {})

    def _take_number(self) -> int:
        if self._next is None:
            top = self.conn.execute(
                select(func.max(_c.line)).where(_c.run_id == self.run_id)
            ).scalar()
            self._next = int(top or 0) + 1
        number = self._next
        self._next += 1
        return number

    def write(self) -> None:
        for line, values in self._rewrites.items():
            if values:
                self.conn.execute(
                    update(s.run_console)
                    .where(_c.run_id == self.run_id, _c.line == line)
                    .values(**values)
                )
        if self._rows:
            self.conn.execute(
                insert(s.run_console), [{"run_id": self.run_id, **row} for row in self._rows]
            )


def read(conn: Connection, run_id: str, after: int, limit: int | None) -> ConsolePage:
    """Lines above ``after`` (at most ``limit``) and the run's line count."""
    if after < 0:
        raise InvalidInput(f"after must be >= 0, got {after}")
    if limit is not None and limit < 0:
        raise InvalidInput(f"limit must be >= 0, got {limit}")
    total = conn.execute(select(func.max(_c.line)).where(_c.run_id == run_id)).scalar()
    lines: list[ConsoleLine] = []
    if limit != 0 and total is not None and after < total:
        query = (
            select(_c.line, _c.stream, _c.time, _c.text, _c.truncated, _c.partial)
            .where(_c.run_id == run_id, _c.line > after)
            .order_by(_c.line)
        )
        if limit is not None:
            query = query.limit(limit)
        lines = [
            ConsoleLine(int(n), stream, float(t), text, bool(cut), bool(partial))
            for n, stream, t, text, cut, partial in conn.execute(query)
        ]
    return ConsolePage(lines, int(total or 0))
