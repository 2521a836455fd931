"""What the store accepts of a run, checked before anything is written: run ids,
times, the fields of a new run, config paths. Without SQLAlchemy, so the SDK checks a
run with the store's own rules before it starts (a remote run's record is refused by
the server only when shipped, which would stop its shipper)."""

from __future__ import annotations

import math
import re
import time

from heron.errors import InvalidInput
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
from heron.nested import leaves
from heron.store.base import RunSpec

# Ids are 10 characters of [a-z0-9] from heron.ids; the store accepts any short token.
RUN_ID = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
MAX_FUTURE_S = 86_400.0  # a time (created_at, heartbeat, crash) at most a day ahead


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise InvalidInput(
            f"run id {run_id!r} is not valid: use 1-32 letters, digits, '_' or '-' "
            "(heron.ids.new_run_id makes one)"
        )
    return run_id


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
    for path, _ in leaves(spec.config):
        check_config_path(path)
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
