"""Blob digests: ``"sha256:"`` followed by 64 lowercase hex digits.

Digests name files in the blob store and will arrive from clients over HTTP, so a
digest goes through :func:`parse_digest` before it is used to build any path.
Hashing always streams in :data:`CHUNK_SIZE` pieces: artifacts can be far larger
than memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from heron.errors import InvalidInput

if TYPE_CHECKING:  # only attributes are used; keeps heron.store out of this import
    from heron.store.base import FileEntry

PREFIX = "sha256:"
CHUNK_SIZE = 1 << 20  # 1 MiB

# [0-9a-f], not \d or \w: those match non-ASCII digits. fullmatch: "$" would allow "\n".
_HEX64 = re.compile(r"[0-9a-f]{64}")


def parse_digest(digest: object) -> str:
    """The 64 hex digits of a well-formed digest; InvalidInput for anything else.

    Strict on purpose: no upper case, no whitespace, no other algorithm.
    """
    if (
        not isinstance(digest, str)
        or not digest.startswith(PREFIX)
        or not _HEX64.fullmatch(digest, len(PREFIX))
    ):
        shown = repr(digest) if len(repr(digest)) <= 100 else repr(digest)[:100] + "..."
        raise InvalidInput(
            f"not a blob digest: {shown}; expected 'sha256:' and 64 lowercase hex digits"
        )
    return digest[len(PREFIX) :]


def is_digest(digest: object) -> bool:
    try:
        parse_digest(digest)
    except InvalidInput:
        return False
    return True


class Sink(Protocol):
    """Where :func:`hash_stream` copies to: anything with a binary ``write``."""

    def write(self, data: bytes, /) -> object: ...


def hash_stream(source: BinaryIO, sink: Sink | None = None) -> tuple[str, int]:
    """Digest and size of everything left in ``source``, copying it to ``sink`` if given.

    Hashing the very bytes that are written (never re-reading) keeps digest and copy
    consistent even if the source changes underneath.
    """
    h = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_SIZE):
        h.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return PREFIX + h.hexdigest(), size


def bytes_digest(data: bytes) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hash_stream(f)[0]


def manifest_digest(files: Iterable[FileEntry]) -> str:
    """The digest of an artifact version: sha256 over its sorted ``path\\0digest\\n`` lines.

    The one definition, shared by the SDK and every Store. Equal content (paths and
    bytes) gives an equal digest, whatever the order. Paths and digests must already
    be validated: neither may contain NUL or newline, which keeps the lines unambiguous.
    """
    lines = sorted(f"{f.path}\0{f.digest}\n" for f in files)
    return bytes_digest("".join(lines).encode("utf-8"))
