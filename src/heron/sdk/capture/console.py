"""Console capture: what the script prints, tee'd into the run's spool line by line.

While a run is active ``sys.stdout`` and ``sys.stderr`` are wrapped (:class:`Tee`):
every write goes to the real stream first, unchanged, and then into a
:class:`ConsoleCapture` that cuts it into lines. Finished lines become ``console``
events (``heron.store.base``) written into the spool on the caller's thread: the
memory-mapped write every other event costs, no I/O and no thread hop, so a line whose
``print`` returned survives ``kill -9`` like a logged point. A write carrying many
lines makes one event.

Captured: Python-level writes of this process from any thread (``print``,
``sys.stderr.write``, tqdm, ``logging`` handlers that write to these streams) and,
with ``fd=True`` where it is safe (``heron.sdk.capture.fd_tee``, on by default:
``HERON_CAPTURE_CONSOLE_FD``), writes straight to file descriptors 1 and 2 (C
extensions, subprocesses, ``os.write``). Not captured: bytes written to
``sys.stdout.buffer``, and fd-level writes where fd capture is off or unsafe (under
pytest's capture, in a notebook, on Windows).

A ``prefix`` (a rank's ``[rank 1] ``) starts every recorded line; with one, unfinished
lines are recorded only when they end (several processes write one run's console, and
a snapshot is rewritten in place).

Lines. A carriage return restarts the line, so a tqdm bar keeps its last drawing;
``\\r\\n`` ends a line like ``\\n``. An unfinished line waits in memory for its
newline; ``flush()`` records a snapshot of it (``"open"``; at most one per stream every
``snapshot_seconds``, since tqdm flushes at every redraw), which the store overwrites
when the line goes on (``"cont"``). Lines over ``CONSOLE_MAX_LINE_BYTES`` are cut and
marked truncated. After ``max_bytes`` of output the capture stops and says so, in a
last line on stderr and in the run's system record (``system.console``).

Never in the script's way: the real stream is written first and its answer returned;
attributes (``isatty``, ``fileno``, ``encoding``...) are the real stream's; a failure
inside capture turns it off with one warning instead of raising into ``print``. A
write made while capture is busy on the same thread (a signal handler printing in the
middle of a ``print``) reaches the terminal only.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, TextIO

from heron.store.base import CONSOLE_MAX_LINE_BYTES, CONSOLE_STREAMS
from heron.store.events import ConsoleEvent, Event

if TYPE_CHECKING:
    from heron.sdk.capture.fd_tee import FdTee

# Writes one event into the spool; False when it cannot now (kept, sent with the next).
Sink = Callable[[Event], bool]

SNAPSHOT_SECONDS = 0.5
CAP_NOTE = (
    "[heron] console capture stopped: this run printed more than {limit} bytes "
    "(HERON_CONSOLE_MAX_BYTES); later output is not recorded"
)
_now = time.time
log = logging.getLogger("heron.sdk.capture")


def _size(text: str) -> int:
    """UTF-8 bytes of ``text`` (``isascii`` first: the common case needs no encoding)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class _Line:
    """The unfinished line of one stream, and what the store holds of it."""

    __slots__ = ("cr", "parts", "shown", "size", "snapshot", "snapshot_at", "truncated")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0  # UTF-8 bytes in parts
        self.truncated = False
        self.cr = False  # the last write ended with '\r': a '\n' may still follow
        self.shown = False  # an "open" snapshot of this line is in the spool
        self.snapshot = ""  # its text
        self.snapshot_at = -SNAPSHOT_SECONDS

    def add(self, text: str) -> None:
        """Append ``text`` (no '\\n' in it); a '\\r' in it restarts the line."""
        if "\r" in text:
            self.clear()
            text = text[text.rfind("\r") + 1 :]
        if not text or self.truncated:
            return
        size = _size(text)
        room = CONSOLE_MAX_LINE_BYTES - self.size
        if size > room:
            text = text.encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore")
            size = room
            self.truncated = True
        self.parts.append(text)
        self.size += size

    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    def clear(self) -> None:
        self.parts = []
        self.size = 0
        self.truncated = False

    def finish(self) -> tuple[str, bool]:
        """The line's text and whether it was cut; the stream starts a new line."""
        done = (self.text(), self.truncated)
        self.clear()
        return done


