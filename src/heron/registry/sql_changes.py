"""Registry changes inside one write transaction each: models, versions, stages,
aliases, rollbacks. Every function locks the model row first (heron.registry.base,
"Concurrency") and returns what it did plus the events to announce after commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, desc, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from heron.artifacts.digest import manifest_digest, parse_digest
from heron.errors import Conflict, InvalidInput, NotFound
from heron.keys import check_name
from heron.registry import rules
from heron.registry import sql_reads as reads
from heron.registry.base import (
    STAGES,
    Actor,
    ArtifactSource,
    HistoryEntry,
    ModelEvent,
    ModelVersion,
    RegisteredModel,
    Stage,
)
from heron.store import artifacts_sql
from heron.store import schema as s
from heron.store.engine import insert_if_absent, upsert
from heron.store.values import dumps, loads

_m = s.registered_models.c
_v = s.model_versions.c
_a = s.model_aliases.c
_h = s.model_history.c
MODEL_ARTIFACT_TYPE = "model"


@dataclass
class Changes:
    """What one transaction appended: history entries and the events to announce."""

    events: list[ModelEvent]

    @classmethod
    def none(cls) -> Changes:
        return cls([])


# --- models ---------------------------------------------------------------------------


def create_model(
    conn: Connection,
    name: str,
    actor: Actor,
    now: float,
    *,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    protected: Sequence[str] = (),
    exist_ok: bool = False,
) -> RegisteredModel:
    check_name(name, "model name")
    row = {
        "name": name,
        "description": rules.check_description(description),
        "tags": dumps(rules.check_tags(tags)),
        "protected": dumps(list(rules.check_protected(protected))),
        "created_by": actor.name,
        "created_at": now,
        "updated_at": now,
    }
    if protected:
        rules.require_admin(actor, "protect stages or aliases")
    if not insert_if_absent(conn, s.registered_models, row, ["name"]) and not exist_ok:
        raise Conflict(f"model {name!r} exists already; pick another name or use it")
    return reads.one_model(conn, name)


def update_model(
    conn: Connection,
    name: str,
    actor: Actor,
    now: float,
    *,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    protected: Sequence[str] | None = None,
) -> RegisteredModel:
    model = reads.model_row(conn, name, lock=True)
    values: dict[str, Any] = {"updated_at": now}
    if description is not None:
        values["description"] = rules.check_description(description)
    if tags is not None:
        values["tags"] = dumps(rules.check_tags(tags))
    if protected is not None:
        rules.require_admin(actor, "change which stages and aliases are protected")
        values["protected"] = dumps(list(rules.check_protected(protected)))
    conn.execute(update(s.registered_models).where(_m.id == model["id"]).values(**values))
    return reads.one_model(conn, name)


# --- versions -------------------------------------------------------------------------


def create_version(
    conn: Connection,
    name: str,
    source: ArtifactSource,
    actor: Actor,
    now: float,
    *,
    run_id: str | None,
    description: str = "",
    tags: Mapping[str, str] | None = None,
) -> tuple[ModelVersion, Changes]:
    check_name(name, "model name")
    clean_tags = rules.check_tags(tags)
    clean_description = rules.check_description(description)
    create_model(conn, name, actor, now, exist_ok=True)
    model = reads.model_row(conn, name, lock=True)
    artifact_id, run_id = _artifact_for(conn, name, source, run_id, now)
    artifact = artifacts_sql.by_id(conn, artifact_id)
    number = reads.newest_version(conn, int(model["id"])) + 1
    # The model row lock (SQLite: the write lock) makes max+1 safe; the unique
    # constraint on (model_id, version) would refuse a duplicate if it ever were not.
    result = conn.execute(
        insert(s.model_versions).values(
            model_id=model["id"],
            version=number,
            stage="none",
            description=clean_description,
            tags=dumps(clean_tags),
            run_id=run_id,
            artifact_id=artifact_id,
            artifact_digest=artifact.digest,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    _hold_artifact(conn, artifact_id, int(key[0]))
    conn.execute(update(s.registered_models).where(_m.id == model["id"]).values(updated_at=now))
    event = ModelEvent("version-created", name, number, now, actor.name)
    return reads.one_version(conn, model, number), Changes([event])


def _artifact_for(
    conn: Connection, model: str, source: ArtifactSource, run_id: str | None, now: float
) -> tuple[int, str | None]:
    """The artifact version id a new model version points at, and its source run."""
    if (source.version_id is None) == (not source.files):
        raise InvalidInput("a model version needs either an artifact version id or files")
    if source.version_id is not None:
        artifact = artifacts_sql.by_id(conn, int(source.version_id))
        if run_id is None:
            return artifact.id, artifact.created_by
        if artifact.created_by != run_id and run_id not in artifact.used_by:
            raise InvalidInput(
                f"artifact {artifact.ref} (id {artifact.id}) was neither logged nor used by "
                f"run {run_id!r}; register it from the run that made it"
            )
        return artifact.id, run_id
    if run_id is None:
        raise InvalidInput("registering files needs the run that produced them")
    project_id = conn.execute(select(s.runs.c.project_id).where(s.runs.c.id == run_id)).scalar()
    if project_id is None:
        raise NotFound(f"run {run_id!r} not found")
    for f in source.files:
        parse_digest(f.digest)
    artifact_name = check_name(source.name or model, "artifact name")
    files = [{"path": f.path, "digest": f.digest, "size": f.size} for f in source.files]
    event = {
        "name": artifact_name,
        "artifact_type": MODEL_ARTIFACT_TYPE,
        "files": files,
        "aliases": [],
        "metadata": dict(source.metadata),
        "time": now,
    }
    artifacts_sql.log_artifact(conn, int(project_id), run_id, event, now)
    digest = manifest_digest(artifacts_sql.file_entry(f) for f in files)
    av = s.artifact_versions.c
    found = conn.execute(
        select(av.id)
        .where(av.project_id == project_id, av.name == artifact_name, av.digest == digest)
        .order_by(desc(av.version))
        .limit(1)
    ).scalar_one()
    return int(found), run_id


def _hold_artifact(conn: Connection, artifact_id: int, model_version_id: int) -> None:
    """An artifact alias per model version: checkpoint retention keeps aliased
    versions, so a registered checkpoint is never deleted under the registry."""
    av = s.artifact_versions.c
    row = conn.execute(select(av.project_id, av.name).where(av.id == artifact_id)).one()
    upsert(
        conn,
        s.artifact_aliases,
        {
            "project_id": row.project_id,
            "name": row.name,
            "alias": f"registry-{model_version_id}",
            "version_id": artifact_id,
        },
        ["project_id", "name", "alias"],
        ["version_id"],
    )


# --- stages ---------------------------------------------------------------------------


def transition(
    conn: Connection,
    name: str,
    version: int,
    stage: str,
    actor: Actor,
    now: float,
    *,
    reason: str | None = None,
    archive_existing: bool = True,
) -> tuple[ModelVersion, Changes]:
    target = rules.check_stage(stage)
    reason = rules.check_reason(reason)
    model = reads.model_row(conn, name, lock=True)
    row = reads.version_row(conn, model, rules.check_version(version))
    protected = _protected(model)
    current: Stage = row["stage"]
    if current == target:
        return reads.one_version(conn, model, row["version"]), Changes.none()
    rules.guard(actor, protected, [current, target], f"move version {row['version']} to {target}")
    changes = Changes.none()
    _move(conn, model, row, target, actor, now, reason, None, changes)
    if target == "production" and archive_existing:
        others = conn.execute(
            select(s.model_versions)
            .where(_v.model_id == model["id"], _v.stage == "production", _v.id != row["id"])
            .order_by(_v.version)
        ).mappings()
        why = f"version {row['version']} moved to production" + (f": {reason}" if reason else "")
        for other in list(others):
            _move(conn, model, other, "archived", actor, now, why, None, changes)
    return reads.one_version(conn, model, row["version"]), changes


def _move(
    conn: Connection,
    model: RowMapping,
    row: RowMapping,
    target: Stage,
    actor: Actor,
    now: float,
    reason: str | None,
    rollback_of: int | None,
    changes: Changes,
) -> None:
    conn.execute(
        update(s.model_versions).where(_v.id == row["id"]).values(stage=target, updated_at=now)
    )
    entry = _append(
        conn,
        model,
        int(row["version"]),
        "stage",
        None,
        row["stage"],
        target,
        actor,
        now,
        reason,
        rollback_of,
    )
    changes.events.append(_event("stage-changed", entry))


# --- aliases --------------------------------------------------------------------------


def set_alias(
    conn: Connection,
    name: str,
    version: int,
    alias: str,
    actor: Actor,
    now: float,
    *,
    reason: str | None = None,
    rollback_of: int | None = None,
    changes: Changes | None = None,
) -> tuple[ModelVersion, Changes]:
    alias = rules.check_alias(alias)
    reason = rules.check_reason(reason)
    model = reads.model_row(conn, name, lock=True)
    row = reads.version_row(conn, model, rules.check_version(version))
    changes = changes if changes is not None else Changes.none()
    current = reads.alias_holder(conn, int(model["id"]), alias)
    if current == row["version"] and rollback_of is None:
        return reads.one_version(conn, model, row["version"]), changes
    rules.guard(actor, _protected(model), [alias], f"move alias {alias!r}")
    upsert(
        conn,
        s.model_aliases,
        {"model_id": model["id"], "alias": alias, "version_id": row["id"]},
        ["model_id", "alias"],
        ["version_id"],
    )
    entry = _append(
        conn,
        model,
        int(row["version"]),
        "alias",
        alias,
        _text(current),
        str(row["version"]),
        actor,
        now,
        reason,
        rollback_of,
    )
    changes.events.append(_event("alias-changed", entry))
    return reads.one_version(conn, model, row["version"]), changes


def remove_alias(
    conn: Connection,
    name: str,
    alias: str,
    actor: Actor,
    now: float,
    *,
    reason: str | None = None,
    rollback_of: int | None = None,
    changes: Changes | None = None,
) -> Changes:
    alias = rules.check_alias(alias)
    reason = rules.check_reason(reason)
    model = reads.model_row(conn, name, lock=True)
    changes = changes if changes is not None else Changes.none()
    current = reads.alias_holder(conn, int(model["id"]), alias)
    if current is None:
        raise NotFound(f"model {name!r} has no alias {alias!r}")
    rules.guard(actor, _protected(model), [alias], f"remove alias {alias!r}")
    conn.execute(delete(s.model_aliases).where(_a.model_id == model["id"], _a.alias == alias))
    entry = _append(
        conn, model, current, "alias", alias, str(current), None, actor, now, reason, rollback_of
    )
    changes.events.append(_event("alias-changed", entry))
    return changes


# --- rollback -------------------------------------------------------------------------


def rollback(
    conn: Connection,
    name: str,
    actor: Actor,
    now: float,
    *,
    stage: str | None = None,
    alias: str | None = None,
    reason: str | None = None,
) -> tuple[ModelVersion | None, Changes]:
    if (stage is None) == (alias is None):
        raise InvalidInput("roll back either a stage or an alias (exactly one)")
    reason = rules.check_reason(reason)
    model = reads.model_row(conn, name, lock=True)
    if stage is not None:
        return _rollback_stage(conn, model, rules.check_rollback_stage(stage), actor, now, reason)
    checked = rules.check_alias(alias)
    rules.guard(actor, _protected(model), [checked], f"roll back alias {checked!r}")
    steps = [
        rules.Step(e.id, None if e.to_value is None else int(e.to_value), e.rollback_of)
        for e in reads.history(conn, model, [_h.kind == "alias", _h.name == checked])
    ]
    undo = rules.plan_rollback(steps, f"alias {checked!r} of model {name!r}")
    why = reason or f"rollback of alias {checked}"
    changes = Changes.none()
    if undo.target is None:
        remove_alias(
            conn, name, checked, actor, now, reason=why, rollback_of=undo.undone, changes=changes
        )
        return None, changes
    return set_alias(
        conn,
        name,
        undo.target,
        checked,
        actor,
        now,
        reason=why,
        rollback_of=undo.undone,
        changes=changes,
    )


def _rollback_stage(
    conn: Connection, model: RowMapping, stage: Stage, actor: Actor, now: float, reason: str | None
) -> tuple[ModelVersion, Changes]:
    rules.guard(actor, _protected(model), [stage], f"roll back {stage}")
    steps = [
        rules.Step(e.id, e.version, e.rollback_of)
        for e in reads.history(conn, model, [_h.kind == "stage", _h.to_value == stage])
    ]
    undo = rules.plan_rollback(steps, f"{stage} of model {model['name']!r}")
    assert undo.current is not None and undo.target is not None  # stage steps have versions
    why = reason or f"rollback of {stage}"
    changes = Changes.none()
    current = reads.version_row(conn, model, undo.current)
    if current["stage"] == stage:
        _move(conn, model, current, "archived", actor, now, why, undo.undone, changes)
    # Written even when the target is in the stage already: this entry is the pop.
    target = reads.version_row(conn, model, undo.target)
    _move(conn, model, target, stage, actor, now, why, undo.undone, changes)
    return reads.one_version(conn, model, undo.target), changes


# --- helpers --------------------------------------------------------------------------


def resolve(conn: Connection, name: str, ref: str) -> ModelVersion:
    model = reads.model_row(conn, name)
    text = str(ref).strip()
    if text.isascii() and text.isdigit():
        return reads.one_version(conn, model, rules.check_version(text))
    if text.lower() in STAGES:
        stage = rules.check_stage(text)
        number = reads.highest_in_stage(conn, int(model["id"]), stage)
        if number is None:
            raise NotFound(f"model {name!r} has no version in stage {stage}")
        return reads.one_version(conn, model, number)
    holder = reads.alias_holder(conn, int(model["id"]), text)
    if holder is None and text == "latest":
        holder = reads.newest_version(conn, int(model["id"])) or None
    if holder is None:
        raise NotFound(f"model {name!r} has no alias {text!r} (nor a version or stage so named)")
    return reads.one_version(conn, model, holder)


def _protected(model: RowMapping) -> tuple[str, ...]:
    return tuple(loads(model["protected"]) or ())


def _text(version: int | None) -> str | None:
    return None if version is None else str(version)


def _append(
    conn: Connection,
    model: RowMapping,
    version: int | None,
    kind: str,
    name: str | None,
    from_value: str | None,
    to_value: str | None,
    actor: Actor,
    now: float,
    reason: str | None,
    rollback_of: int | None,
) -> HistoryEntry:
    """The one place history rows are written: an INSERT, never an UPDATE or DELETE."""
    row = {
        "model_id": model["id"],
        "version": version,
        "kind": kind,
        "name": name,
        "from_value": from_value,
        "to_value": to_value,
        "actor": actor.name,
        "actor_admin": actor.is_admin,
        "reason": reason,
        "time": now,
        "rollback_of": rollback_of,
    }
    key = conn.execute(insert(s.model_history).values(**row)).inserted_primary_key
    assert key is not None
    stored = {**row, "id": int(key[0])}
    return reads.history_entry(model["name"], stored)  # type: ignore[arg-type]


def _event(name: str, entry: HistoryEntry) -> ModelEvent:
    return ModelEvent(
        name,  # type: ignore[arg-type]
        entry.model,
        entry.version,
        entry.time,
        entry.actor,
        entry,
    )
