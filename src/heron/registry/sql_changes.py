"""Registry changes inside one write transaction each: models, versions, stages,
aliases, rollbacks. Every function locks the model row first (heron.registry.base,
"Concurrency") and returns what it did plus the events to announce after commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, desc, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from heron.artifacts.digest import manifest_digest
from heron.errors import Conflict, InvalidInput, NotFound
from heron.keys import check_name
from heron.registry import rules
from heron.registry import sql_reads as reads
from heron.registry.base import (
    STAGES,
    Actor,
    HistoryEntry,
    ModelEvent,
    ModelVersion,
    RegisteredModel,
    Stage,
)
from heron.registry.requests import (
    AliasMove,
    ModelUpdate,
    NewModel,
    NewVersion,
    Rollback,
    Transition,
    VersionUpdate,
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
    conn: Connection, request: NewModel, actor: Actor, now: float, *, exist_ok: bool = False
) -> RegisteredModel:
    name = check_name(request.name, "model name")
    protected = rules.check_protected(request.protected)
    row = {
        "name": name,
        "description": rules.check_description(request.description),
        "tags": dumps(rules.check_tags(request.tags)),
        "protected": dumps(list(protected)),
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
    conn: Connection, name: str, request: ModelUpdate, actor: Actor, now: float
) -> RegisteredModel:
    model = reads.model_row(conn, name, lock=True)
    values: dict[str, Any] = {"updated_at": now}
    if request.description is not None:
        values["description"] = rules.check_description(request.description)
    if request.tags is not None:
        values["tags"] = dumps(rules.check_tags(request.tags))
    if request.protected is not None:
        rules.require_admin(actor, "change which stages and aliases are protected")
        values["protected"] = dumps(list(rules.check_protected(request.protected)))
    conn.execute(update(s.registered_models).where(_m.id == model["id"]).values(**values))
    return reads.one_model(conn, name)


# --- versions -------------------------------------------------------------------------


def create_version(
    conn: Connection, name: str, request: NewVersion, actor: Actor, now: float
) -> tuple[ModelVersion, Changes]:
    check_name(name, "model name")
    clean_tags = rules.check_tags(request.tags)
    clean_description = rules.check_description(request.description)
    create_model(conn, NewModel(name), actor, now, exist_ok=True)
    model = reads.model_row(conn, name, lock=True)
    artifact_id, run_id = _artifact_for(conn, name, request, now)
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
    conn: Connection, model: str, request: NewVersion, now: float
) -> tuple[int, str | None]:
    """The artifact version id a new model version points at, and its source run."""
    files = rules.check_files(request.files)
    run_id = request.run_id
    if (request.artifact_id is None) == (not files):
        raise InvalidInput("a model version needs either an artifact version id or files")
    if request.artifact_id is not None:
        artifact = artifacts_sql.by_id(conn, int(request.artifact_id))
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
    artifact_name = check_name(request.artifact_name or model, "artifact name")
    entries = [{"path": f.path, "digest": f.digest, "size": f.size} for f in files]
    event = {
        "name": artifact_name,
        "artifact_type": MODEL_ARTIFACT_TYPE,
        "files": entries,
        "aliases": [],
        "metadata": rules.check_metadata(request.metadata),
        "single_file": bool(request.single_file),
        "time": now,
    }
    artifacts_sql.log_artifact(conn, int(project_id), run_id, event, now)
    digest = manifest_digest(artifacts_sql.file_entry(f) for f in entries)
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
    conn: Connection, name: str, request: Transition, actor: Actor, now: float
) -> tuple[ModelVersion, Changes]:
    target = rules.check_stage(request.stage)
    reason = rules.check_reason(request.reason)
    number = rules.check_version(request.version)
    model = reads.model_row(conn, name, lock=True)
    row = reads.version_row(conn, model, number)
    protected = _protected(model)
    current: Stage = row["stage"]
    if current == target:
        return reads.one_version(conn, model, number), Changes.none()
    rules.guard(actor, protected, [current, target], f"move version {number} to {target}")
    changes = Changes.none()
    _move(conn, model, row, target, actor, now, reason, None, changes)
    if target == "production" and request.archive_existing:
        others = conn.execute(
            select(s.model_versions)
            .where(_v.model_id == model["id"], _v.stage == "production", _v.id != row["id"])
            .order_by(_v.version)
        ).mappings()
        why = f"version {number} moved to production" + (f": {reason}" if reason else "")
        for other in list(others):
            _move(conn, model, other, "archived", actor, now, why, None, changes)
    return reads.one_version(conn, model, number), changes


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
    conn: Connection, name: str, request: AliasMove, actor: Actor, now: float
) -> tuple[ModelVersion, Changes]:
    alias = rules.check_alias(request.alias)
    reason = rules.check_reason(request.reason)
    number = rules.check_version(request.version)
    model = reads.model_row(conn, name, lock=True)
    changes = Changes.none()
    return _point_alias(conn, model, number, alias, actor, now, reason, None, changes), changes


def remove_alias(
    conn: Connection, name: str, alias: str, actor: Actor, now: float, *, reason: str | None
) -> Changes:
    checked = rules.check_alias(alias)
    why = rules.check_reason(reason)
    model = reads.model_row(conn, name, lock=True)
    changes = Changes.none()
    _drop_alias(conn, model, checked, actor, now, why, None, changes)
    return changes


def _point_alias(
    conn: Connection,
    model: RowMapping,
    version: int,
    alias: str,
    actor: Actor,
    now: float,
    reason: str | None,
    rollback_of: int | None,
    changes: Changes,
) -> ModelVersion:
    row = reads.version_row(conn, model, version)
    current = reads.alias_holder(conn, int(model["id"]), alias)
    if current == version and rollback_of is None:
        return reads.one_version(conn, model, version)
    rules.guard(actor, _protected(model), [alias], f"move alias {alias!r}")
    upsert(
        conn,
        s.model_aliases,
        {"model_id": model["id"], "alias": alias, "version_id": row["id"]},
        ["model_id", "alias"],
        ["version_id"],
    )
    entry = _append(
        conn, model, version, "alias", alias, _text(current), str(version), actor, now, reason,
        rollback_of,
    )  # fmt: skip
    changes.events.append(_event("alias-changed", entry))
    return reads.one_version(conn, model, version)


def _drop_alias(
    conn: Connection,
    model: RowMapping,
    alias: str,
    actor: Actor,
    now: float,
    reason: str | None,
    rollback_of: int | None,
    changes: Changes,
) -> None:
    current = reads.alias_holder(conn, int(model["id"]), alias)
    if current is None:
        raise NotFound(f"model {model['name']!r} has no alias {alias!r}")
    rules.guard(actor, _protected(model), [alias], f"remove alias {alias!r}")
    conn.execute(delete(s.model_aliases).where(_a.model_id == model["id"], _a.alias == alias))
    entry = _append(
        conn, model, current, "alias", alias, str(current), None, actor, now, reason, rollback_of
    )
    changes.events.append(_event("alias-changed", entry))


# --- edits: a version's description and tags, deleting versions and models, renaming --
# Protections hold: a version in a protected stage or holding a protected alias is
# deleted only by an admin, and so is a model with such a version. Deleting a model
# deletes its versions, aliases, webhooks and history; deleting a version drops its
# aliases (the history says so) and the artifact hold that kept its files from
# checkpoint retention (the run's artifact version itself stays).


def update_version(
    conn: Connection, name: str, version: int, request: VersionUpdate, now: float
) -> ModelVersion:
    model = reads.model_row(conn, name, lock=True)
    row = reads.version_row(conn, model, rules.check_version(version))
    values: dict[str, object] = {"updated_at": now}
    if request.description is not None:
        values["description"] = rules.check_description(request.description)
    if request.tags is not None:
        values["tags"] = dumps(rules.check_tags(request.tags))
    conn.execute(update(s.model_versions).where(_v.id == row["id"]).values(**values))
    return reads.one_version(conn, model, int(row["version"]))


def _guard_version(actor: Actor, model: RowMapping, version: ModelVersion, what: str) -> None:
    rules.guard(actor, _protected(model), [version.stage, *version.aliases], what)


def delete_version(conn: Connection, name: str, version: int, actor: Actor, now: float) -> Changes:
    model = reads.model_row(conn, name, lock=True)
    row = reads.version_row(conn, model, rules.check_version(version))
    found = reads.one_version(conn, model, int(row["version"]))
    _guard_version(actor, model, found, f"delete version {found.version}")
    changes = Changes.none()
    for alias in found.aliases:
        conn.execute(delete(s.model_aliases).where(_a.model_id == model["id"], _a.alias == alias))
        entry = _append(
            conn, model, found.version, "alias", alias, str(found.version), None, actor, now,
            f"version {found.version} deleted", None,
        )  # fmt: skip
        changes.events.append(_event("alias-changed", entry))
    _release_holds(conn, [int(row["id"])])
    conn.execute(delete(s.model_versions).where(_v.id == row["id"]))
    conn.execute(update(s.registered_models).where(_m.id == model["id"]).values(updated_at=now))
    return changes


def rename_model(conn: Connection, name: str, new_name: str, now: float) -> RegisteredModel:
    model = reads.model_row(conn, name, lock=True)
    checked = check_name(new_name, "model name")
    if checked != name:
        taken = conn.execute(select(_m.id).where(_m.name == checked)).first()
        if taken is not None:
            raise Conflict(f"model {checked!r} exists already; pick another name")
        conn.execute(
            update(s.registered_models)
            .where(_m.id == model["id"])
            .values(name=checked, updated_at=now)
        )
    return reads.one_model(conn, checked)


def delete_model(conn: Connection, name: str, actor: Actor) -> None:
    model = reads.model_row(conn, name, lock=True)
    for found in reads.versions(conn, model, []):
        _guard_version(actor, model, found, f"delete model {name!r}")
    ids = [int(i) for i in conn.execute(select(_v.id).where(_v.model_id == model["id"])).scalars()]
    _release_holds(conn, ids)
    w = s.webhooks.c
    hooks = select(w.id).where(w.model_id == model["id"])
    conn.execute(delete(s.webhook_deliveries).where(s.webhook_deliveries.c.webhook_id.in_(hooks)))
    conn.execute(delete(s.webhooks).where(w.model_id == model["id"]))
    conn.execute(delete(s.model_aliases).where(_a.model_id == model["id"]))
    conn.execute(delete(s.model_history).where(_h.model_id == model["id"]))
    conn.execute(delete(s.model_versions).where(_v.model_id == model["id"]))
    conn.execute(delete(s.registered_models).where(_m.id == model["id"]))


def _release_holds(conn: Connection, version_ids: list[int]) -> None:
    """Drop the artifact aliases (``registry-<id>``) that kept these versions' files."""
    if version_ids:
        aa = s.artifact_aliases.c
        held = [f"registry-{i}" for i in version_ids]
        conn.execute(delete(s.artifact_aliases).where(aa.alias.in_(held)))