class ConsoleCapture:
    """Cuts what is written to stdout and stderr into lines and hands them to ``sink``
    as console events. Thread-safe. ``max_bytes``: output recorded at most (0: no
    limit). :meth:`start` puts the tees in place, :meth:`stop` takes them out."""

    def __init__(
        self,
        sink: Sink,
        max_bytes: int = 0,
        snapshot_seconds: float = SNAPSHOT_SECONDS,
        *,
        prefix: str = "",
        fd: bool = False,
    ) -> None:
        self._sink = _prefixed(sink, prefix) if prefix else sink
        self.max_bytes = max_bytes
        self.snapshot_seconds = math.inf if prefix else snapshot_seconds
        self._fd_wanted = fd
        self._fd: FdTee | None = None
        self.fd_level = False  # fds 1 and 2 captured too (not only Python-level writes)
        self.captured = 0  # bytes recorded (text and newlines)
        self.dropped = 0  # bytes not recorded, past max_bytes
        self.capped = False
        self._noted = False  # the note that capture stopped is written
        self._lines = {stream: _Line() for stream in CONSOLE_STREAMS}
        self._backlog: list[Event] = []
        self._lock = threading.RLock()  # re-entrant: a signal handler may print mid-write
        self._busy = False
        self._failed = False
        self._tees: list[Tee] = []
        self._handlers: list[tuple[logging.StreamHandler[Any], TextIO]] = []

    # --- the streams ----------------------------------------------------------
    def start(self) -> None:
        """Wrap ``sys.stdout`` and ``sys.stderr`` (those that exist) and point logging
        handlers that write to them at the wrappers; with ``fd``, take over fds 1 and 2
        where that is safe (``fd_tee``: Python's writes still go through the tees)."""
        if self._fd_wanted:
            from heron.sdk.capture.fd_tee import open_fd_tee

            self._fd = open_fd_tee(self._from_fd)
        self.fd_level = self._fd is not None
        for stream in CONSOLE_STREAMS:
            real = getattr(sys, stream)
            if real is None:  # pythonw, some daemons
                continue
            tee = Tee(real, self, stream)
            if self._fd is not None:
                tee.expect = self._fd.expecter(stream)
            setattr(sys, stream, tee)
            self._tees.append(tee)
        self._handlers = _repoint_handlers({id(t.real): t for t in self._tees})

    def _from_fd(self, stream: str, text: str) -> None:
        """What reached fd 1 or 2 (the fd tee's reader thread)."""
        self.write(stream, text)
        self.flush(stream)

    def stop(self) -> None:
        """Record what is left (an unfinished line too), then put the real streams back.
        A stream someone replaced after us stays theirs; our tee in it passes through."""
        fd, self._fd = self._fd, None
        if fd is not None:  # first: what reached fds 1 and 2 until now is recorded below
            fd.stop()
        with self._lock:
            self._guarded(self._close)  # skipped inside a write (a signal handler): state is torn
            self._release()

    def abandon(self) -> None:
        """In a forked child: stop capturing without touching any lock (another thread of
        the parent may have held one at the fork) and without recording anything."""
        self._failed = True
        fd, self._fd = self._fd, None
        if fd is not None:
            fd.abandon()
        self._release()

    def _release(self) -> None:
        for handler, real in self._handlers:
            if handler.stream in self._tees:
                handler.stream = real  # no setStream: it would take the handler's lock
        self._handlers = []
        self.fd_level = False
        for tee in self._tees:
            tee.capture = None
            tee.expect = None
            if getattr(sys, tee.name) is tee:
                setattr(sys, tee.name, _unwrap(tee.real))
        self._tees = []

    # --- writes ------------------------------------------------------------------
    def write(self, stream: str, text: str) -> None:
        """Take in what was written to ``stream``. Never raises."""
        if self._failed or not text:
            return
        self._guarded(self._take, stream, text)

    def _take(self, stream: str, text: str) -> None:
        line = self._lines[stream]
        if line.cr or "\n" in text or "\r" in text:
            self._write(stream, line, text)
        else:  # part of a line (print writes its pieces apart): the common case
            line.add(text)

    def flush(self, stream: str) -> None:
        """The script flushed ``stream``: record its unfinished line (rate-limited)."""
        line = self._lines[stream]
        if self._failed or self.capped or not line.parts:
            return
        self._guarded(self._snapshot, stream, line)

    def _guarded(self, work: Callable[..., None], *args: Any) -> None:
        """``work(*args)`` under the lock, unless this thread is inside one already (a
        signal handler printing mid-write: the state is torn); a failure stops
        capture (``_fail``), never raises."""
        with self._lock:
            if self._busy:
                return
            self._busy = True
            try:
                work(*args)
            except Exception as exc:
                self._fail(exc)
            finally:
                self._busy = False

    def _write(self, stream: str, line: _Line, text: str) -> None:
        if line.cr:
            line.cr = False
            if text[0] != "\n":  # the carriage return took effect: the line restarts
                line.clear()
        if text == "\n":  # what ends every print
            self._emit(stream, line, [line.finish()])
            return
        if "\n" not in text:
            if text[-1] == "\r":
                text = text.rstrip("\r")
                line.cr = True
            line.add(text)
            return
        pieces = text.split("\n")
        rest = pieces.pop()
        done = []
        for piece in pieces:
            line.add(piece.rstrip("\r"))  # "\r\n" ends a line like "\n"
            done.append(line.finish())
        if rest.endswith("\r"):
            rest = rest.rstrip("\r")
            line.cr = True
        line.add(rest)
        self._emit(stream, line, done)

    def _snapshot(self, stream: str, line: _Line) -> None:
        text = line.text()
        now = _now()
        if not text or text == line.snapshot or now - line.snapshot_at < self.snapshot_seconds:
            return
        event: ConsoleEvent = {
            "type": "console",
            "stream": _stream(stream),
            "time": now,
            "lines": [text],
            "open": True,
        }
        if line.shown:
            event["cont"] = True
        if line.truncated:
            event["truncated"] = [0]
        self._send(event)
        line.shown, line.snapshot, line.snapshot_at = True, text, now

    def _emit(self, stream: str, line: _Line, done: list[tuple[str, bool]]) -> None:
        """Record finished lines (the first one finishes the stream's snapshot, if any)."""
        size = sum(_size(text) + 1 for text, _ in done)  # UTF-8 bytes and newlines
        if self.capped or (self.max_bytes and self.captured + size > self.max_bytes):
            done = self._within_cap(done)
        else:
            self.captured += size
        if done:
            event: ConsoleEvent = {
                "type": "console",
                "stream": _stream(stream),
                "time": _now(),
                "lines": [text for text, _ in done],
            }
            if line.shown:
                event["cont"] = True
                line.shown, line.snapshot = False, ""
            cut_at = [i for i, (_, cut) in enumerate(done) if cut]
            if cut_at:
                event["truncated"] = cut_at
            self._send(event)
        if self.capped and not self._noted:
            self._noted = True
            self._note_cap()

    def _within_cap(self, done: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
        """The lines that still fit under ``max_bytes``; the rest is counted as dropped."""
        keep = []
        for text, cut in done:
            size = _size(text) + 1
            if self.capped or self.captured + size > self.max_bytes:
                self.capped = True
                self.dropped += size
            else:
                self.captured += size
                keep.append((text, cut))
        return keep

    def _note_cap(self) -> None:
        """Finish every snapshot as it stands (nothing more comes) and say why."""
        now = _now()
        for stream, line in self._lines.items():
            if line.shown:
                self._send(
                    {
                        "type": "console",
                        "stream": _stream(stream),
                        "time": now,
                        "lines": [line.snapshot],
                        "cont": True,
                    }
                )
                line.shown = False
        note = CAP_NOTE.format(limit=self.max_bytes)
        self._send({"type": "console", "stream": "stderr", "time": now, "lines": [note]})

    def _close(self) -> None:
        for stream, line in self._lines.items():
            line.cr = False  # nothing followed it: the line shows as it was
            if line.parts or line.shown:
                self._emit(stream, line, [line.finish()])
        if self.capped:
            self._send(
                {
                    "type": "system",
                    "patch": {
                        "console": {
                            "capped": True,
                            "max_bytes": self.max_bytes,
                            "dropped_bytes": self.dropped,
                        }
                    },
                }
            )
        self._drain()

    # --- the spool ------------------------------------------------------------------
    def _send(self, event: Event) -> None:
        if self._backlog:  # in order: what waits goes first
            self._backlog.append(event)
            self._drain()
        elif not self._sink(event):
            self._backlog.append(event)

    def _drain(self) -> None:
        """Send the backlog in order; what the sink cannot take now waits for the next."""
        sent = 0
        for event in self._backlog:
            if not self._sink(event):
                break
            sent += 1
        del self._backlog[:sent]

    def _fail(self, exc: Exception) -> None:
        self._failed = True  # first: the warning below is written through a tee too
        log.warning(
            "heron: console capture stopped after an error (%s: %s); the run goes on without it",
            type(exc).__name__,
            exc,
        )


class Tee:
    """A text stream that writes to ``real`` and tells ``capture``; everything else
    (``isatty``, ``fileno``, ``encoding``, ``buffer``...) is the real stream's."""

    def __init__(self, real: TextIO, capture: ConsoleCapture, name: str) -> None:
        self.real = real
        self.capture: ConsoleCapture | None = capture
        self.name = name
        self.expect: Callable[[str], None] | None = None  # fd-level capture's (fd_tee)

    def write(self, text: str) -> int:
        expect = self.expect
        if expect is not None and type(text) is str:
            expect(text)  # before its bytes can reach the pipe: recorded here, not there
        written = self.real.write(text)
        capture = self.capture
        if capture is not None and type(text) is str:
            capture.write(self.name, text)
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for text in lines:
            self.write(text)

    def flush(self) -> None:
        self.real.flush()
        capture = self.capture
        if capture is not None:
            capture.flush(self.name)

    def __getattr__(self, name: str) -> Any:
        if name == "real":  # not set yet (copy, unpickling): no endless recursion
            raise AttributeError(name)
        return getattr(self.real, name)

    def __repr__(self) -> str:
        return f"<heron console tee of {self.real!r}>"


def _prefixed(sink: Sink, prefix: str) -> Sink:
    """``sink``, with ``prefix`` before every console line."""

    def write(event: Event) -> bool:
        if event["type"] == "console":
            lines = [prefix + line for line in event["lines"]]
            event = event.copy()
            event["lines"] = lines
        return sink(event)

    return write


def _unwrap(stream: TextIO) -> TextIO:
    """The stream under tees that no longer capture (runs started inside runs)."""
    while isinstance(stream, Tee) and stream.capture is None:
        stream = stream.real
    return stream


def _repoint_handlers(
    tees: dict[int, Tee],
) -> list[tuple[logging.StreamHandler[Any], TextIO]]:
    """Point logging handlers made before the run (``basicConfig`` keeps the sys.stderr
    of its time) at the tees, so their records are captured too; returns what to undo."""
    loggers: list[Any] = [logging.getLogger()]
    loggers += list(logging.Logger.manager.loggerDict.values())
    changed = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            stream = getattr(handler, "stream", None)
            tee = tees.get(id(stream))
            if isinstance(handler, logging.StreamHandler) and tee is not None:
                handler.stream = tee  # no setStream: it would flush and take the lock
                changed.append((handler, tee.real))
    return changed


def _stream(name: str) -> Literal["stdout", "stderr"]:
    return "stderr" if name == "stderr" else "stdout"
