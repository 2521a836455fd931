"""The run's media thread: encodes what ``run.log`` handed over and records it.

``Run.log`` checks and copies a media value (``heron.media``) and queues it here; this
thread encodes it (PNG, WAV, JSON), stores its blobs through the backend (a remote
run stages them; the shipper uploads them ahead of the batch that names them) and
writes the ``media`` event into the spool. The training loop therefore pays for a
copy, not for compression. The queue holds at most :data:`QUEUE_ITEMS` items: a
script that logs media faster than they can be encoded waits in ``log`` rather than
filling memory. ``Run.flush`` and ``Run.finish`` wait for the queue to drain first.

What is queued but not yet encoded when the process is killed is lost (the spool
holds only what was recorded); docs/media.md says so. An item that fails to encode
or store is reported as a ``RuntimeWarning`` naming its key and step, and counted.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

from heron.media.types import Media, digest_of
from heron.sdk.backend import Backend
from heron.store.events import MediaEvent

QUEUE_ITEMS = 64

Item = tuple[str, int, float, Media]


class MediaWriter:
    """One per run, started by its first media value."""

    def __init__(
        self, backend: Backend, record: Callable[[MediaEvent], None], folder: Path
    ) -> None:
        self._backend = backend
        self._record = record
        self._folder = folder
        self._queue: queue.Queue[Item | None] = queue.Queue(QUEUE_ITEMS)
        self._thread = threading.Thread(target=self._main, name="heron-media", daemon=True)
        self._thread.start()
        self.failed = 0  # items that could not be encoded or stored
        self.written = 0

    def submit(self, key: str, step: int, when: float, media: Media) -> None:
        self._queue.put((key, step, when, media))

    def drain(self) -> None:
        """Wait until every item submitted so far is recorded (or failed)."""
        self._queue.join()

    def stop(self) -> None:
        """Drain, then end the thread."""
        self._queue.put(None)
        self._thread.join()

    def _main(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._write(*item)
            except Exception as exc:  # reported and counted: the loop goes on
                self.failed += 1
                key, step = (item[0], item[1]) if item else ("?", 0)
                warnings.warn(
                    f"heron: media {key!r} at step {step} was not stored: "
                    f"{type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=1,
                )
            finally:
                self._queue.task_done()

    def _write(self, key: str, step: int, when: float, media: Media) -> None:
        encoded = media.encode()
        digest = None
        size = 0
        if encoded.blob is not None:
            digest = self._put(encoded.blob)
            size = len(encoded.blob)
        refs = [self._put(ref) for ref in encoded.refs]
        event: MediaEvent = {
            "type": "media",
            "key": key,
            "step": step,
            "kind": encoded.kind,
            "digest": digest,
            "size": size,
            "refs": refs,
            "meta": encoded.meta,
            "time": when,
        }
        self._record(event)
        self.written += 1

    def _put(self, data: bytes) -> str:
        """Store ``data`` as a blob; its digest."""
        self._folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="media-", suffix=".part", dir=self._folder)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            info = self._backend.put_blob(path)
        finally:
            path.unlink(missing_ok=True)
        expected = digest_of(data)
        if info.digest != expected:  # pragma: no cover - a blob store that changed bytes
            raise OSError(f"the blob store answered {info.digest} for bytes hashing to {expected}")
        return info.digest
