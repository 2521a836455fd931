"""Creating projects and runs inside a write transaction (``create_run`` and ingest)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from heron.errors import InvalidInput
from heron.ids import default_run_name
from heron.keys import (
    MAX_CONFIG_PATH_LENGTH,
    MAX_FREE_TEXT_BYTES,
    MAX_RESUME_KEY_LENGTH,
    check_label,
    check_name,
    check_strings,
    check_tag,
    check_text,
)
from heron.store import schema as s
from heron.store.base import RunSpec
from heron.store.engine import insert_if_absent, upsert
from heron.store.values import dumps, flatten_config

# Ids are 10 characters of [a-z0-9] from heron.ids; the store accepts any short token.
_RUN_ID = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
_SPEC_FIELDS = frozenset(f.name for f in fields(RunSpec))
MAX_FUTURE_S = 86_400.0  # a time (created_at, heartbeat, crash) at most a day ahead


def check_time(at: object, what: str, now: float | None = None) -> float:
    """A wall time in seconds: finite, >= 0 and at most a day past the server's clock."""
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise InvalidInput(f"{what} must be a number of seconds since the epoch, got {at!r}")
    value = float(at) if math.isfinite(at) else math.inf
    limit = (time.time() if now is None else now) + MAX_FUTURE_S
    if not math.isfinite(value) or value < 0 or value > limit:
        raise InvalidInput(
            f"{what} {at!r} is not a time Heron accepts: give seconds since the epoch, "
            "finite, not negative and at most a day past the server's clock"
        )
    return value


def check_spec(spec: RunSpec) -> None:
    """Every field of a new run that the store keeps, before a row is written."""
    check_run_id(spec.id)
    check_name(spec.project, "project name")
    if spec.name:
        check_label(spec.name, "run name")
    if spec.group is not None:
        check_label(spec.group, "group")
    for tag in spec.tags:
        check_tag(tag)
    check_text(spec.notes or "", "notes", MAX_FREE_TEXT_BYTES)
    if spec.resume_key is not None:
        check_text(spec.resume_key, "resume key")
        if len(spec.resume_key) > MAX_RESUME_KEY_LENGTH:
            raise InvalidInput(f"a resume key is at most {MAX_RESUME_KEY_LENGTH} characters")
    check_strings(spec.config, "config")
    check_strings(spec.system, "system info")
    if spec.created_at:
        check_time(spec.created_at, "created_at")


def check_config_path(path: str) -> str:
    if len(path) > MAX_CONFIG_PATH_LENGTH:
        raise InvalidInput(
            f"config key {path[:40]!r}... is {len(path):,} characters long; a dotted config "
            f"path is at most {MAX_CONFIG_PATH_LENGTH}"
        )
    return path


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise InvalidInput(
            f"run id {run_id!r} is not valid: use 1-32 letters, digits, '_' or '-' "
            "(heron.ids.new_run_id makes one)"
        )
    return run_id


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
