"""The ArtifactStore on Amazon S3 or an S3-compatible server (MinIO, Ceph, R2).

Layout under ``s3://bucket/prefix``::

    prefix/blobs/sha256/ab/cdef...   one object per blob: "ab" + "cdef..." is its hex digest

Region and credentials come from the standard AWS configuration (environment, ``~/.aws``,
instance roles), which boto3 reads; the endpoint of an S3-compatible server is passed in
(``endpoint_url``: ``open_artifact_store`` takes it from ``Settings.s3_endpoint_url``,
``HERON_S3_ENDPOINT_URL``). Heron itself reads no environment here.

A put hashes the file first, because the digest is the key: an object already there
is not uploaded again. The upload then re-hashes the bytes it sends and refuses to
finish when they differ from the first pass (the file changed in between): S3 makes
an object visible only when its PUT or its multipart completion succeeds, so a refused
or failed upload leaves nothing behind. Two writers of the same content race harmlessly
(same bytes). Large files go up in parts, a few parts in memory at a time.
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

import boto3
import botocore.exceptions as boto_errors
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from heron.artifacts._fs import new_temp, remove_quietly
from heron.artifacts.base import BlobInfo
from heron.artifacts.digest import CHUNK_SIZE, PREFIX, hash_stream, parse_digest
from heron.errors import DigestMismatch, HeronError, InvalidInput, NotFound, StoreError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MIB = 1 << 20
MAX_PARTS = 10_000  # S3's limit per multipart upload
#: A put of content already stored refreshes the object's modification time (a
#: server-side copy) when it is older than this, so that ``heron gc`` sees it as young
#: while the run that re-put it has not referenced it yet.
TOUCH_AFTER_SECONDS = 60.0
PUT_ATTEMPTS = 3  # a file that changes under every attempt is refused

_URL = re.compile(r"^s3://([^/]*)/?(.*)$", re.IGNORECASE)
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")
_DENIED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}
_WRONG_REGION = {"301", "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocation"}


def transfer_config(
    threshold: int = 8 * MIB, part_size: int = 8 * MIB, parts_in_memory: int = 4
) -> TransferConfig:
    """Multipart uploads for files of ``threshold`` bytes or more, in parts of
    ``part_size`` (more for files over ``MAX_PARTS`` parts), 4 at a time. An upload
    holds at most ``threshold + parts_in_memory * part_size`` bytes in memory."""
    config = TransferConfig(
        multipart_threshold=threshold, multipart_chunksize=part_size, max_concurrency=4
    )
    # boto3's TransferConfig takes this s3transfer option only as an attribute.
    config.max_in_memory_upload_chunks = parts_in_memory
    return config


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix"); InvalidInput if malformed."""
    match = _URL.match(url)
    if match is None or not _BUCKET.match(match.group(1)):
        raise InvalidInput(
            f"not an S3 artifact store URL: {url!r}; expected s3://BUCKET or "
            "s3://BUCKET/PREFIX with a bucket name of 3-63 letters, digits, '.', '-' or '_'"
        )
    parts = [p for p in match.group(2).split("/") if p]
    if any(p in {".", ".."} or not p.isprintable() for p in parts):
        raise InvalidInput(f"S3 prefix in {url!r} may not contain '.', '..' or control characters")
    return match.group(1), "/".join(parts)


