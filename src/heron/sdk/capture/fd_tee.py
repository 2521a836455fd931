"""Console capture at the file-descriptor level: what reaches fds 1 and 2 without going
through ``sys.stdout``/``sys.stderr`` (C and CUDA libraries, ``os.write``,
subprocesses, forked workers).

While a run captures, fds 1 and 2 are pipes read by a small helper process (Python
started with ``-I -S``, stdlib only) that copies every byte, unchanged and in order, to
the original stdout and stderr (the terminal, a log file, the launcher's pipe) and
frames a copy to this process, where a reader thread hands it to
:class:`~heron.sdk.capture.console.ConsoleCapture`. A process rather than a thread,
so the terminal loses nothing when this process dies: on ``kill -9``, ``os._exit`` or
a segfault the helper copies what is left and exits when the last writer is gone
(subprocesses that inherited fd 1 keep it alive until they end). It ignores SIGINT
and SIGTERM for that reason.

Python's own writes take the same path (so the terminal sees every byte of a stream
in the order it was written, whoever wrote it) but are recorded as before, on the
caller's thread by ``sys.stdout``'s tee (so a ``print`` that returned survives
``kill -9``). Not twice: the tee first hands the text it is about to write to
:meth:`FdTee.expecter` (a list append), and the reader skips those bytes when they come
through the pipe; what does not match them is someone else's and is recorded. (Should
another writer's bytes start exactly like Python's pending ones, the two may be told
apart wrongly: the text is recorded once either way, its lines possibly cut
differently.) Python's text is recorded when written, other bytes when they reach the
pipe, so a line's place in the run's log may differ from the terminal's by buffering.

:func:`open_fd_tee` does nothing (None) where this is not safe: not POSIX, ``sys.stdout``
or ``sys.stderr`` not the interpreter's own text streams over fds 1 and 2 (pytest's
capture, a notebook, another run's tee), or an fd that is not a terminal, pipe or
regular file. :meth:`FdTee.stop` puts the original fds back (a run's finish, its
exception or SIGTERM) after everything written before it is recorded.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import io
import logging
import os
import stat
import struct
import subprocess
import sys
import threading
from collections.abc import Callable

log = logging.getLogger("heron.sdk.capture")

FRAME = struct.Struct("<BI")  # stream (1 stdout, 2 stderr, 0 end), length
STREAMS = {1: "stdout", 2: "stderr"}
PIPE_BYTES = 1 << 20
DRAIN_TIMEOUT = 5.0  # most seconds stop() waits for the helper to hand over the rest

# The helper: argv = stdout pipe, stderr pipe, original stdout, original stderr, frames
# pipe, control pipe. A byte (or EOF) on the control pipe: hand over all that is in
# the pipes now, send the end frame and stop framing; keep copying until EOF.
HELPER = r"""
import os, select, signal, struct, sys
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
out_r, err_r, out_t, err_t, frames, ctl = map(int, sys.argv[1:])
src = {out_r: (1, out_t), err_r: (2, err_t)}
poller = select.poll()
for fd in (out_r, err_r, ctl):
    poller.register(fd, select.POLLIN)
head = struct.Struct("<BI")
def put(fd, data):
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except OSError:
            return False
    return True
def frame(kind, data):
    global frames
    if frames is not None and not put(frames, head.pack(kind, len(data)) + data):
        os.close(frames)
        frames = None
def pump(fd):
    data = os.read(fd, 65536)
    if not data:
        poller.unregister(fd)
        del src[fd]
        os.close(fd)
        return False
    kind, term = src[fd]
    put(term, data)
    frame(kind, data)
    return True
def drain():
    global frames
    for fd in list(src):
        os.set_blocking(fd, False)
        try:
            while pump(fd):
                pass
        except BlockingIOError:
            pass
        if fd in src:
            os.set_blocking(fd, True)
    frame(0, b"")
    if frames is not None:
        os.close(frames)
        frames = None
while src:
    for fd, _ in poller.poll():
        if fd == ctl:
            poller.unregister(ctl)
            drain()
        elif fd in src:
            pump(fd)
