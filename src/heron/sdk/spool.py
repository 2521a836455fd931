"""The spool: an append-only, memory-mapped log of everything a run records.

Why: ``run.log`` must cost about a microsecond and lose nothing when the process is
killed. Writing a record is one ``struct.pack_into`` into a shared memory map of a
file. The kernel's page cache owns those pages, so a record that was written
survives ``kill -9`` of the process; a shipper thread (or ``heron sync``) later reads
the records and applies them to the store.

Layout. A run's spool is a folder of segment files ``seg-<n>.bin``, each
preallocated (``posix_fallocate``: no SIGBUS on a full disk mid-write) and made of
32-byte slots. A segment is 16 MiB, or a sixteenth of the disk's free space when that
is less (never under 64 KiB): a nearly full disk gets small segments instead of a
failure (:func:`segment_size`). The last byte of a slot is its *kind*:

- ``SCALAR``: one metric point: value f64, step i64, time f64, key id u32.
- ``VAR``: a header; ``length`` payload bytes follow in the next slots. The payload
  starts with a subtype byte: ``KEY`` (u32 id + utf-8 key name) or ``EVENT`` (JSON).
- ``END``: the segment is full; the records go on in segment n+1.
- ``0``: nothing written (yet).

Commit order: a record's kind byte is written last (``pack_into`` writes fields in
order, kind is the last field; a VAR header is written after its payload). A reader
stops at the first slot of kind 0, so a record torn by ``kill -9`` is never read,
and every record whose write returned is. Each segment starts by re-declaring every
key, so a segment can be read without the ones before it (they are deleted once
shipped).

Positions. ``pos = segment << 32 | byte offset`` grows strictly over a run's life
(a resumed run starts a segment past what the store has), so it serves as the
exactly-once sequence number of a shipped batch.

A full disk (or an I/O error) never reaches the training loop. When the next segment
cannot be made, the writer ends the one on disk and goes on in an anonymous memory
map numbered as the next segment, as large as the last one (the bound on what is kept
in memory); the shipper sees nothing of it yet. It tries the disk again at most once
a second (when the hot path reaches the end of a 128 KiB stretch, or at any event,
``flush`` or ``finish``); once a file can be made the memory segment is written into
it whole and shipping goes on. What does not fit in memory is dropped and counted,
one warning is logged, and once the disk takes records again the run gets a record
of the loss: a console line ``heron: N points dropped: disk full (...)`` and
``system.heron.dropped`` (points, events, reason).

No SIGBUS. A write through a shared file mapping faults (SIGBUS: the process dies,
Python cannot catch it) when the kernel cannot back the page: a file whose blocks
were not really reserved, on a disk that filled; a network or FUSE mount that went
away. So a segment is mapped only when its blocks are reserved (``st_blocks`` after
``posix_fallocate`` covers the whole size; where the filesystem did not honour it,
zeros are written over the file first) on a local filesystem (not NFS, CIFS, FUSE,
9p, Ceph...). Otherwise the segment is written *directly*: the writer appends
into a private anonymous map and copies each record into the file with ``pwrite``
in stretches (and at every event, ``flush`` and ``finish``), where a full disk is an
``OSError`` that puts the writer in memory as above. A stretch is one point while
logging is slow and grows to 1,024 while pushes come within a millisecond of each
other, so a killed process loses at most the points of its last stretch.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import mmap
import os
import re
import shutil
import socket
import stat
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heron.errors import InvalidInput, SpoolError
from heron.local_dir import SPOOL_LOCK
from heron.store.events import Event, check_event

if TYPE_CHECKING:  # the reader imports numpy when it first reads: `init` needs none
    import numpy as np
    import numpy.typing as npt

SLOT = 32
KIND_SCALAR = 1
KIND_VAR = 2
KIND_END = 3
SUB_KEY = 1
SUB_EVENT = 2

SEGMENT_BYTES = 16 * 1024 * 1024  # the most a segment preallocates
MIN_SEGMENT_BYTES = 64 * 1024  # the least (a disk with less free space is full)
FREE_SHARE = 16  # a segment takes at most 1/16 of the free space
SEGMENT_SHIFT = 32
RETRY_SECONDS = 1.0  # while the disk is full: how often the writer tries it again
# How far ahead of the writer the shipper's thread prefaults the segment's pages
PREFAULT_AHEAD = 2 * 1024 * 1024
# The writer's mapping lets go of written pages in steps of this many bytes (RSS)
RELEASE_BYTES = 1024 * 1024
MEMORY_STRETCH = 128 * 1024  # in memory, the hot path returns to rotate() this often
DIRECT_QUICK = 0.001  # direct segments: pushes closer than this take longer stretches
DIRECT_MAX_SLOTS = 1024  # ... of at most this many points (32 KiB)
# Filesystems whose pages a shared mapping cannot rely on (a lost server, a dead FUSE
# daemon: SIGBUS): their segments are written with pwrite (module doc).
UNMAPPABLE_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "afs",
        "ncpfs",
        "virtiofs",
        "fuse",
        "fuseblk",
    }
)

log = logging.getLogger("heron.spool")

SCALAR = struct.Struct("<dqdI3xB")  # value, step, time, key id, padding, kind
VAR_HEADER = struct.Struct("<I27xB")  # payload length, padding, kind
KEY_PREFIX = struct.Struct("<BI")  # subtype, key id
assert SCALAR.size == SLOT and VAR_HEADER.size == SLOT

_SEGMENT_NAME = re.compile(r"^seg-(\d{8})\.bin$")
# One encoder, made once: json.dumps with options builds a new one per call (+0.7 µs).
_encode_json = json.JSONEncoder(allow_nan=True, separators=(",", ":")).encode


def segment_path(folder: Path, number: int) -> Path:
    return folder / f"seg-{number:08d}.bin"


def segment_numbers(folder: Path) -> list[int]:
    """The segments present in a spool folder, in order."""
    numbers = []
    try:
        entries = os.listdir(folder)
    except OSError as exc:
        raise SpoolError(f"cannot list the spool {folder}: {_reason(exc)}") from None
    for entry in entries:
        match = _SEGMENT_NAME.match(entry)
        if match:
            numbers.append(int(match.group(1)))
    return sorted(numbers)


def make_pos(segment: int, offset: int) -> int:
    return (segment << SEGMENT_SHIFT) | offset


def split_pos(pos: int) -> tuple[int, int]:
    return pos >> SEGMENT_SHIFT, pos & ((1 << SEGMENT_SHIFT) - 1)


def _reason(exc: OSError) -> str:
    """An OSError's cause in words ("No space left on device"), without the path."""
    return exc.strerror or str(exc)