class S3ArtifactStore:
    """Content-addressed blobs in an S3 bucket. See the module doc for layout and safety.

    ``endpoint_url`` selects an S3-compatible server (None: boto3's own choice, AWS
    S3 unless the AWS configuration names another); ``client`` replaces the boto3
    client entirely; ``transfer`` tunes multipart uploads.
    """

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        client: Any = None,
        transfer: TransferConfig | None = None,
        touch_after: float = TOUCH_AFTER_SECONDS,
    ) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.url = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.endpoint_url = endpoint_url
        # max_pool_connections: a server puts and reads many blobs at once.
        self._client = client or boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, config=Config(max_pool_connections=32)
        )
        self._transfer = transfer or transfer_config()
        self._touch_after = touch_after
        self._blob_root = "/".join(p for p in (self.prefix, "blobs", "sha256") if p) + "/"
        self.list_page_size = 1000  # objects per listing request (S3's maximum)
        self._bucket_checked = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3ArtifactStore({self.url!r})"

    def key(self, digest: str) -> str:
        """The object key of a blob (whether or not it exists)."""
        hex_ = parse_digest(digest)  # the only way a digest becomes a key
        return f"{self._blob_root}{hex_[:2]}/{hex_[2:]}"

    # --- writing -------------------------------------------------------------
    def put_file(self, path: Path) -> BlobInfo:
        """Hash ``path``, then upload it unless the blob exists. A file that changes
        while it is uploaded is hashed and sent again (``PUT_ATTEMPTS`` in all)."""
        for _ in range(PUT_ATTEMPTS):
            with open(path, "rb") as source:
                digest, size = hash_stream(source)
                existing = self._existing(digest, size)
                if existing is not None:
                    return existing
                source.seek(0)
                try:
                    return self._upload(source, digest, size)
                except _SourceChanged:
                    continue
        raise StoreError(
            f"{path} changed every time it was uploaded to {self.url} ({PUT_ATTEMPTS} tries); "
            "log it once it is no longer being written"
        )

    def put_stream(self, source: BinaryIO) -> BlobInfo:
        """Store everything left in ``source``: hashed while copied to a local temp
        file (the digest must be known before the key is), then uploaded from there."""
        with tempfile.TemporaryFile(prefix="heron-s3-put-") as spool:
            digest, size = hash_stream(source, spool)
            existing = self._existing(digest, size)
            if existing is not None:
                return existing
            spool.seek(0)
            return self._upload(spool, digest, size)

    def _existing(self, digest: str, size: int) -> BlobInfo | None:
        """The stored blob, refreshed if old (see TOUCH_AFTER_SECONDS); None when it
        must be uploaded (absent, or the wrong size: replace it)."""
        head = self._head(digest)
        if head is None or head.size != size:
            return None
        if head.age < self._touch_after:
            return BlobInfo(digest, size, head.modified)
        key = self.key(digest)
        try:
            with self._errors("refresh", digest):
                # An in-place copy with new metadata is S3's way to bump LastModified;
                # the managed copy also handles objects over 5 GiB (multipart copy).
                self._client.copy(
                    {"Bucket": self.bucket, "Key": key},
                    self.bucket,
                    key,
                    ExtraArgs={"MetadataDirective": "REPLACE"},
                    Config=self._transfer,
                )
        except _Missing:  # deleted since the HEAD (gc): upload it again
            return None
        return self._stored(digest, size)

    def _upload(self, source: BinaryIO, digest: str, size: int) -> BlobInfo:
        config = copy.copy(self._transfer)
        config.multipart_chunksize = max(config.multipart_chunksize, math.ceil(size / MAX_PARTS))
        with self._errors("upload", digest):
            self._client.upload_fileobj(
                _CheckedSource(source, digest, size),
                self.bucket,
                self.key(digest),
                ExtraArgs={"ContentType": "application/octet-stream"},
                Config=config,
            )
        return self._stored(digest, size)

    def _stored(self, digest: str, size: int) -> BlobInfo:
        """The info of a blob just written (its time is the server's)."""
        head = self._head(digest)
        if head is None:  # only a gc with no grace period could do this
            raise StoreError(f"blob {digest} vanished from {self.url} right after it was stored")
        return BlobInfo(digest, size, head.modified)

    def delete(self, digest: str) -> bool:
        if self._head(digest) is None:
            return False
        with self._errors("delete", digest):
            self._client.delete_object(Bucket=self.bucket, Key=self.key(digest))
        return True

    # --- reading -------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self._head(digest) is not None

    def stat(self, digest: str) -> BlobInfo | None:
        head = self._head(digest)
        if head is None:
            return None
        # The age is measured on the S3 server's clock (its Date header), so a skewed
        # local clock cannot make a fresh blob look old to retention or gc.
        return BlobInfo(digest, head.size, time.time() - head.age)

    def local_path(self, digest: str) -> None:
        parse_digest(digest)
        return None

    def open(self, digest: str) -> BinaryIO:
        """A stream of the blob that raises DigestMismatch on reaching the end if the
        bytes read do not match the digest. Not seekable; a reader that stops early
        gets no check."""
        body = self._get(digest)
        return io.BufferedReader(_VerifyingBody(self, body, digest), CHUNK_SIZE)

    def fetch(self, digest: str, dest: Path) -> Path:
        """Download the blob to a temp file beside ``dest``, check it, then rename:
        ``dest`` either keeps its old content or gets the verified blob."""
        dest = Path(dest)
        body = self._get(digest)
        try:
            fd, tmp = new_temp(dest.parent, ".heron-fetch-")
            try:
                with os.fdopen(fd, "wb") as out, self._errors("download", digest):
                    got, _ = hash_stream(body, out)
                if got != digest:
                    raise self._mismatch(digest, got)
                os.replace(tmp, dest)
            except BaseException:
                remove_quietly(tmp)
                raise
        finally:
            body.close()
        return dest

    def blobs(self) -> Iterator[BlobInfo]:
        """Every blob, from a paginated listing; objects that are not blobs are ignored."""
        self._check_bucket()
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self._blob_root,
            PaginationConfig={"PageSize": self.list_page_size},
        )
        with self._errors("list"):
            for page in pages:
                for obj in page.get("Contents", ()):
                    shard, _, rest = obj["Key"][len(self._blob_root) :].partition("/")
                    digest = PREFIX + shard + rest
                    if len(shard) == 2 and "/" not in rest and _is_digest(digest):
                        yield BlobInfo(digest, obj["Size"], _seconds(obj["LastModified"]))

    # --- S3 calls --------------------------------------------------------------
    def _head(self, digest: str) -> _Head | None:
        key = self.key(digest)
        self._check_bucket()
        try:
            with self._errors("look up", digest):
                head = self._client.head_object(Bucket=self.bucket, Key=key)
        except _Missing:
            return None
        modified = _seconds(head["LastModified"])
        now = _server_time(head)
        return _Head(int(head["ContentLength"]), modified, now - modified)

    def _get(self, digest: str) -> Any:
        key = self.key(digest)
        self._check_bucket()
        try:
            with self._errors("read", digest):
                return self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except _Missing:
            raise NotFound(f"blob {digest} is not in the artifact store at {self.url}") from None

    def _check_bucket(self) -> None:
        """Once per store: HEAD the bucket, so a missing bucket or refused credentials
        say so (an object HEAD cannot tell a missing bucket from a missing blob)."""
        if self._bucket_checked:
            return
        with self._lock:
            if self._bucket_checked:
                return
            try:
                with self._errors("open"):
                    self._client.head_bucket(Bucket=self.bucket)
            except _Missing:
                raise StoreError(
                    f"S3 bucket {self.bucket!r} does not exist at {self._where()}; "
                    "create it, or fix the bucket in the artifact store URL "
                    f"{self.url!r}" + _endpoint_hint(self.endpoint_url)
                ) from None
            self._bucket_checked = True

    @contextmanager
    def _errors(self, action: str, digest: str | None = None) -> Iterator[None]:
        """Turn botocore's exceptions into HeronErrors that say what to check.
        A 404 becomes ``_Missing``, for the caller to decide what absence means."""
        what = f"blob {digest}" if digest else self.url
        try:
            yield
        except HeronError:
            raise
        except boto_errors.ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in {"404", "NoSuchKey", "NotFound"} or (
                status == 404 and code != "NoSuchBucket"
            ):
                raise _Missing() from None
            raise StoreError(self._client_error_message(action, what, code, error)) from None
        except (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError) as exc:
            raise StoreError(
                f"cannot {action} {what}: no usable AWS credentials ({exc}); set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where "
                "an instance role applies"
            ) from None
        except (boto_errors.EndpointConnectionError, boto_errors.ConnectionError) as exc:
            raise StoreError(
                f"cannot {action} {what}: the S3 endpoint {self._where()} cannot be reached "
                f"({exc}); check the network and the endpoint" + _endpoint_hint(self.endpoint_url)
            ) from None
        except boto_errors.BotoCoreError as exc:
            raise StoreError(f"cannot {action} {what} on S3 ({self._where()}): {exc}") from None

    def _client_error_message(
        self, action: str, what: str, code: str, error: dict[str, Any]
    ) -> str:
        detail = f"{code}: {error.get('Message', '')}".strip(": ")
        if code == "NoSuchBucket":
            return (
                f"S3 bucket {self.bucket!r} does not exist at {self._where()}; create it, "
                f"or fix the artifact store URL {self.url!r}" + _endpoint_hint(self.endpoint_url)
            )
        if code in _DENIED:
            return (
                f"S3 refused to {action} {what} ({detail}); check the credentials "
                "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE) and that they "
                f"may list, read, write and delete objects in {self.url}"
            )
        if code in _WRONG_REGION:
            return (
                f"S3 bucket {self.bucket!r} is in another region ({detail}); set "
                "AWS_DEFAULT_REGION (or AWS_REGION) to the bucket's region"
            )
        return f"cannot {action} {what} on S3 ({self._where()}): {detail}"

    def _where(self) -> str:
        return self.endpoint_url or str(self._client.meta.endpoint_url)

    def _mismatch(self, expected: str, got: str) -> DigestMismatch:
        return DigestMismatch(
            f"blob {expected} in {self.url} is corrupt: its bytes hash to {got}. "
            "The object was changed in the bucket; delete it and log the file again."
        )