"""

_lingering: list[subprocess.Popen[bytes]] = []  # helpers not known to have exited


def fd_capture_safe() -> bool:
    """Whether fds 1 and 2 can be taken over here (see the module doc)."""
    if os.name != "posix":
        return False
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if type(stream) is not io.TextIOWrapper:  # pytest's capture, notebooks, tees
            return False
        try:
            if stream.fileno() != fd:
                return False
            mode = os.fstat(fd).st_mode
        except (OSError, ValueError):
            return False
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISREG(mode)):
            return False
    return True


def open_fd_tee(on_text: Callable[[str, str], None]) -> FdTee | None:
    """Take over fds 1 and 2 (``on_text(stream, text)`` gets what reaches them), or
    None where it is not safe or the helper cannot start (capture stays Python-level)."""
    if not fd_capture_safe():
        return None
    try:
        return FdTee(on_text)
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("heron: console capture stays Python-level: %s", exc)
        return None


class FdTee:
    """fds 1 and 2 redirected through the helper process (module doc)."""

    def __init__(self, on_text: Callable[[str, str], None]) -> None:
        self._on_text = on_text
        _reap()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        opened: list[int] = []
        try:
            self._saved = (os.dup(1), os.dup(2))
            opened += self._saved
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            frames_r, frames_w = os.pipe()
            ctl_r, ctl_w = os.pipe()
            opened += [out_r, out_w, err_r, err_w, frames_r, frames_w, ctl_r, ctl_w]
            for fd in (out_w, err_w, frames_w):
                _widen(fd)
            theirs = (out_r, err_r, *self._saved, frames_w, ctl_r)
            self._helper = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", HELPER, *map(str, theirs)],
                pass_fds=theirs,
                stdin=subprocess.DEVNULL,
                stdout=self._saved[0],
                stderr=self._saved[1],
            )
        except BaseException:
            for fd in opened:
                os.close(fd)
            raise
        for fd in (out_r, err_r, frames_w, ctl_r):
            os.close(fd)
        self._frames, self._ctl = frames_r, ctl_w
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.close(out_w)
        os.close(err_w)
        self._stopped = False
        self._ended = threading.Event()
        self._encodings = {
            name: (getattr(sys, name).encoding, getattr(sys, name).errors or "strict")
            for name in STREAMS.values()
        }
        # Python's texts about to be written (appended by the tees: list.append is atomic),
        # encoded and matched on the reader thread, off the caller's path.
        self._pending: dict[str, list[str]] = {name: [] for name in STREAMS.values()}
        self._expected = {name: bytearray() for name in STREAMS.values()}
        self._reader = threading.Thread(target=self._read, name="heron-console-fd", daemon=True)
        self._reader.start()

    def expecter(self, stream: str) -> Callable[[str], None]:
        """What ``stream``'s tee calls with a text it is about to write and records itself
        (so that its bytes, when they come through the pipe, are not recorded again)."""
        return self._pending[stream].append

    def _take_pending(self, stream: str) -> None:
        pending = self._pending[stream]
        texts = pending[:]
        del pending[: len(texts)]  # a text appended meanwhile stays for the next time
        encoding, errors = self._encodings[stream]
        try:
            self._expected[stream] += "".join(texts).encode(encoding, errors)
        except (UnicodeError, LookupError):  # such a write failed: its bytes never came
            for text in texts:
                with contextlib.suppress(UnicodeError, LookupError):
                    self._expected[stream] += text.encode(encoding, errors)

    def _foreign(self, stream: str, data: bytes) -> bytes:
        """What of ``data`` (just read from ``stream``'s pipe) Python did not write."""
        if self._pending[stream]:
            self._take_pending(stream)
        expected = self._expected[stream]
        if not expected:
            return data
        out = bytearray()
        view = memoryview(data)
        i = 0
        while i < len(view):
            n = _common_prefix(view[i:], expected)
            if n:
                del expected[:n]
                i += n
                if not expected:
                    break
                continue
            j = data.find(expected[:1], i + 1)  # someone else's bytes up to there
            j = len(data) if j < 0 else j
            out += view[i:j]
            i = j
        out += view[i:]
        return bytes(out)

    def _read(self) -> None:
        decoders = {kind: codecs.getincrementaldecoder("utf-8")("replace") for kind in STREAMS}
        pending = b""
        try:
            while True:
                chunk = os.read(self._frames, 1 << 16)
                if not chunk:
                    return
                pending += chunk
                while len(pending) >= FRAME.size:
                    kind, size = FRAME.unpack_from(pending)
                    if len(pending) < FRAME.size + size:
                        break
                    data = pending[FRAME.size : FRAME.size + size]
                    pending = pending[FRAME.size + size :]
                    if kind not in STREAMS:
                        return  # the end frame: everything before stop() is here
                    text = decoders[kind].decode(self._foreign(STREAMS[kind], data))
                    if text:
                        self._on_text(STREAMS[kind], text)
        except OSError as exc:
            log.warning("heron: console capture of fds 1 and 2 stopped: %s", exc)
        finally:
            self._ended.set()

    def stop(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Put fds 1 and 2 back, then wait (at most ``timeout`` s) until what was written
        to them before is recorded."""
        if self._stopped:
            return
        self._stopped = True
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
        os.dup2(self._saved[0], 1)
        os.dup2(self._saved[1], 2)
        with contextlib.suppress(OSError):  # else the helper is gone: nothing more comes
            os.write(self._ctl, b"d")
        os.close(self._ctl)
        if not self._ended.wait(timeout):
            log.warning("heron: the console helper did not hand over its last output in time")
        self._reader.join(0.5)
        os.close(self._frames)
        for fd in self._saved:
            os.close(fd)
        self._done_with_helper()

    def abandon(self) -> None:
        """In a forked child: touch nothing (fds 1 and 2 stay the parent's pipes: what
        this child writes there still reaches the terminal and the parent's run)."""
        self._stopped = True

    def _done_with_helper(self) -> None:
        """The helper exits once no process holds the pipes (a subprocess may still write
        through it): reaped later, so that ``finish`` never waits for it."""
        if self._helper.poll() is None:
            _lingering.append(self._helper)


def _widen(fd: int) -> None:
    """Give a pipe room (Linux: up to 1 MiB, the unprivileged limit): a burst of output
    then does not make the writer wait for the reader thread, which waits for the GIL."""
    import fcntl

    size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, size, PIPE_BYTES)


def _common_prefix(data: memoryview, expected: bytearray) -> int:
    """How many bytes ``data`` and ``expected`` share from the start."""
    n = min(len(data), len(expected))
    if data[:n] == expected[:n]:
        return n
    low, high = 0, n - 1  # the first mismatch is at or before high
    while low < high:
        mid = (low + high + 1) // 2
        if data[:mid] == expected[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


@atexit.register
def _reap_at_exit() -> None:
    """Collect the helpers at exit (each has long gone, unless a subprocess outlives us)."""
    for helper in _lingering:
        with contextlib.suppress(subprocess.TimeoutExpired):
            helper.wait(0.1)
    _reap()


def _reap() -> None:
    """Forget helpers whose subprocesses have ended."""
    _lingering[:] = [p for p in _lingering if p.poll() is None]
