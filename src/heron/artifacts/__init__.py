"""Artifact blobs: content-addressed storage and the file helpers the SDK logs with.

:func:`open_artifact_store` picks the implementation from the URL scheme; that is
the extension point for new backends (add a scheme to ``_OPENERS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from heron.artifacts.base import ArtifactStore, BlobInfo
from heron.artifacts.digest import file_digest, manifest_digest, parse_digest
from heron.artifacts.files import SkippedFileWarning, collect, materialize
from heron.artifacts.gc import delete_blobs, find_orphans
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput

__all__ = [
    "ArtifactStore",
    "BlobInfo",
    "LocalArtifactStore",
    "SkippedFileWarning",
    "collect",
    "delete_blobs",
    "file_digest",
    "find_orphans",
    "manifest_digest",
    "materialize",
    "open_artifact_store",
    "parse_digest",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _open_file_url(url: str) -> ArtifactStore:
    # No percent-decoding: LocalArtifactStore.url is a literal "file://" + path.
    rest = url[len("file://") :]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    if not rest.startswith("/"):
        raise InvalidInput(
            f"artifact store URL {url!r} needs an absolute path, such as file:///data/heron"
        )
    return LocalArtifactStore(Path(rest))


def _open_s3_url(url: str) -> ArtifactStore:
    # Imported here: boto3 is an optional dependency (heron[s3]) and slow to import.
    try:
        from heron.artifacts.s3 import S3ArtifactStore
    except ImportError as exc:
        raise InvalidInput(
            f"cannot open {url!r}: S3 artifact stores need boto3 ({exc}); pip install 'heron[s3]'"
        ) from None
    return S3ArtifactStore(url)


_OPENERS: dict[str, Callable[[str], ArtifactStore]] = {
    "file": _open_file_url,
    "s3": _open_s3_url,
}


def open_artifact_store(url_or_path: str | os.PathLike[str]) -> ArtifactStore:
    """The artifact store at a URL (``file:///...``) or a plain folder path."""
    if not isinstance(url_or_path, str):
        return LocalArtifactStore(Path(url_or_path))
    if not url_or_path:
        raise InvalidInput("artifact store location is empty; give a folder or a URL")
    match = _SCHEME.match(url_or_path)
    if match is None:
        return LocalArtifactStore(Path(url_or_path))
    opener = _OPENERS.get(match.group(1).lower())
    if opener is None:
        raise InvalidInput(
            f"unknown artifact store scheme in {url_or_path!r}; "
            f"supported: {', '.join(s + '://' for s in sorted(_OPENERS))} or a folder path"
        )
    return opener(url_or_path)