class _Head(NamedTuple):
    size: int
    modified: float
    age: float  # seconds since modified, by the server's clock where it says


class _Missing(Exception):
    """A 404 from S3 (internal: each caller says what a missing object means)."""


class _SourceChanged(Exception):
    """The bytes being uploaded are not the ones hashed (internal: put_file retries)."""


class _CheckedSource:
    """What an upload reads: the source, hashed again as it is sent.

    Not seekable on purpose, so that the uploader reads it exactly once, in order,
    and reaches its end before it finishes the upload; a digest or size that differs
    from the first pass raises there, which aborts the upload.
    """

    def __init__(self, source: BinaryIO, digest: str, size: int) -> None:
        self._source = source
        self._digest = digest
        self._size = size
        self._seen = 0
        self._hash = hashlib.sha256()

    def read(self, amount: int | None = -1) -> bytes:
        data = self._source.read(-1 if amount is None else amount)
        self._seen += len(data)
        self._hash.update(data)
        if self._seen > self._size:
            raise _SourceChanged("the source grew")
        at_end = not data or amount is None or amount < 0
        if at_end and (self._seen != self._size or PREFIX + self._hash.hexdigest() != self._digest):
            raise _SourceChanged("the source changed")
        return data


class _VerifyingBody(io.RawIOBase):
    """Hashes what is read from an S3 body; at its end, compares with the digest."""

    def __init__(self, store: S3ArtifactStore, body: Any, digest: str) -> None:
        super().__init__()
        self._store = store
        self._body = body
        self._digest = digest
        self._hash = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        with memoryview(buffer) as view, self._store._errors("read", self._digest):
            data = self._body.read(len(view))
            n = len(data)
            view[:n] = data
        if n:
            self._hash.update(data)
        elif not self._checked:
            self._checked = True
            got = PREFIX + self._hash.hexdigest()
            if got != self._digest:
                raise self._store._mismatch(self._digest, got)
        return n

    def close(self) -> None:
        self._body.close()
        super().close()


def _is_digest(digest: str) -> bool:
    try:
        parse_digest(digest)
    except InvalidInput:
        return False
    return True


def _seconds(when: Any) -> float:
    """Whole seconds since the epoch: HEAD (an HTTP date) and listings (ISO with
    milliseconds) must agree on a blob's modification time."""
    return float(math.floor(when.timestamp()))


def _server_time(response: dict[str, Any]) -> float:
    """The server's clock at a response (its ``Date`` header), to age objects without
    trusting the local clock; the local clock when the header is missing."""
    raw = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return _seconds(parsedate_to_datetime(raw))
    except (TypeError, ValueError):
        return time.time()


def _endpoint_hint(endpoint_url: str | None) -> str:
    if endpoint_url:
        return f" (endpoint {endpoint_url}, from HERON_S3_ENDPOINT_URL or the caller)"
    return "; for an S3-compatible server (MinIO, Ceph, R2) set HERON_S3_ENDPOINT_URL"
