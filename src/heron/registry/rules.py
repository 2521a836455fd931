"""The registry's rules, free of SQL: names, stages, protection, the rollback stack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from heron.artifacts.digest import parse_digest
from heron.errors import Conflict, Forbidden, InvalidInput
from heron.keys import check_name
from heron.registry.base import ROLLBACK_STAGES, STAGES, Actor, Stage
from heron.store.base import FileEntry

MAX_REASON = 2000
MAX_DESCRIPTION = 10_000
MAX_FILES = 100_000  # files of one new version


def check_stage(stage: object) -> Stage:
    """A stage name, any case ("Production" is "production")."""
    if isinstance(stage, str):
        lowered = stage.strip().lower()
        for known in STAGES:
            if lowered == known:
                return known
    raise InvalidInput(f"stage {stage!r} is not one of {', '.join(STAGES)}")


def check_alias(alias: object) -> str:
    name = check_name(alias, "model alias")
    if name.isdigit() or name.lower() in STAGES:
        # models:/m/3 and models:/m/production must keep one meaning.
        raise InvalidInput(f"alias {name!r} would read as a version or a stage; pick another")
    return name


def check_version(version: object) -> int:
    """A version number (an int, or digits from a URL or the CLI), from 1."""
    number = 0
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    elif isinstance(version, str) and version.isascii() and version.isdigit():
        number = int(version)
    if number < 1:
        raise InvalidInput(f"model versions are numbers from 1, got {version!r}")
    return number


def check_reason(reason: object) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be a string of at most {MAX_REASON} characters")
    return reason


def check_description(text: object) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be a string of at most {MAX_DESCRIPTION} chars")
    return text


def check_tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    """String keys (``check_name``) to string values."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidInput(f"tags must be a mapping of name to text, got {tags!r}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        check_name(key, "tag name")
        if not isinstance(value, str | int | float | bool) or len(str(value)) > 5000:
            raise InvalidInput(f"tag {key!r}: values are short strings, got {value!r}")
        out[key] = str(value)
    return out


def check_files(files: Iterable[object]) -> tuple[FileEntry, ...]:
    """The files of a new version: well-formed blob digests, sizes from 0, at most
    MAX_FILES (paths are checked where the artifact is logged)."""
    if isinstance(files, str | bytes):
        raise InvalidInput("files takes a list of FileEntry(path, digest, size)")
    out: list[FileEntry] = []
    for entry in files:
        if len(out) == MAX_FILES:
            raise InvalidInput(f"a model version has at most {MAX_FILES} files")
        if not isinstance(entry, FileEntry):
            raise InvalidInput(f"files are FileEntry(path, digest, size), got {entry!r}")
        parse_digest(entry.digest)
        if isinstance(entry.size, bool) or not isinstance(entry.size, int) or entry.size < 0:
            raise InvalidInput(f"file {entry.path!r}: size must be a whole number from 0")
        out.append(entry)
    return tuple(out)


def check_metadata(metadata: object) -> dict[str, Any]:
    """The metadata of a new version's artifact: a JSON object."""
    if not isinstance(metadata, Mapping):
        raise InvalidInput(f"metadata must be a mapping, got {metadata!r}")
    return dict(metadata)


def check_protected(names: Iterable[object]) -> tuple[str, ...]:
    """Stages (lower-cased) and aliases, sorted and distinct."""
    if isinstance(names, str):
        raise InvalidInput("protected takes a list of stages and aliases, not one string")
    out: set[str] = set()
    for item in names:
        if isinstance(item, str) and item.strip().lower() in STAGES:
            out.add(check_stage(item))
        else:
            out.add(check_name(item, "protected alias"))
    return tuple(sorted(out))


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{actor.name!r} may not {what}: it takes an admin")


def guard(actor: Actor, protected: Sequence[str], names: Iterable[str | None], what: str) -> None:
    """Forbidden unless the actor is an admin or none of ``names`` is protected."""
    hit = sorted({n for n in names if n is not None and n in protected})
    if hit and not actor.is_admin:
        raise Forbidden(
            f"{actor.name!r} may not {what}: {', '.join(hit)} is protected on this model "
            "and only an admin may move it"
        )


@dataclass(frozen=True)
class Step:
    """A history entry as the rollback stack sees it."""

    id: int
    version: int | None  # the holder it put in place (None: the alias was removed)
    rollback_of: int | None


@dataclass(frozen=True)
class Undo:
    undone: int  # the history entry whose holder is popped
    current: int | None  # that holder
    target: int | None  # the holder restored (None: the alias goes away)


def plan_rollback(steps: Sequence[Step], what: str) -> Undo:
    """Replay pushes (forward moves) and pops (rollbacks) and undo the top.

    ``steps`` are the entries that put a holder in place, oldest first.
    """
    stack: list[Step] = []
    for step in steps:
        if step.rollback_of is None:
            stack.append(step)
        elif stack:
            stack.pop()
    if len(stack) < 2:
        raise Conflict(f"nothing to roll back to: {what} has had no earlier holder")
    return Undo(stack[-1].id, stack[-1].version, stack[-2].version)


def check_rollback_stage(stage: object) -> Stage:
    checked = check_stage(stage)
    if checked not in ROLLBACK_STAGES:
        raise InvalidInput(f"only {' and '.join(ROLLBACK_STAGES)} can be rolled back")
    return checked
