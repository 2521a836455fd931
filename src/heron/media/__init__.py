"""Rich media: images, histograms, tables, text and audio that a run logs by step.

``heron.Image`` and the others (``heron.media.types``) check and copy their input
when made and encode it on the run's media thread; the blobs go to the content-
addressed blob store and an index row per (run, key, step) to the store
(``heron.store.media_sql``). ``heron.media.read`` turns stored items back into arrays.
See docs/media.md.
"""

from __future__ import annotations

from heron.media.types import (
    CONTENT_TYPES,
    KINDS,
    Audio,
    Encoded,
    Histogram,
    Image,
    Media,
    MediaKind,
    Table,
    Text,
    digest_of,
)

__all__ = [
    "CONTENT_TYPES",
    "KINDS",
    "Audio",
    "Encoded",
    "Histogram",
    "Image",
    "Media",
    "MediaKind",
    "Table",
    "Text",
    "digest_of",
]
