"""``RemoteArtifactStore``: the :class:`~heron.artifacts.base.BlobStore` protocol on
``heron server``, streamed both ways and digest-checked on every read.

Listing and deleting blobs (:class:`~heron.artifacts.base.BlobMaintenance`) is not
offered: ``heron gc`` runs beside the server's own blob store.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import httpx

from heron.artifacts.base import BlobInfo
from heron.artifacts.digest import CHUNK_SIZE, PREFIX, file_digest, parse_digest
from heron.errors import DigestMismatch, NotFound, StoreError, Unavailable
from heron.remote.http import HttpClient
from heron.wire import blob_from_json

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from _typeshed import WriteableBuffer

#: A put of content the server already has uploads it again only when the server's
#: copy is older than this, which makes it young again (what a put promises), so that
#: a ``heron gc`` on the server spares it until the run references it.
TOUCH_AFTER_SECONDS = 60.0


class RemoteArtifactStore:
    """Blobs on a server (``http://host:port``); errors as in ``heron.remote.http``."""

    def __init__(self, url: str, client: HttpClient | None = None) -> None:
        self.http = client if client is not None else HttpClient(url)
        self.url = self.http.url

    def __repr__(self) -> str:
        return f"RemoteArtifactStore({self.url!r})"

    def put_file(self, path: Path) -> BlobInfo:
        digest = file_digest(path)
        size = path.stat().st_size
        stored = self._head(digest)
        if stored is not None and stored[0].size == size and stored[1] < TOUCH_AFTER_SECONDS:
            return stored[0]
        return self.put_known(path, digest)

    def put_known(self, path: Path, digest: str) -> BlobInfo:
        """Upload ``path`` whose digest the caller computed; the server re-checks it
        (InvalidInput, nothing stored, when the bytes hash to something else)."""
        parse_digest(digest)

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as f:
                while block := f.read(CHUNK_SIZE):
                    yield block

        response = self.http.request(
            "PUT",
            f"/blobs/{digest}",
            content=chunks(),
            headers={"Content-Type": "application/octet-stream"},
        )
        try:
            return blob_from_json(response.json())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"the answer of {self.url} to the upload of {digest} is not what a Heron "
                f"server sends ({type(exc).__name__}: {exc}); check that this address is a "
                "Heron server of the same version as this client"
            ) from None

    def has(self, digest: str) -> bool:
        return self.stat(digest) is not None

    def stat(self, digest: str) -> BlobInfo | None:
        stored = self._head(digest)
        return None if stored is None else stored[0]

    def open(self, digest: str) -> BinaryIO:
        parse_digest(digest)
        raw = _VerifyingResponse(self.http.stream("GET", f"/blobs/{digest}"), digest, self.url)
        return io.BufferedReader(raw, CHUNK_SIZE)

    def fetch(self, digest: str, dest: Path) -> Path:
        parse_digest(digest)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self.open(digest) as source:  # NotFound before the temp file exists
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".heron-download-")
            try:
                with os.fdopen(fd, "wb") as out:
                    while block := source.read(CHUNK_SIZE):
                        out.write(block)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return dest

    def _head(self, digest: str) -> tuple[BlobInfo, float] | None:
        """The blob's info and its age in seconds (by the server's clock when it sends
        a Date header), or None when the server does not have it."""
        parse_digest(digest)
        try:
            response = self.http.request("HEAD", f"/blobs/{digest}")
        except NotFound:
            return None
        now = time.time()
        modified = _http_time(response.headers.get("Last-Modified"), now)
        age = _http_time(response.headers.get("Date"), now) - modified
        size = int(response.headers.get("Content-Length", 0))
        # Stamped on this machine's clock, as the protocol says.
        return BlobInfo(digest, size, now - age), age


def _http_time(header: str | None, default: float) -> float:
    if not header:
        return default
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return default


class _VerifyingResponse(io.RawIOBase):
    """A streamed download that hashes what it hands out; at its end, compares with
    the digest (DigestMismatch: the bytes were changed on the server or on the way)."""

    def __init__(
        self, stream: AbstractContextManager[httpx.Response], digest: str, url: str
    ) -> None:
        super().__init__()
        self._context = stream
        response = stream.__enter__()  # raises NotFound for a missing blob
        self._chunks = response.iter_bytes(CHUNK_SIZE)
        self._pending = b""
        self._digest = digest
        self._url = url
        self._hash = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        while not self._pending:
            try:
                chunk = next(self._chunks, None)
            except (httpx.TransportError, httpx.StreamError) as exc:
                raise Unavailable(
                    f"the download of blob {self._digest} from {self._url} broke off "
                    f"({type(exc).__name__}: {exc}); try again"
                ) from None
            if chunk is None:
                self._check()
                return 0
            self._pending = chunk
        with memoryview(buffer) as view:
            n = min(len(view), len(self._pending))
            view[:n] = self._pending[:n]
        self._hash.update(self._pending[:n])
        self._pending = self._pending[n:]
        return n

    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        got = PREFIX + self._hash.hexdigest()
        if got != self._digest:
            raise DigestMismatch(
                f"blob {self._digest} downloaded from {self._url} hashes to {got}: it is "
                "corrupt on the server or was damaged on the way; nothing was written. "
                "Try again; if it persists, the server's copy is damaged: log the file again"
            )

    def close(self) -> None:
        if not self.closed:
            self._context.__exit__(None, None, None)
        super().close()