# --- rollback -------------------------------------------------------------------------


def rollback(
    conn: Connection, name: str, request: Rollback, actor: Actor, now: float
) -> tuple[ModelVersion | None, Changes]:
    if (request.stage is None) == (request.alias is None):
        raise InvalidInput("roll back either a stage or an alias (exactly one)")
    reason = rules.check_reason(request.reason)
    if request.stage is not None:
        stage = rules.check_rollback_stage(request.stage)
        model = reads.model_row(conn, name, lock=True)
        return _rollback_stage(conn, model, stage, actor, now, reason)
    alias = rules.check_alias(request.alias)
    model = reads.model_row(conn, name, lock=True)
    rules.guard(actor, _protected(model), [alias], f"roll back alias {alias!r}")
    steps = [
        rules.Step(e.id, None if e.to_value is None else int(e.to_value), e.rollback_of)
        for e in reads.history(conn, model, [_h.kind == "alias", _h.name == alias])
    ]
    undo = rules.plan_rollback(steps, f"alias {alias!r} of model {name!r}")
    why = reason or f"rollback of alias {alias}"
    changes = Changes.none()
    if undo.target is None:
        _drop_alias(conn, model, alias, actor, now, why, undo.undone, changes)
        return None, changes
    restored = _point_alias(conn, model, undo.target, alias, actor, now, why, undo.undone, changes)
    return restored, changes


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
