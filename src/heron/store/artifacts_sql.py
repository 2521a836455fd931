"""Artifact versions in SQL: logging (versions, aliases, retention), usage and reads.

Versions of a name count 0, 1, 2, ... per project. Logging content equal to the newest
version's (same manifest digest, and both or neither logged from a single file) makes
no new version; it only moves aliases.
``latest`` always names the newest version. Checkpoint retention keeps the newest
``keep_last`` versions, the ``keep_best`` best by ``metadata["metrics"][metric]``, and
every version that carries an alias; it deletes the rest, and the batch reports the
blob digests nobody references any more, for the caller to free.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, desc, insert, select, text, union
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import ColumnElement

from heron.artifacts.digest import manifest_digest, parse_digest
from heron.errors import InvalidInput, NotFound
from heron.keys import check_artifact_path, check_name
from heron.store import schema as s
from heron.store.base import ArtifactVersion, FileEntry
from heron.store.engine import upsert
from heron.store.values import dumps, loads_dict, number

LATEST = "latest"
SINGLE_FILE_KEY = "single_file"  # the flag's old place, in the metadata (accepted on ingest)
_VERSION_REF = re.compile(r"^v(\d+)$")
_IN_BATCH = 500  # ids per IN (...) list: far below every dialect's parameter limit
_v = s.artifact_versions.c


def file_entry(raw: Mapping[str, Any]) -> FileEntry:
    """A file of a ``file`` or ``artifact`` event, checked: a safe path, a well-formed
    digest (a blob store must be able to free it), a size. InvalidInput otherwise."""
    try:
        digest = raw["digest"]
        parse_digest(digest)
        return FileEntry(
            path=check_artifact_path(raw["path"]), digest=digest, size=int(raw["size"])
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"a file entry needs path, digest and size; got {raw!r}") from None


def log_artifact(
    conn: Connection, project_id: int, run_id: str, event: Mapping[str, Any], now: float
) -> set[str]:
    """Apply an ``artifact`` event; return the blob digests of versions retention deleted
    (candidates for freeing: other versions or run files may still reference them)."""
    name = check_name(event.get("name"), "artifact name")
    aliases = [check_name(a, "artifact alias") for a in event.get("aliases") or ()]
    files = {f.path: f for f in map(file_entry, event.get("files") or ())}
    digest = manifest_digest(files.values())
    metadata, single_file = _metadata_and_single_file(event)
    if conn.dialect.name == "postgresql":
        # Versions of one name are numbered max+1: serialise writers of that name.
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"heron.artifact:{project_id}:{name}"},
        )
    newest = conn.execute(
        select(_v.id, _v.version, _v.digest, _v.single_file)
        .where(_v.project_id == project_id, _v.name == name)
        .order_by(desc(_v.version))
        .limit(1)
    ).first()
    if newest is not None and (newest.digest, bool(newest.single_file)) == (digest, single_file):
        version_id = int(newest.id)
    else:
        row = {
            "project_id": project_id,
            "name": name,
            "version": 0 if newest is None else int(newest.version) + 1,
            "type": str(event.get("artifact_type") or "artifact"),
            "digest": digest,
            "metadata": dumps(metadata),
            "created_by": run_id,
            "created_at": float(event.get("time") or now),
            "single_file": single_file,
        }
        version_id = _insert_version(conn, row, list(files.values()))
    upsert(
        conn,
        s.artifact_aliases,
        [
            {"project_id": project_id, "name": name, "alias": alias, "version_id": version_id}
            for alias in dict.fromkeys([LATEST, *aliases])
        ],
        ["project_id", "name", "alias"],
        ["version_id"],
    )
    retention = event.get("retention")
    if not retention:
        return set()
    return _apply_retention(conn, project_id, name, retention)


def _metadata_and_single_file(event: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The event's user metadata and its ``single_file`` flag. Spools and clients older
    than the field put the flag in the metadata as a ``"single_file"`` key: it is taken
    out and used when the event has no field of its own."""
    metadata = event.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise InvalidInput(f"artifact metadata must be a dict, got {metadata!r}")
    metadata = dict(metadata)
    legacy = metadata.pop(SINGLE_FILE_KEY, None)
    flag = event.get("single_file")
    if flag is None:
        flag = bool(legacy)
    if not isinstance(flag, bool):
        raise InvalidInput(f"artifact single_file must be true or false, got {flag!r}")
    return metadata, flag


