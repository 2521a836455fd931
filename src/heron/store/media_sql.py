"""Media a run logged: applying ``media`` events and reading them back (SQL).

One row per (run, key, step) in ``run_media``; a later item at the same step
replaces the earlier, whose blobs become candidates for freeing. The blobs an item
names besides its own (a mask, a table's image cells) are rows of
``run_media_refs``, so ``unreferenced`` and ``referenced_digests`` (garbage
collection) see them like any other reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from heron.artifacts.digest import parse_digest
from heron.errors import InvalidInput
from heron.keys import check_key
from heron.store import schema as s
from heron.store.base import MEDIA_PAGE_MAX, MediaItem, MediaKey, MediaKindName
from heron.store.values import dumps, loads_dict

KINDS = frozenset({"image", "histogram", "table", "text", "audio"})
MAX_META_BYTES = 256 * 1024  # heron.media.limits.MAX_META_BYTES: the store's own check
MAX_REFS = 1024  # blobs one item names besides its own (a table's image cells)
_INT64 = 2**63
_m = s.run_media.c
_refs = s.run_media_refs.c


def apply(conn: Connection, run_id: str, event: Mapping[str, Any], now: float) -> set[str]:
    """Apply a ``media`` event; return the digests the item it replaced named
    (candidates for freeing). InvalidInput for a malformed event."""
    key = check_key(event["key"])
    step = event["step"]
    if isinstance(step, bool) or not isinstance(step, int) or not -_INT64 <= step < _INT64:
        raise InvalidInput(f"media {key!r}: step must be an int64, got {step!r}")
    kind = event["kind"]
    if kind not in KINDS:
        raise InvalidInput(f"media {key!r}: kind must be one of {sorted(KINDS)}, got {kind!r}")
    digest = event.get("digest")
    if digest is not None:
        parse_digest(digest)
    elif kind != "histogram":
        raise InvalidInput(f"media {key!r}: a {kind} needs the digest of its blob")
    refs = sorted(set(event.get("refs") or ()))
    if len(refs) > MAX_REFS:
        raise InvalidInput(f"media {key!r}: at most {MAX_REFS} referenced blobs")
    for ref in refs:
        parse_digest(ref)
    meta = event.get("meta") or {}
    if not isinstance(meta, dict):
        raise InvalidInput(f"media {key!r}: meta must be an object")
    meta_json = dumps(meta)
    if len(meta_json.encode()) > MAX_META_BYTES:
        raise InvalidInput(f"media {key!r}: meta is larger than {MAX_META_BYTES} bytes")
    size = int(event.get("size") or 0)
    if size < 0:
        raise InvalidInput(f"media {key!r}: size must not be negative")
    when = float(event.get("time") or now)
    if not math.isfinite(when):
        raise InvalidInput(f"media {key!r}: time must be finite")

    where = (_m.run_id == run_id, _m.key == key, _m.step == step)
    ref_where = (_refs.run_id == run_id, _refs.key == key, _refs.step == step)
    replaced: set[str] = set()
    old = conn.execute(select(_m.digest).where(*where)).first()
    if old is not None:
        if old.digest is not None:
            replaced.add(str(old.digest))
        replaced.update(conn.execute(select(_refs.digest).where(*ref_where)).scalars())
        conn.execute(delete(s.run_media).where(*where))
        conn.execute(delete(s.run_media_refs).where(*ref_where))
    conn.execute(
        insert(s.run_media),
        {
            "run_id": run_id,
            "key": key,
            "step": step,
            "kind": kind,
            "digest": digest,
            "size": size,
            "meta": meta_json,
            "created_at": when,
        },
    )
    if refs:
        conn.execute(
            insert(s.run_media_refs),
            [{"run_id": run_id, "key": key, "step": step, "digest": r} for r in refs],
        )
    return replaced - set(refs) - {digest}


def media_keys(conn: Connection, run_id: str) -> list[MediaKey]:
    counts = conn.execute(
        select(_m.key, func.count(), func.min(_m.step), func.max(_m.step))
        .where(_m.run_id == run_id)
        .group_by(_m.key)
        .order_by(_m.key)
    ).all()
    out = []
    for key, count, first, last in counts:
        kind = conn.execute(
            select(_m.kind).where(_m.run_id == run_id, _m.key == key, _m.step == last)
        ).scalar_one()
        out.append(MediaKey(str(key), _kind(kind), int(count), int(first), int(last)))
    return out


def media(
    conn: Connection,
    run_id: str,
    key: str,
    first_step: int | None,
    last_step: int | None,
    limit: int | None,
) -> list[MediaItem]:
    if limit is not None and not 1 <= limit <= MEDIA_PAGE_MAX:
        raise InvalidInput(f"limit must be from 1 to {MEDIA_PAGE_MAX}, got {limit}")
    where = [_m.run_id == run_id, _m.key == key]
    if first_step is not None:
        where.append(_m.step >= first_step)
    if last_step is not None:
        where.append(_m.step <= last_step)
    cap = MEDIA_PAGE_MAX if limit is None else limit
    steps = list(conn.execute(select(_m.step).where(*where).order_by(_m.step)).scalars())
    if len(steps) > cap:  # evenly spread, the first and last kept
        last = len(steps) - 1
        picks = sorted({round(i * last / (cap - 1)) for i in range(cap)}) if cap > 1 else [0]
        steps = [steps[i] for i in picks]
    items: list[MediaItem] = []
    for start in range(0, len(steps), 500):
        part = steps[start : start + 500]
        rows = conn.execute(
            select(_m.step, _m.kind, _m.digest, _m.size, _m.meta, _m.created_at)
            .where(_m.run_id == run_id, _m.key == key, _m.step.in_(part))
            .order_by(_m.step)
        ).all()
        refs: dict[int, list[str]] = {}
        for step, digest in conn.execute(
            select(_refs.step, _refs.digest)
            .where(_refs.run_id == run_id, _refs.key == key, _refs.step.in_(part))
            .order_by(_refs.step, _refs.digest)
        ):
            refs.setdefault(int(step), []).append(str(digest))
        items.extend(
            MediaItem(
                key=key,
                step=int(r.step),
                kind=_kind(r.kind),
                digest=None if r.digest is None else str(r.digest),
                size=int(r.size),
                meta=loads_dict(r.meta),
                refs=tuple(refs.get(int(r.step), ())),
                time=float(r.created_at),
            )
            for r in rows
        )
    return items


def _kind(value: object) -> MediaKindName:
    return cast(MediaKindName, str(value))
