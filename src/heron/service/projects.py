"""The rules about a project's marks: its tags and its deletion (what MLflow's client
calls an experiment's tags and lifecycle stage; docs/compatibility.md), and its name.

A deleted project is left out of project lists (``Tracking.projects``: Heron's UI,
``heron.Api``, MLflow's active experiments); its runs stay, readable by id and by
search, and a restore brings it back. Reading marks takes read access to the project,
changing tags write access, deleting and restoring the project's admin role. Marks
live beside the database (``heron.store.project_marks``).

Renaming a project (:meth:`Projects.rename`, MLflow's experiments/update) takes its
admin role; the new name follows the rule of project names (``heron.keys.check_name``)
and must name nothing yet. Its runs, members, alert rules and alerts, saved views,
reports and marks move in one transaction (``heron.store.project_rename``); the audit
log keeps the names it was written with. A sweep's YAML keeps the project it names.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from heron.errors import Conflict, InvalidInput, NotFound
from heron.keys import check_name
from heron.service.runs import Tracking
from heron.store import project_rename
from heron.store.project_marks import ProjectMarks, SqlProjectMarks
from heron.store.sql import SqlStore

MAX_TAG_KEY = 250  # characters (MLflow's limit for an experiment tag's key)
MAX_TAG_VALUE = 5000  # characters (MLflow's limit for an experiment tag's value)
MAX_TAGS = 1000  # per project


class Projects:
    """Project marks for ``tracking``'s caller."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    def _store(self) -> SqlProjectMarks:
        if not isinstance(self.tracking.store, SqlStore):
            raise InvalidInput("project tags and deletion are changed on the server's own store")
        return SqlProjectMarks(self.tracking.store)

    def _known(self, project: str) -> None:
        if not any(p.name == project for p in self.tracking.store.list_projects()):
            raise NotFound(f"project {project!r} has no runs yet")

    def marks(self, project: str) -> ProjectMarks:
        self.tracking.authorize("read", project)
        return self._store().get(project)

    def deleted(self) -> dict[str, float]:
        """Deleted projects the caller may read, and when they were deleted."""
        found = self._store().deleted()
        return {p: at for p, at in found.items() if self.tracking.caller.may("read", p)}

    def set_tags(
        self, project: str, tags: Mapping[str, str], remove: Sequence[str] = ()
    ) -> ProjectMarks:
        self.tracking.authorize("write", project)
        for key, value in tags.items():
            if not key or len(key) > MAX_TAG_KEY:
                raise InvalidInput(f"a project tag's key has 1 to {MAX_TAG_KEY} characters")
            if len(value) > MAX_TAG_VALUE:
                raise InvalidInput(
                    f"the value of project tag {key!r} has {len(value)} characters; "
                    f"at most {MAX_TAG_VALUE}"
                )
        store = self._store()
        current = store.get(project)
        missing = [k for k in remove if k not in current.tags]
        if missing:
            raise NotFound(f"project {project!r} has no tag {missing[0]!r}")
        if len({**current.tags, **tags}) > MAX_TAGS:
            raise InvalidInput(f"a project has at most {MAX_TAGS} tags")
        marks = store.set_tags(project, tags, remove)
        self.tracking.audit("project.tags", project, {"set": sorted(tags), "removed": list(remove)})
        return marks

    def delete(self, project: str) -> None:
        self.tracking.authorize("admin", project)
        self._known(project)
        store = self._store()
        if store.get(project).deleted_at is None:
            store.mark_deleted(project, time.time())
            self.tracking.audit("project.delete", project)

    def restore(self, project: str) -> None:
        self.tracking.authorize("admin", project)
        store = self._store()
        if store.get(project).deleted_at is not None:
            store.mark_deleted(project, None)
            self.tracking.audit("project.restore", project)

    def rename(self, project: str, new_name: str) -> dict[str, int]:
        """Rename ``project`` to ``new_name`` (admin of ``project``): InvalidInput for a
        name project creation would refuse, Conflict when ``new_name`` is taken,
        NotFound when nothing names ``project``. Returns the rows moved per table."""
        self.tracking.authorize("admin", project)
        check_name(new_name, "new project name")
        if new_name == project:
            raise InvalidInput(f"project {project!r} already has that name")
        if not isinstance(self.tracking.store, SqlStore):
            raise InvalidInput("a project is renamed on the server's own store")
        moved = project_rename.rename(self.tracking.store, project, new_name)
        self.tracking.project_renamed(project, new_name)
        self.tracking.audit("project.rename", project, {"new_name": new_name, "moved": moved})
        return moved

    def check_active(self, project: str) -> None:
        """Conflict when ``project`` is deleted (nothing new goes into it)."""
        if isinstance(self.tracking.store, SqlStore) and self._store().get(project).deleted_at:
            raise Conflict(f"project {project!r} is deleted; restore it first")