def _insert_version(conn: Connection, row: dict[str, Any], files: list[FileEntry]) -> int:
    result = conn.execute(
        insert(s.artifact_versions).values(
            **row, size=sum(f.size for f in files), file_count=len(files)
        )
    )
    primary_key = result.inserted_primary_key
    assert primary_key is not None
    version_id = int(primary_key[0])
    if files:
        conn.execute(
            insert(s.artifact_files),
            [
                {"version_id": version_id, "path": f.path, "digest": f.digest, "size": f.size}
                for f in files
            ],
        )
    return version_id


def _apply_retention(
    conn: Connection, project_id: int, name: str, retention: Mapping[str, Any]
) -> set[str]:
    keep_last = max(1, int(retention.get("keep_last") or 1))  # the newest always stays
    keep_best = int(retention.get("keep_best") or 0)
    metric = retention.get("metric")
    mode = retention.get("mode") or "max"
    if mode not in ("max", "min"):
        raise InvalidInput(f"retention mode must be 'max' or 'min', got {mode!r}")
    if keep_best and not metric:
        raise InvalidInput("retention keep_best needs the metric to rank versions by")
    rows = conn.execute(
        select(_v.id, _v.metadata)
        .where(_v.project_id == project_id, _v.name == name)
        .order_by(desc(_v.version))
    ).all()
    keep = {int(r.id) for r in rows[:keep_last]}
    if keep_best:
        scored = [(_score(r.metadata, str(metric)), int(r.id)) for r in rows]
        ranked = sorted(
            ((v, i) for v, i in scored if v is not None),
            key=lambda p: p[0],
            reverse=mode == "max",
        )
        keep.update(i for _, i in ranked[:keep_best])
    aliased = conn.execute(
        select(s.artifact_aliases.c.version_id).where(
            s.artifact_aliases.c.project_id == project_id, s.artifact_aliases.c.name == name
        )
    )
    keep.update(int(v) for (v,) in aliased)
    doomed = [int(r.id) for r in rows if int(r.id) not in keep]
    if not doomed:
        return set()
    digests = set(
        conn.execute(
            select(s.artifact_files.c.digest).where(s.artifact_files.c.version_id.in_(doomed))
        ).scalars()
    )
    conn.execute(delete(s.artifact_versions).where(_v.id.in_(doomed)))  # files etc. cascade
    return digests


def _score(metadata_json: str, metric: str) -> float | None:
    metrics = loads_dict(metadata_json).get("metrics")
    value = number(metrics.get(metric)) if isinstance(metrics, Mapping) else None
    return None if value is None or math.isnan(value) else value


def unreferenced(conn: Connection, digests: set[str]) -> set[str]:
    """The subset of ``digests`` that no artifact file, run file or media item references."""
    if not digests:
        return set()
    still: set[str] = set()
    candidates = sorted(digests)
    for i in range(0, len(candidates), _IN_BATCH):
        part = candidates[i : i + _IN_BATCH]
        query = union(
            select(s.artifact_files.c.digest).where(s.artifact_files.c.digest.in_(part)),
            select(s.run_files.c.digest).where(s.run_files.c.digest.in_(part)),
            select(s.run_media.c.digest).where(s.run_media.c.digest.in_(part)),
            select(s.run_media_refs.c.digest).where(s.run_media_refs.c.digest.in_(part)),
        )
        still.update(conn.execute(query).scalars())
    return digests - still


def use_artifact(conn: Connection, run_id: str, event: Mapping[str, Any], now: float) -> None:
    version_id = int(event["version_id"])
    exists = conn.execute(select(_v.id).where(_v.id == version_id)).first()
    if exists is None:
        return  # retention deleted it before this batch shipped: nothing left to link
    upsert(
        conn,
        s.artifact_usage,
        {"run_id": run_id, "version_id": version_id, "used_at": float(event.get("time") or now)},
        ["run_id", "version_id"],
    )


