"""Reading the registry tables into registry objects (one connection, no writes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import ColumnElement

from heron.errors import NotFound
from heron.registry.base import STAGES, HistoryEntry, ModelVersion, RegisteredModel, Stage
from heron.store import schema as s
from heron.store.values import loads, loads_dict

_m = s.registered_models.c
_v = s.model_versions.c
_a = s.model_aliases.c
_h = s.model_history.c


def model_row(conn: Connection, name: str, *, lock: bool = False) -> RowMapping:
    """The model's row; ``lock`` serialises changes to the model (PostgreSQL row lock;
    on SQLite the write transaction holds the whole database already)."""
    query = select(s.registered_models).where(_m.name == name)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(
            f"model {name!r} not found; register a version with heron.models.register "
            "or list models with `heron models ls`"
        )
    return row


def models(conn: Connection, where: Sequence[ColumnElement[bool]] = ()) -> list[RegisteredModel]:
    rows = conn.execute(select(s.registered_models).where(*where).order_by(_m.name)).mappings()
    rows_list = list(rows)
    ids = [int(r["id"]) for r in rows_list]
    if not ids:
        return []
    latest: dict[int, int] = {}
    stages: dict[int, dict[str, list[int]]] = {}
    for model_id, version, stage in conn.execute(
        select(_v.model_id, _v.version, _v.stage)
        .where(_v.model_id.in_(ids))
        .order_by(_v.model_id, _v.version)
    ):
        latest[int(model_id)] = int(version)
        if stage != "none":
            stages.setdefault(int(model_id), {}).setdefault(stage, []).append(int(version))
    aliases: dict[int, dict[str, int]] = {}
    for model_id, alias, version in conn.execute(
        select(_a.model_id, _a.alias, _v.version)
        .join(s.model_versions, _v.id == _a.version_id)
        .where(_a.model_id.in_(ids))
        .order_by(_a.model_id, _a.alias)
    ):
        aliases.setdefault(int(model_id), {})[alias] = int(version)
    out = []
    for r in rows_list:
        mid = int(r["id"])
        found = stages.get(mid, {})
        out.append(
            RegisteredModel(
                name=r["name"],
                description=r["description"],
                tags=loads_dict(r["tags"]),
                protected=tuple(loads(r["protected"]) or ()),
                created_by=r["created_by"],
                created_at=float(r["created_at"]),
                updated_at=float(r["updated_at"]),
                latest_version=latest.get(mid),
                stages={st: tuple(found[st]) for st in STAGES if st in found},
                aliases=aliases.get(mid, {}),
            )
        )
    return out


def one_model(conn: Connection, name: str) -> RegisteredModel:
    found = models(conn, [_m.name == name])
    if not found:
        model_row(conn, name)  # raises NotFound with the hint
    return found[0]


def versions(
    conn: Connection, model: RowMapping, where: Sequence[ColumnElement[bool]] = ()
) -> list[ModelVersion]:
    """Versions of ``model`` matching ``where``, newest first."""
    rows = list(
        conn.execute(
            select(s.model_versions)
            .where(_v.model_id == model["id"], *where)
            .order_by(_v.version.desc())
        ).mappings()
    )
    ids = [int(r["id"]) for r in rows]
    aliases: dict[int, list[str]] = {}
    if ids:
        for version_id, alias in conn.execute(
            select(_a.version_id, _a.alias).where(_a.version_id.in_(ids)).order_by(_a.alias)
        ):
            aliases.setdefault(int(version_id), []).append(alias)
    return [_version(model["name"], r, aliases.get(int(r["id"]), [])) for r in rows]


def one_version(conn: Connection, model: RowMapping, version: int) -> ModelVersion:
    found = versions(conn, model, [_v.version == version])
    if not found:
        raise NotFound(f"model {model['name']!r} has no version {version}")
    return found[0]


def version_row(conn: Connection, model: RowMapping, version: int) -> RowMapping:
    row = (
        conn.execute(
            select(s.model_versions).where(_v.model_id == model["id"], _v.version == version)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"model {model['name']!r} has no version {version}")
    return row


def newest_version(conn: Connection, model_id: int) -> int:
    """The highest version number of the model, 0 when it has none."""
    query = select(func.max(_v.version)).where(_v.model_id == model_id)
    return int(conn.execute(query).scalar() or 0)


def alias_holder(conn: Connection, model_id: int, alias: str) -> int | None:
    """The version number ``alias`` points at, or None."""
    query = (
        select(_v.version)
        .join(s.model_aliases, _a.version_id == _v.id)
        .where(_a.model_id == model_id, _a.alias == alias)
    )
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def highest_in_stage(conn: Connection, model_id: int, stage: Stage) -> int | None:
    query = select(func.max(_v.version)).where(_v.model_id == model_id, _v.stage == stage)
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def history(conn: Connection, model: RowMapping, where: Sequence[Any] = ()) -> list[HistoryEntry]:
    rows = conn.execute(
        select(s.model_history).where(_h.model_id == model["id"], *where).order_by(_h.id)
    ).mappings()
    return [history_entry(model["name"], r) for r in rows]


def history_entry(model: str, r: RowMapping) -> HistoryEntry:
    return HistoryEntry(
        id=int(r["id"]),
        model=model,
        version=None if r["version"] is None else int(r["version"]),
        kind=r["kind"],
        name=r["name"],
        from_value=r["from_value"],
        to_value=r["to_value"],
        actor=r["actor"],
        actor_admin=bool(r["actor_admin"]),
        reason=r["reason"],
        time=float(r["time"]),
        rollback_of=None if r["rollback_of"] is None else int(r["rollback_of"]),
    )


def _version(model: str, r: RowMapping, aliases: list[str]) -> ModelVersion:
    return ModelVersion(
        model=model,
        version=int(r["version"]),
        stage=r["stage"],
        aliases=tuple(aliases),
        description=r["description"],
        tags=loads_dict(r["tags"]),
        run_id=r["run_id"],
        artifact_id=int(r["artifact_id"]),
        artifact_digest=r["artifact_digest"],
        created_by=r["created_by"],
        created_at=float(r["created_at"]),
        updated_at=float(r["updated_at"]),
    )
