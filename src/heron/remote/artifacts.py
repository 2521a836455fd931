"""``RemoteArtifactStore``: content-addressed blobs on ``heron server``, streamed."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO, cast

from heron.artifacts.base import BlobInfo
from heron.artifacts.digest import file_digest, parse_digest
from heron.errors import DigestMismatch, InvalidInput, NotFound
from heron.remote.http import HttpClient
from heron.wire import blob_from_json

CHUNK = 1 << 20


class _ResponseStream:
    """A file-like reader over a streamed HTTP body (closes the response when closed)."""

    def __init__(self, client: HttpClient, path: str) -> None:
        self._context = client.stream("GET", path)
        self._response = self._context.__enter__()
        self._chunks = self._response.iter_bytes(CHUNK)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def close(self) -> None:
        self._context.__exit__(None, None, None)

    def __enter__(self) -> _ResponseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteArtifactStore:
    def __init__(self, url: str, client: HttpClient | None = None) -> None:
        self.http = client if client is not None else HttpClient(url)
        self.url = self.http.url

    def put_file(self, path: Path) -> BlobInfo:
        digest = file_digest(path)
        if self.has(digest):
            return BlobInfo(digest, path.stat().st_size, time.time())
        return self.put_known(path, digest)

    def put_known(self, path: Path, digest: str) -> BlobInfo:
        """Upload ``path`` whose digest the caller computed; the server re-checks it."""
        parse_digest(digest)

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as f:
                while block := f.read(CHUNK):
                    yield block

        answer = self.http.json(
            "PUT",
            f"/blobs/{digest}",
            content=chunks(),
            headers={"Content-Type": "application/octet-stream"},
        )
        return blob_from_json(answer)

    def has(self, digest: str) -> bool:
        return self.stat(digest) is not None

    def stat(self, digest: str) -> BlobInfo | None:
        parse_digest(digest)
        try:
            response = self.http.request("HEAD", f"/blobs/{digest}")
        except NotFound:
            return None
        modified = response.headers.get("Last-Modified")
        when = parsedate_to_datetime(modified).timestamp() if modified else time.time()
        return BlobInfo(digest, int(response.headers.get("Content-Length", 0)), when)

    def open(self, digest: str) -> BinaryIO:
        parse_digest(digest)
        return cast(BinaryIO, _ResponseStream(self.http, f"/blobs/{digest}"))

    def fetch(self, digest: str, dest: Path) -> Path:
        expected = parse_digest(digest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".heron-download-")
        try:
            hasher = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self.http.stream("GET", f"/blobs/{digest}") as resp:
                for block in resp.iter_bytes(CHUNK):
                    hasher.update(block)
                    out.write(block)
            if hasher.hexdigest() != expected:
                raise DigestMismatch(
                    f"download of {digest} from {self.url} has digest "
                    f"sha256:{hasher.hexdigest()}: the bytes were corrupted; nothing written"
                )
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest

    def local_path(self, digest: str) -> Path | None:
        return None

    def delete(self, digest: str) -> bool:
        raise InvalidInput("blobs on a server are freed by `heron gc` run on the server's store")

    def blobs(self) -> Iterator[BlobInfo]:
        raise InvalidInput("listing a server's blobs is `heron gc` on the server's store")