# --- reads -------------------------------------------------------------------


def resolve(conn: Connection, project: str, ref: str) -> ArtifactVersion:
    """``name``, ``name:vN`` or ``name:alias`` -> the version. NotFound."""
    name, _, tail = ref.partition(":")
    tail = tail or LATEST
    where: list[ColumnElement[bool]] = [s.projects.c.name == project, _v.name == name]
    match = _VERSION_REF.match(tail)
    if match:
        where.append(_v.version == int(match.group(1)))
    else:
        alias = s.artifact_aliases.c
        where.append(
            _v.id.in_(
                select(alias.version_id).where(
                    alias.project_id == _v.project_id, alias.name == name, alias.alias == tail
                )
            )
        )
    found = load(conn, where)
    if not found:
        raise NotFound(f"artifact {ref!r} not found in project {project!r}")
    return found[0]


def by_id(conn: Connection, version_id: int) -> ArtifactVersion:
    found = load(conn, [_v.id == version_id])
    if not found:
        raise NotFound(f"artifact version {version_id} not found")
    return found[0]


def load(conn: Connection, where: Sequence[ColumnElement[bool]]) -> list[ArtifactVersion]:
    """Artifact versions matching ``where`` (over versions joined with projects)."""
    query = (
        select(s.artifact_versions, s.projects.c.name.label("project"))
        .join(s.projects, s.projects.c.id == _v.project_id)
        .where(*where)
        .order_by(s.projects.c.name, _v.name, _v.version)
    )
    rows = conn.execute(query).mappings().all()
    ids = [int(r["id"]) for r in rows]
    files = _group(conn, ids, s.artifact_files, "version_id", ("path", "digest", "size"), "path")
    aliases = _group(conn, ids, s.artifact_aliases, "version_id", ("alias",), "alias")
    users = _group(conn, ids, s.artifact_usage, "version_id", ("run_id",), "used_at")
    return [_version(r, files, aliases, users) for r in rows]


def _version(
    row: RowMapping,
    files: dict[int, list[RowMapping]],
    aliases: dict[int, list[RowMapping]],
    users: dict[int, list[RowMapping]],
) -> ArtifactVersion:
    vid = int(row["id"])
    return ArtifactVersion(
        id=vid,
        project=row["project"],
        name=row["name"],
        version=int(row["version"]),
        type=row["type"],
        digest=row["digest"],
        size=int(row["size"]),
        files=tuple(FileEntry(f["path"], f["digest"], int(f["size"])) for f in files.get(vid, ())),
        aliases=tuple(a["alias"] for a in aliases.get(vid, ())),
        metadata=loads_dict(row["metadata"]),
        created_by=row["created_by"],
        created_at=float(row["created_at"]),
        used_by=tuple(u["run_id"] for u in users.get(vid, ())),
        single_file=bool(row["single_file"]),
    )


def _group(
    conn: Connection,
    ids: list[int],
    table: Any,
    key: str,
    columns: tuple[str, ...],
    order: str,
) -> dict[int, list[RowMapping]]:
    out: dict[int, list[RowMapping]] = {}
    for i in range(0, len(ids), _IN_BATCH):
        part = ids[i : i + _IN_BATCH]
        query = (
            select(table.c[key], *(table.c[c] for c in columns))
            .where(table.c[key].in_(part))
            .order_by(table.c[key], table.c[order])
        )
        for row in conn.execute(query).mappings():
            out.setdefault(int(row[key]), []).append(row)
    return out


def referenced_digests(conn: Connection) -> set[str]:
    query = union(
        select(s.artifact_files.c.digest),
        select(s.run_files.c.digest),
        select(s.run_media.c.digest).where(s.run_media.c.digest.is_not(None)),
        select(s.run_media_refs.c.digest),
    )
    return set(conn.execute(query).scalars())