def _slots_for(length: int) -> int:
    return -(-length // SLOT)


def _note_holder(fd: int) -> None:
    """Write "<pid> <host>" into a spool's lock file (held): who logs the run."""
    with contextlib.suppress(OSError):  # a full disk: the lock still holds
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)


def _lock_holder(fd: int) -> str:
    """Who holds a spool's lock, as its lock file says: "process 123 on host"."""
    try:
        pid, host = os.pread(fd, 256, 0).decode().split()
    except (OSError, ValueError, UnicodeDecodeError):
        return "another process"
    return f"process {pid} on {host}"


LOCK_WAIT = 2.0  # seconds a new writer waits out a recoverer holding its empty spool


def _take_lock(folder: Path) -> int:
    """Make ``folder`` and take its spool lock; the lock's fd.

    Between making the lock file and taking the lock, a new spool looks dead to a
    recoverer in another process (recovery.py), which may hold the lock for a moment:
    while the spool has no segment the writer waits that out (up to ``LOCK_WAIT``), and
    it keeps the lock only if its file is still the spool's (the lock file it opened
    may have been removed with an abandoned spool's folder). A holder that keeps the
    lock of a spool is a live writer: SpoolError names it.
    """
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        path = folder / SPOOL_LOCK
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            if time.monotonic() < deadline:
                continue  # removed with an abandoned spool between the two calls
            raise SpoolError(f"cannot create the spool {folder}: it keeps vanishing") from None
        except OSError as exc:
            raise SpoolError(
                f"cannot create the spool {folder}: {_reason(exc)}. Check that the folder "
                "is writable and its disk has space (HERON_DIR, or dir= in heron.init)"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() < deadline and not _has_segments(folder):
                os.close(fd)
                time.sleep(0.01)
                continue
            holder = _lock_holder(fd)
            os.close(fd)
            raise SpoolError(
                f"run {folder.name} is being logged by {holder} (it holds the lock of the "
                f"spool {folder}); finish it there, or wait until it ends"
            ) from None
        try:
            ours = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            ours = False
        if ours:
            return fd
        os.close(fd)  # the folder went with an abandoned spool: make it again


def _has_segments(folder: Path) -> bool:
    try:
        return bool(segment_numbers(folder))
    except SpoolError:
        return True  # unreadable: not a spool being started


def segment_size(folder: Path, largest: int | None = None) -> int:
    """Bytes to preallocate for a new segment in ``folder``: ``largest`` (default
    ``SEGMENT_BYTES``, 16 MiB), or a sixteenth of the free space when that is less,
    but never under ``MIN_SEGMENT_BYTES`` (64 KiB), whole slots."""
    largest = SEGMENT_BYTES if largest is None else largest
    try:
        info = os.statvfs(folder)
        free = info.f_bavail * info.f_frsize
    except OSError:
        return largest
    size = min(largest, max(MIN_SEGMENT_BYTES, free // FREE_SHARE))
    return max(2 * SLOT, size - size % SLOT)


def _filesystem_type(folder: Path) -> str | None:
    """The type of the filesystem holding ``folder`` ("ext4", "nfs4", "fuse.sshfs"),
    from /proc/self/mountinfo; None when it cannot be told."""
    try:
        path = os.path.realpath(folder)
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
            lines = table.readlines()
    except OSError:
        return None
    best, kind = -1, None
    for line in lines:
        fields = line.split()
        try:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            fstype = fields[fields.index("-", 6) + 1]
        except (IndexError, ValueError):
            continue
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best:  # the deepest; of equals, the last mounted
            best, kind = len(point), fstype
    return kind


def _unmappable(folder: Path) -> str | None:
    """Why segments in ``folder`` must not be written through a mapping, or None."""
    kind = _filesystem_type(folder)
    if kind is not None and (kind in UNMAPPABLE_FILESYSTEMS or kind.startswith("fuse.")):
        return f"a {kind} filesystem"
    return None


def _unreserved(fd: int, size: int) -> str | None:
    """Why the file's blocks are not all reserved (its filesystem did not honour
    ``posix_fallocate``: a write to a page of it may find the disk full), or None."""
    reserved = os.fstat(fd).st_blocks * 512
    if reserved < size:
        return f"its preallocation reserved {reserved:,} of {size:,} bytes"
    return None


def _reserve(fd: int, size: int) -> str | None:
    """Reserve the blocks of a new segment file: ``posix_fallocate``, and where the
    filesystem did not honour it, zeros written over the file (OSError when the disk
    is full). Why the blocks are still not reserved (a filesystem that keeps zeros as
    holes), or None."""
    os.posix_fallocate(fd, 0, size)
    if _unreserved(fd, size) is None:
        return None
    zeros = bytes(min(size, 1 << 20))
    for offset in range(0, size, len(zeros)):
        _pwrite_all(fd, zeros[: size - offset], offset)
    return _unreserved(fd, size)


def _pwrite_all(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _loss_reason(exc: OSError | None) -> str:
    if exc is None:
        return "disk full"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full ({_reason(exc)})"
    return f"spool not writable ({_reason(exc)})"


class SpoolWriter:
    """Appends records to a run's spool. One writer per spool, held by a file lock.

    Not thread-safe by itself: ``Run`` serialises calls with its own lock. The hot
    path (``Run.log``) reads ``mm``, ``off`` and ``end`` directly and packs SCALAR
    records itself, calling :meth:`rotate` when ``off`` reaches ``end - SLOT``;
    everything else goes through methods.

    Only the constructor raises for the disk (SpoolError: the first segment cannot be
    made). Afterwards a full disk puts the writer ``in_memory`` (module doc) and what
    does not fit is counted in ``dropped_points`` / ``dropped_events``.
    """

    def __init__(
        self, folder: Path, first_segment: int = 0, segment_bytes: int | None = None
    ) -> None:
        self.folder = folder
        self._lock_fd = _take_lock(folder)
        _note_holder(self._lock_fd)
        try:
            shipped_first = bool(segment_numbers(folder))
        except SpoolError:
            os.close(self._lock_fd)
            raise
        if shipped_first:
            os.close(self._lock_fd)
            raise SpoolError(
                f"spool {folder} holds unshipped records: recover it first (heron sync ships them)"
            )
        self._fixed_size = segment_bytes  # None: adapt to the free space
        self.segment = first_segment
        self.segment_bytes = segment_bytes or segment_size(folder)
        self.keys: dict[str, int] = {}
        # A direct segment (module doc): its open file, how much of it is written, and
        # whether its END is in ``mm`` (then nothing more goes into it).
        self._unmappable = _unmappable(folder)
        self._told_direct = False
        # (segment, bytes prefaulted, bytes released): prefault_range()
        self._prefaulted = (first_segment, 0, 0)
        self._fd: int | None = None
        self._pushed = 0
        self._ended = False
        self._stretch = 1  # points a direct segment takes before the next push
        self._pushed_at = 0.0
        try:
            self.mm, self._fd = self._open_segment(self.segment, self.segment_bytes)
        except BaseException:
            # Nothing was written: the spool goes (recovery leaves a spool without
            # a segment to its writer for a while, as one that is starting).
            shutil.rmtree(folder, ignore_errors=True)
            os.close(self._lock_fd)
            raise
        self.off = 0
        self.size = self.segment_bytes  # of the current segment (``end`` is less in memory)
        self.end = self.segment_bytes if self._fd is None else self._direct_end()
        # A full disk: the current segment is an anonymous map, not yet a file.
        self.in_memory = False
        self.problem: OSError | None = None  # why (the last failure)
        self.dropped_points = 0
        self.dropped_events = 0
        self._reported = (0, 0)  # dropped (points, events) the run has a record of
        self._tried = 0.0  # monotonic time of the last try of the disk

    # -- segments -----------------------------------------------------------
    def _next_size(self) -> int:
        if self._fixed_size is not None:
            return self._fixed_size
        return segment_size(self.folder)

    def _open_segment(
        self, number: int, size: int, content: bytes = b""
    ) -> tuple[mmap.mmap, int | None]:
        """Create segment ``number`` of ``size`` bytes (starting with ``content``) and
        map it: (the mapping, None). Where a mapping could fault (module doc: blocks
        not reserved, a network filesystem), a direct segment: (an anonymous map
        holding ``content``, the open file to pwrite into). SpoolError (its
        ``__cause__`` the OSError) when the disk refuses."""
        final = segment_path(self.folder, number)
        temp = final.with_suffix(".tmp")
        try:
            fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            direct: mmap.mmap | None = None
            keep = False  # the fd goes with a direct segment
            try:
                why = _reserve(fd, size) or self._unmappable
                if content:
                    _pwrite_all(fd, content, 0)
                if why is not None:
                    direct = mmap.mmap(-1, size)
                    direct[: len(content)] = content
                # Publish only a fully sized file: a reader never maps a short one.
                os.replace(temp, final)
                if direct is None:
                    prot = mmap.PROT_READ | mmap.PROT_WRITE
                    return mmap.mmap(fd, size, mmap.MAP_SHARED, prot), None
                if not self._told_direct:
                    self._told_direct = True
                    log.info("heron: the spool %s is written with pwrite: %s", self.folder, why)
                keep = True
                return direct, fd
            finally:
                if not keep:
                    os.close(fd)
        except OSError as exc:
            self.problem = exc
            temp.unlink(missing_ok=True)
            raise SpoolError(
                f"cannot create spool segment {final} ({size:,} bytes): {_reason(exc)}. "
                "Free some space (or point HERON_DIR at a larger disk with space); what was "
                f"logged before is kept in {self.folder} and ships when the run ends or "
                "with heron sync"
            ) from exc

    def rotate(self, need: int = SLOT) -> bool:
        """Make room for ``need`` bytes (and the END slot after them): end this segment
        and start the next, on disk or, while the disk refuses, in memory. False when
        there is no room (memory full too): the caller drops its record and counts it.
        Never raises for the disk."""
        if self.in_memory:
            if self._try_disk():
                return self._room(need) or self.rotate(need)
            if self.end < self.size and not self._ended:  # the next stretch in memory
                self.end = min(self.size, self.end + MEMORY_STRETCH)
                return self._room(need) or self.rotate(need)
            return False
        if self._fd is not None:  # a direct segment: into the file with what came
            if not self._ended and self.off + need + SLOT <= self.size:
                if not self._push():
                    return self.rotate(need)  # in memory now
                self._adapt_stretch()
                room = max(need, self._stretch * SLOT) + SLOT
                self.end = min(self.size, self.off + room)  # the hot path comes back then
                return True
            if not self._ended:  # full: ended in the file before the next one starts
                VAR_HEADER.pack_into(self.mm, self.off, 0, KIND_END)
                self._ended = True
            if not self._push(self.off + SLOT):
                return self.rotate(need)
        size = max(self._next_size(), need + SLOT * (len(self.keys) * 10 + 8))
        fd: int | None = None
        try:
            following, fd = self._open_segment(self.segment + 1, size)
        except SpoolError:
            following = self._start_memory(need)
        else:
            self.segment_bytes = size
        self._switch(following, fd)
        if self.in_memory:
            self.end = min(self.size, MEMORY_STRETCH)
        for key, key_id in self.keys.items():  # self-contained segments
            self._write_var(KEY_PREFIX.pack(SUB_KEY, key_id) + key.encode())
        return self._room(need) or self.rotate(need)

    def _room(self, need: int) -> bool:
        return self.off + need <= self.end - SLOT

    def _switch(self, following: mmap.mmap, fd: int | None) -> None:
        if self.off < self.size and not self._ended:
            VAR_HEADER.pack_into(self.mm, self.off, 0, KIND_END)
        self.mm.close()
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._pushed, self._ended = fd, 0, False
        self.segment += 1
        self.mm = following
        self.off = 0
        self.size = self.end = len(following)
        if fd is not None:
            self.end = self._direct_end()

    def _adapt_stretch(self) -> None:
        """A direct segment's points go into the file in stretches: one point while
        logging is slow, up to ``DIRECT_MAX_SLOTS`` while pushes come less than
        ``DIRECT_QUICK`` seconds apart (a syscall per point would cost ~30 µs)."""
        now = time.monotonic()
        if now - self._pushed_at < DIRECT_QUICK:
            self._stretch = min(2 * self._stretch, DIRECT_MAX_SLOTS)
        else:
            self._stretch = max(1, self._stretch // 2)
        self._pushed_at = now

    def _direct_end(self) -> int:
        """A direct segment's ``end``: room for one point, so that the hot path comes
        back to :meth:`rotate` (and the point before goes into the file) at the next."""
        return self.off + SLOT if self._ended else min(self.size, self.off + 2 * SLOT)

    def _push(self, upto: int | None = None) -> bool:
        """A direct segment: write the records not yet in its file there, the first
        one's kind byte last (a reader never sees a record before its bytes). False
        when the disk refuses: the records wait in memory (``in_memory``)."""
        assert self._fd is not None
        upto = self.off if upto is None else upto
        start = self._pushed
        if upto <= start:
            return True
        data = bytearray(self.mm[start:upto])
        kind = data[SLOT - 1]
        data[SLOT - 1] = 0
        try:
            _pwrite_all(self._fd, data, start)
            _pwrite_all(self._fd, bytes([kind]), start + SLOT - 1)
        except OSError as exc:
            self.problem = exc
            if not self.in_memory:
                self.in_memory = True
                self._tried = time.monotonic()
                self._warn_memory(self.size - start)
            return False
        self._pushed = upto
        return True

    def _start_memory(self, need: int) -> mmap.mmap:
        """The next segment, in memory: as large as the last one on disk."""
        self.in_memory = True
        self._tried = time.monotonic()
        size = max(self.segment_bytes, need + SLOT * (len(self.keys) * 10 + 8))
        self._warn_memory(size)
        return mmap.mmap(-1, size)

    def _warn_memory(self, size: int) -> None:
        log.warning(
            "heron: cannot write the spool %s: %s. Logging goes on; up to %s MiB of "
            "records wait in memory and the disk is tried again every %gs; beyond that "
            "they are dropped, counted and noted in the run. Free some space on that disk.",
            self.folder,
            _loss_reason(self.problem),
            f"{size / 2**20:.1f}",
            RETRY_SECONDS,
        )

    def _try_disk(self, force: bool = False) -> bool:
        """In memory: write the memory segment into its file and go on there (True).
        At most once per ``RETRY_SECONDS`` unless ``force``."""
        now = time.monotonic()
        if not force and now - self._tried < RETRY_SECONDS:
            return False
        self._tried = now
        if self._fd is not None:  # a direct segment: its file is there
            if not self._push(self.off + SLOT if self._ended else self.off):
                return False
            self.end = self._direct_end()
        else:
            try:
                on_disk, fd = self._open_segment(self.segment, self.size, self.mm[: self.off])
            except SpoolError:
                return False
            self.mm.close()
            self.mm = on_disk
            self._fd, self._pushed = fd, self.off
            self.end = self.size if fd is None else self._direct_end()
        self.in_memory = False
        log.warning("heron: the spool %s is written again", self.folder)
        self._note_loss()
        return True

    def retry(self) -> bool:
        """Try the disk now (``flush``, ``finish``): True when nothing waits in memory."""
        if self._fd is not None and not self.in_memory:
            self._push()
        return not self.in_memory or self._try_disk(force=True)

    def _note_loss(self) -> None:
        """Record what was dropped since the last note (console line + system record)."""
        points = self.dropped_points - self._reported[0]
        events = self.dropped_events - self._reported[1]
        if not points and not events:
            return
        self._reported = (self.dropped_points, self.dropped_events)
        reason = _loss_reason(self.problem)
        said = f"{points:,} points" + (f" and {events:,} other records" if events else "")
        now = time.time()
        self.write_event(
            {
                "type": "console",
                "stream": "stderr",
                "time": now,
                "lines": [f"heron: {said} dropped: {reason}"],
            }
        )
        self.write_event(
            {
                "type": "system",
                "patch": {
                    "heron": {
                        "dropped": {
                            "points": self.dropped_points,
                            "events": self.dropped_events,
                            "reason": reason,
                            "at": now,
                        }
                    }
                },
            }
        )

    def prefault_range(self) -> tuple[int, int] | None:
        """(address, length) of the pages of the mapped segment that the writer
        reaches next (up to ``PREFAULT_AHEAD`` bytes past ``off``) and that were not
        prefaulted yet; None when there are none, or the segment is not a file mapping.
        Called under the run's lock; :func:`prefault` then runs without any lock."""
        if self.in_memory or self._fd is not None or self.mm.closed:
            return None
        if self._prefaulted[0] != self.segment:
            self._prefaulted = (self.segment, 0, 0)
        page = mmap.PAGESIZE
        released = self._release_written()
        start = max(self.off & ~(page - 1), self._prefaulted[1])
        stop = min(self.size, -(-(self.off + PREFAULT_AHEAD) // page) * page)
        if stop <= start:
            return None
        import ctypes

        base = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))  # the export ends here
        self._prefaulted = (self.segment, stop, released)
        return base + start, stop - start

    def _release_written(self) -> int:
        """Let the mapping go of the pages the writer is done with (all but the page
        it writes in), from ``RELEASE_BYTES`` of them on: ``MADV_DONTNEED`` on a shared
        file mapping drops only the process's page-table entries; the records stay in
        the page cache (dirty pages are written to the file as before), and a reader
        reads them with ``pread``. Without it a segment's written pages count in the
        process's RSS until the segment is unmapped (up to 16 MiB). Under the run's
        lock, so the mapping is this segment's. Returns the bytes released so far."""
        done = (self.off & ~(mmap.PAGESIZE - 1)) - mmap.PAGESIZE
        released = self._prefaulted[2]
        if done - released >= RELEASE_BYTES:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self.mm.madvise(mmap.MADV_DONTNEED, released, done - released)
                released = done
            self._prefaulted = (self.segment, self._prefaulted[1], released)
        return released

    @property
    def pos(self) -> int:
        """Position just past the last record written."""
        return make_pos(self.segment, self.off)

    # -- records ------------------------------------------------------------
    def _write_var(self, payload: bytes) -> None:
        need = SLOT + _slots_for(len(payload)) * SLOT
        if self.in_memory and self._try_disk():
            pass  # back on disk (and the loss noted)
        # Keep one slot free for END, so a reader always finds where a segment stops.
        if self.off + need > self.end - SLOT and not self.rotate(need):
            self.dropped_events += 1
            return
        start = self.off
        self.mm[start + SLOT : start + SLOT + len(payload)] = payload
        VAR_HEADER.pack_into(self.mm, start, len(payload), KIND_VAR)  # commit last
        self.off = start + need
        if self._fd is not None and not self.in_memory:
            self._push()

    def declare_key(self, key: str) -> int:
        """The new key's id; -1 when its declaration was dropped (no room: the point
        is dropped too, and the next point of the key declares it again)."""
        key_id = len(self.keys)
        self.keys[key] = key_id
        dropped = self.dropped_events
        self._write_var(KEY_PREFIX.pack(SUB_KEY, key_id) + key.encode())
        if self.dropped_events != dropped:
            self.dropped_events = dropped  # counted as the point it was for
            del self.keys[key]
            return -1
        return key_id

    def write_event(self, event: Event) -> None:
        payload = _encode_json(event).encode()
        self._write_var(bytes([SUB_EVENT]) + payload)

    def write_scalar(self, key_id: int, step: int, time: float, value: float) -> None:
        """The slow-path twin of ``Run.log``'s inlined pack (used by the system sampler)."""
        if key_id < 0 or (self.off >= self.end - SLOT and not self.rotate()):
            self.dropped_points += 1
            return
        SCALAR.pack_into(self.mm, self.off, value, step, time, key_id, KIND_SCALAR)
        self.off += SLOT

    def sync(self) -> None:
        """Ask the kernel to write dirty pages to disk (survives power loss, not only kill)."""
        if self.in_memory:
            return
        if self._fd is None:
            self.mm.flush()
        elif self._push():
            with contextlib.suppress(OSError):  # an I/O error: the page cache still has it
                os.fdatasync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            if not self.in_memory:
                self._push()
            os.close(self._fd)
            self._fd = None
        if not self.mm.closed:
            self.mm.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = -1


@dataclass
class SpoolChunk:
    """What one read returned: points grouped by key in log order, events in order."""

    start: int
    end: int  # position just past the last record read
    points: dict[
        str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    ] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    full: bool = False  # the read stopped at its record budget: more is there already

    @property
    def point_count(self) -> int:
        return sum(len(p[0]) for p in self.points.values())


class _Corrupt(Exception):
    """A record at ``offset`` of the open segment that no writer could have made."""

    def __init__(self, offset: int, problem: str) -> None:
        super().__init__(problem)
        self.offset = offset
        self.problem = problem


class SpoolIOError(SpoolError):
    """A spool segment could not be read *now*: an I/O error (a network or FUSE mount
    that went away, a failing disk). Nothing is lost or skipped: the reader stays at
    its position and the next read tries again (the shipper waits, warns once)."""


# A read looks at the file in windows of 32 KiB, doubling up to 256 KiB: bounds the
# memory of a read, and the bytes copied past what the writer has committed (a read
# at the writer's heels finds a few records).
_FIRST_WINDOW_SLOTS = 1 << 10
_WINDOW_SLOTS = 1 << 13


class SpoolReader:
    """Reads a run's spool from a position on. Safe to use while a writer appends.

    Segments are read with ``pread``, never mapped: a read of a file whose mount went
    away (NFS, FUSE) or that was truncated is an ``OSError`` (:class:`SpoolIOError`,
    tried again at the next read) instead of a SIGBUS, and the reader holds no
    mapped pages (RSS). Each stretch is read twice, the kind bytes from the first
    copy and everything else from the second: a record whose kind byte was in the
    first copy was wholly written before the second began (the writer writes a
    record's kind byte last), so a record being written during a copy is never read
    half-done. That is the order a reader through a mapping gets for free; the
    second copy costs about as much as mapping the pages would.
    """

    def __init__(self, folder: Path, start: int = 0) -> None:
        self.folder = folder
        self.pos = start
        self._segment = -1
        self._fd = -1
        self._size = 0  # of the open segment, as it was opened
        self._keys: dict[int, str] = {}
        self._scanned = 0  # bytes of the open segment already scanned for key names
        self._walked = 0  # the offset a read has collected up to in the open segment
        self._error: SpoolError | None = None  # met at the position: raised by read()

    def _open(self, segment: int) -> bool:
        """Open segment ``segment``; False when it does not exist (yet, or any more)."""
        self.close()
        path = segment_path(self.folder, segment)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._io_error(path, exc) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self._unreadable(path, "it is not a file")
            if info.st_size < 2 * SLOT or info.st_size % SLOT:
                # Segments are created whole (fallocate, then renamed into place).
                raise self._unreadable(path, f"it was truncated to {info.st_size:,} bytes")
        except OSError as exc:
            os.close(fd)
            raise self._io_error(path, exc) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._size, self._segment = fd, info.st_size, segment
        self._keys = {}
        self._scanned = 0
        return True

    def _locate(self) -> bool:
        """Open the segment holding ``self.pos``; skip to the next one past an END."""
        segment, _ = split_pos(self.pos)
        if segment != self._segment and not self._open(segment):
            later = [n for n in segment_numbers(self.folder) if n > segment]
            if not later:
                return False  # not written yet
            # Segments are created in order, so with a later one present, ours is
            # either new since our first look (open it) or deleted after shipping.
            if self._open(segment):
                return True
            if not self._open(later[0]):
                return False
            self.pos = make_pos(later[0], 0)
        return True

    def read(self, max_records: int = 1 << 16) -> SpoolChunk:
        """Read up to about ``max_records`` records from ``self.pos`` and advance it.

        At a corrupt record the read stops: what came before it is returned, and the
        next read (or this one, when nothing came before) raises SpoolError. The
        position stays at the corrupt record, so nothing after it is ever skipped
        silently. An I/O error (:class:`SpoolIOError`) is the same, except that it
        is not kept: the next read tries the file again.
        """
        if self._error is not None:
            raise self._error
        chunk = SpoolChunk(self.pos, self.pos)
        parts: dict[str, list[npt.NDArray[Any]]] = {}  # by key name
        budget = max_records
        failed: SpoolError | None = None
        segment = -1
        try:
            while budget > 0 and self._locate():
                segment, offset = split_pos(self.pos)
                self._walked = offset
                if self._scanned < offset:  # learn key names declared before our start
                    self._walk(self._scanned, offset, None, None)
                new_offset, budget, at_end = self._walk(offset, self._size, parts, chunk, budget)
                self.pos = make_pos(segment, new_offset)
                if at_end:
                    self.pos = make_pos(segment + 1, 0)
                    continue
                break
        except _Corrupt as exc:  # before our start (a key declaration): pos stays
            self.pos = max(self.pos, make_pos(self._segment, exc.offset))
            self._error = self._unreadable(
                segment_path(self.folder, self._segment),
                f"the record at byte {exc.offset:,} is corrupt: {exc.problem}",
            )
            failed = self._error
        except SpoolIOError as exc:  # pos: past what was collected; read again later
            if segment >= 0:
                self.pos = max(self.pos, make_pos(segment, self._walked))
            self.close()
            failed = exc
        except SpoolError as exc:
            self._error = failed = exc
        chunk.end = self.pos
        if failed is not None and chunk.end == chunk.start:
            raise failed
        chunk.full = budget <= 0
        if parts:
            import numpy as np

            def column(arrays: list[npt.NDArray[Any]], name: str) -> npt.NDArray[Any]:
                if len(arrays) == 1:
                    return np.ascontiguousarray(arrays[0][name])
                return np.concatenate([records[name] for records in arrays])

            for key, arrays in parts.items():
                chunk.points[key] = (
                    column(arrays, "step"),
                    column(arrays, "time"),
                    column(arrays, "value"),
                )
        return chunk

    def _pread(self, offset: int, length: int) -> bytes:
        """``length`` bytes of the open segment at ``offset``."""
        data = b""
        try:
            while len(data) < length:
                more = os.pread(self._fd, length - len(data), offset + len(data))
                if not more:  # the file is shorter than when it was opened
                    size = os.fstat(self._fd).st_size
                    raise self._unreadable(
                        segment_path(self.folder, self._segment),
                        f"it was truncated to {size:,} bytes while it was read",
                    )
                data = more if not data else data + more
        except OSError as exc:
            raise self._io_error(segment_path(self.folder, self._segment), exc) from None
        return data

    def _walk(
        self,
        offset: int,
        limit: int,
        parts: dict[str, list[npt.NDArray[Any]]] | None,
        chunk: SpoolChunk | None,
        budget: int = 1 << 62,
    ) -> tuple[int, int, bool]:
        """Scan records in [offset, limit); collect them unless ``parts`` is None.

        Returns (offset reached, budget left, whether an END was met). Raises
        ``_Corrupt`` at the first record that cannot be a writer's, once the records
        before it are collected.
        """
        import numpy as np

        window = _FIRST_WINDOW_SLOTS
        while offset < limit and budget > 0:
            length = min(limit - offset, window * SLOT)
            window = min(2 * window, _WINDOW_SLOTS)
            # Kinds from a first copy, the records from a second (class doc).
            kinds = np.frombuffer(self._pread(offset, length), np.uint8)[SLOT - 1 :: SLOT]
            data = self._pread(offset, length)
            slots = len(kinds)
            nonscalar = np.flatnonzero(kinds != KIND_SCALAR).tolist()
            nonscalar.append(slots)  # the window's end
            base, at = offset, 0  # slot index in the window
            for index in nonscalar:
                if index < at:
                    continue  # inside a VAR record's payload
                run = min(index - at, budget)
                if run:
                    if parts is not None:
                        self._collect(data, base, at * SLOT, run, parts)
                    at += run
                    budget -= run
                    offset = self._walked = base + at * SLOT
                if at < index or index == slots or budget <= 0:
                    break  # budget spent, or the window's end: read the next one
                kind = int(kinds[index])
                if kind == 0:
                    self._scanned = max(self._scanned, offset)
                    return offset, budget, False
                if kind == KIND_END:
                    self._scanned = max(self._scanned, offset)
                    return offset, budget, True
                if kind != KIND_VAR:
                    raise _Corrupt(offset, f"unknown record kind {kind}")
                offset = self._walked = self._var(offset, data, base, chunk)
                budget -= 1
                at = (offset - base) // SLOT
                if at >= slots:
                    break  # the payload went past the window
        self._scanned = max(self._scanned, offset)
        if parts is not None and budget > 0 and offset >= self._size:
            # A writer always leaves the last slot for END: the file lost its end.
            raise _Corrupt(offset, "the segment ends without its end marker (truncated)")
        return offset, budget, False

    def _collect(
        self,
        data: bytes,
        base: int,
        at: int,
        count: int,
        parts: dict[str, list[npt.NDArray[Any]]],
    ) -> None:
        """Group ``count`` SCALAR records at byte ``at`` of ``data`` (the segment's
        bytes from ``base`` on) by key name into ``parts`` (views of ``data``: copied
        once, into the chunk's columns)."""
        import numpy as np

        records = np.frombuffer(data, dtype=_record_dtype(), count=count, offset=at)
        keys = records["key"]
        first = int(keys[0])
        same = keys == first
        if first in self._keys and bool(same.all()):
            parts.setdefault(self._keys[first], []).append(records)  # one key: the common case
            return
        # The same keys in the same order at every call (a training loop's log): the
        # first key's next record ends the cycle, and every period-th record is one
        # key's.
        repeats = np.flatnonzero(same[1:])
        period = int(repeats[0]) + 1 if len(repeats) else count
        cycle = keys[:period].tolist()
        if (
            count >= 2 * period
            and len(set(cycle)) == period
            and all(key_id in self._keys for key_id in cycle)
            and bool((keys[period:] == keys[:-period]).all())
        ):
            for index, key_id in enumerate(cycle):
                parts.setdefault(self._keys[key_id], []).append(records[index::period])
            return
        ordered = np.sort(keys)  # np.unique would import numpy.ma (8 ms, once)
        key_ids = ordered[np.flatnonzero(ordered[1:] != ordered[:-1]) + 1].tolist()
        key_ids.insert(0, int(ordered[0]))
        unknown = [key_id for key_id in key_ids if key_id not in self._keys]
        if unknown:  # keep what precedes the first bad record, then stop there
            listed, missing = keys.tolist(), set(unknown)
            bad = next(i for i, key_id in enumerate(listed) if key_id in missing)
            if bad:
                self._collect(data, base, at, bad, parts)
            raise _Corrupt(base + at + bad * SLOT, f"it names undeclared key id {listed[bad]}")
        for key_id in key_ids:
            parts.setdefault(self._keys[key_id], []).append(records[keys == key_id])

    def _var(self, offset: int, data: bytes, base: int, chunk: SpoolChunk | None) -> int:
        """Read the VAR record at ``offset`` (a key name, or an event into ``chunk``);
        ``data`` holds the segment's bytes from ``base`` on. Returns the offset past it."""
        (length,) = struct.unpack_from("<I", data, offset - base)
        past = offset + SLOT + _slots_for(length) * SLOT
        if length == 0 or past > self._size - SLOT:
            raise _Corrupt(offset, f"its length {length:,} does not fit the segment")
        start = offset + SLOT - base
        if start + length <= len(data):
            payload = bytes(data[start : start + length])
        else:  # written before its header (whose kind we saw): whole in the file
            payload = self._pread(offset + SLOT, length)
        try:
            if payload[0] == SUB_KEY:
                _, key_id = KEY_PREFIX.unpack_from(payload)
                self._keys[key_id] = payload[KEY_PREFIX.size :].decode()
            elif payload[0] == SUB_EVENT:
                if chunk is not None:
                    chunk.events.append(check_event(json.loads(payload[1:])))
            else:
                raise _Corrupt(offset, f"unknown variable record subtype {payload[0]}")
        except (ValueError, struct.error) as exc:  # JSONDecodeError, UnicodeDecodeError
            problem = exc.message if isinstance(exc, InvalidInput) else str(exc)
            raise _Corrupt(offset, problem) from None
        return past

    def _unreadable(self, path: Path, problem: str) -> SpoolError:
        return SpoolError(
            f"cannot read spool segment {path}: {problem}. What comes before it ships; "
            f"what follows cannot be read. The spool is kept in {self.folder}: delete that "
            "folder to drop the rest (the run is marked crashed once its heartbeat is stale)"
        )

    def _io_error(self, path: Path, exc: OSError) -> SpoolIOError:
        return SpoolIOError(
            f"cannot read spool segment {path} now: {_reason(exc)}. Nothing is lost: "
            f"the spool is kept in {self.folder} and read again (its mount or disk may "
            "be back), and `heron sync` ships it later"
        )

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._segment = -1


_record_dtypes: list[np.dtype[Any]] = []  # made on first use (numpy is imported then)


def _record_dtype() -> np.dtype[Any]:
    """SCALAR records as a numpy structured type."""
    if not _record_dtypes:
        import numpy as np

        dtype = np.dtype(
            [
                ("value", "<f8"),
                ("step", "<i8"),
                ("time", "<f8"),
                ("key", "<u4"),
                ("pad", "V3"),
                ("kind", "u1"),
            ]
        )
        assert dtype.itemsize == SLOT
        _record_dtypes.append(dtype)
    return _record_dtypes[0]


_MADV_POPULATE_WRITE = 23  # Linux 5.14+
_prefault_works = sys.platform == "linux"
_libc: Any = None


def prefault(address: int, length: int) -> bool:
    """Fault in the pages at ``address`` (a range :meth:`SpoolWriter.prefault_range`
    gave) as a write would, without writing (``MADV_POPULATE_WRITE``), with the GIL
    released: a background thread pays what each first write into a fresh page of a
    segment would cost the training loop (the page's allocation and the filesystem's
    work: microseconds a page). The data is never touched, so a range unmapped or
    mapped again meanwhile is harmless (an error, ignored). False where the kernel
    cannot (then it is not tried again)."""
    global _prefault_works, _libc
    if not _prefault_works:
        return False
    import ctypes

    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.madvise(ctypes.c_void_p(address), ctypes.c_size_t(length), _MADV_POPULATE_WRITE):
        if ctypes.get_errno() == errno.EINVAL:  # an older kernel: no such advice
            _prefault_works = False
        return False
    return True


def delete_segments_before(folder: Path, pos: int) -> None:
    """Remove segment files wholly before ``pos`` (already shipped and acknowledged)."""
    segment, _ = split_pos(pos)
    for number in segment_numbers(folder):
        if number < segment:
            segment_path(folder, number).unlink(missing_ok=True)


def iter_spools(root: Path) -> Iterator[Path]:
    """Every run spool folder under a spool root (``<root>/<run id>/``)."""
    if not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and (entry / SPOOL_LOCK).exists():
            yield entry
