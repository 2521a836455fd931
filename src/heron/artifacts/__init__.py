"""Artifact blobs: content-addressed storage and the file helpers the SDK logs with.

:func:`open_artifact_store` picks the implementation from the URL scheme; that is
the extension point for new backends (add a scheme to ``_OPENERS``). What an opener
needs from the configuration (the S3 endpoint) comes in a ``Settings`` the caller
built at its entry point: nothing here reads the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from heron.artifacts.base import ArtifactStore, BlobInfo, BlobMaintenance, BlobStore
from heron.artifacts.digest import file_digest, manifest_digest, parse_digest
from heron.artifacts.files import SkippedFileWarning, collect, materialize, materialize_version
from heron.artifacts.gc import delete_blobs, find_orphans
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput

if TYPE_CHECKING:
    from heron.settings import Settings

__all__ = [
    "ArtifactStore",
    "BlobInfo",
    "BlobMaintenance",
    "BlobStore",
    "LocalArtifactStore",
    "SkippedFileWarning",
    "collect",
    "delete_blobs",
    "file_digest",
    "find_orphans",
    "manifest_digest",
    "materialize",
    "materialize_version",
    "open_artifact_store",
    "parse_digest",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _open_file_url(url: str, settings: Settings | None) -> ArtifactStore:
    # No percent-decoding: LocalArtifactStore.url is a literal "file://" + path.
    rest = url[len("file://") :]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    if not rest.startswith("/"):
        raise InvalidInput(
            f"artifact store URL {url!r} needs an absolute path, such as file:///data/heron"
        )
    return LocalArtifactStore(Path(rest))


def _open_s3_url(url: str, settings: Settings | None) -> ArtifactStore:
    # Imported here: boto3 is an optional dependency (heron[s3]) and slow to import.
    try:
        from heron.artifacts.s3 import S3ArtifactStore
    except ImportError as exc:
        raise InvalidInput(
            f"cannot open {url!r}: S3 artifact stores need boto3 ({exc}); pip install 'heron[s3]'"
        ) from None
    endpoint = settings.s3_endpoint_url if settings is not None else None
    return S3ArtifactStore(url, endpoint_url=endpoint)


_OPENERS: dict[str, Callable[[str, Settings | None], ArtifactStore]] = {
    "file": _open_file_url,
    "s3": _open_s3_url,
}


def open_artifact_store(
    url_or_path: str | os.PathLike[str], *, settings: Settings | None = None
) -> ArtifactStore:
    """The artifact store at a URL (``file:///...``, ``s3://bucket/prefix``) or a plain
    folder path. ``settings`` supplies what an opener needs beyond the URL (the S3
    endpoint, ``HERON_S3_ENDPOINT_URL``); None: defaults (AWS's own configuration)."""
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
    return opener(url_or_path, settings)
