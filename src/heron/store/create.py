"""Creating projects and runs inside a write transaction (``create_run`` and ingest)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from heron.errors import InvalidInput
from heron.ids import default_run_name
from heron.keys import (
    check_name,
    check_tag,
)
from heron.store import schema as s
from heron.store.base import RunSpec
from heron.store.checks import check_config_path, check_spec
from heron.store.engine import insert_if_absent, upsert
from heron.store.values import dumps, flatten_config

_SPEC_FIELDS = frozenset(f.name for f in fields(RunSpec))


def spec_from_event(run_id: str, event: Mapping[str, Any]) -> RunSpec:
    """The RunSpec carried by a ``{"type": "create", "spec": {...}}`` event."""
    raw = event.get("spec")
    if not isinstance(raw, Mapping):
        raise InvalidInput('a "create" event needs a "spec" object with the RunSpec fields')
    spec = {k: v for k, v in raw.items() if k in _SPEC_FIELDS}
    spec.setdefault("id", run_id)
    if spec["id"] != run_id:
        raise InvalidInput(f"create event for run {spec['id']!r} in a batch of run {run_id!r}")
    if "project" not in spec:
        raise InvalidInput('a "create" event\'s spec needs a "project"')
    spec["tags"] = tuple(spec.get("tags") or ())
    return RunSpec(**spec)


def ensure_project(conn: Connection, name: str, now: float) -> int:
    """The project's id, creating the project on first use (concurrent creators agree)."""
    check_name(name, "project name")
    query = select(s.projects.c.id).where(s.projects.c.name == name)
    project_id = conn.execute(query).scalar()
    if project_id is None:
        # ON CONFLICT DO NOTHING: a concurrent creator's row wins and we read it back.
        upsert(conn, s.projects, {"name": name, "created_at": now}, ["name"])
        project_id = conn.execute(query).scalar_one()
    return int(project_id)


def create_run(conn: Connection, spec: RunSpec, now: float) -> bool:
    """Insert the run unless ``spec.id`` exists; True when this call created it."""
    check_spec(spec)
    if conn.execute(select(s.runs.c.id).where(s.runs.c.id == spec.id)).first() is not None:
        return False
    tags = sorted({check_tag(t) for t in spec.tags})
    config_rows = [
        {"run_id": spec.id, "key": check_config_path(k), "vtype": vt, "num": num, "text": text}
        for k, vt, num, text in flatten_config(spec.config)
    ]
    project_id = ensure_project(conn, spec.project, now)
    name = spec.name if spec.name else _default_name(conn, project_id)
    inserted = insert_if_absent(
        conn,
        s.runs,
        {
            "id": spec.id,
            "project_id": project_id,
            "name": name,
            "group_name": spec.group,
            "state": "running",
            "notes": spec.notes or "",
            "config": dumps(spec.config),
            "system": dumps(spec.system),
            "created_at": spec.created_at or now,
            "resume_key": spec.resume_key,
            "created_by": spec.created_by,
            "ingested_seq": -1,
            "updated_at": now,
        },
        ["id"],
    )
    if not inserted:
        return False  # PostgreSQL: a concurrent create_run of the same id won
    if tags:
        conn.execute(insert(s.run_tags), [{"run_id": spec.id, "tag": t} for t in tags])
    if config_rows:
        conn.execute(insert(s.run_config), config_rows)
    return True


def _default_name(conn: Connection, project_id: int) -> str:
    """``adjective-noun-N`` with N the project's run count + 1, unique in the project."""
    if conn.dialect.name == "postgresql":
        # Serialise default naming per project (NO KEY UPDATE leaves FK checks alone).
        conn.execute(
            select(s.projects.c.id)
            .where(s.projects.c.id == project_id)
            .with_for_update(key_share=True)
        )
    count = conn.execute(
        select(func.count()).select_from(s.runs).where(s.runs.c.project_id == project_id)
    ).scalar_one()
    for attempt in range(1000):
        name = default_run_name(count + 1 + attempt // 4)
        clash = conn.execute(
            select(s.runs.c.id).where(s.runs.c.project_id == project_id, s.runs.c.name == name)
        ).first()
        if clash is None:
            return name
    raise AssertionError("unreachable: the sequence number grows past every taken name")
