"""Saved views: a project's named views (a workspace layout plus the runs table's
filter, sort, columns and grouping), stored on the server and shared by link.

The rules, in one place (the REST routes are a skin over :class:`Views`):

- reading a project's views needs ``read`` on the project (a viewer), saving, renaming
  and deleting one needs ``write`` (an editor), both through
  :func:`heron.service.access.authorize`;
- a view's name is 1-:data:`MAX_VIEW_NAME_LENGTH` characters (a label: no control
  characters, no leading or trailing spaces), unique within its project;
- its state is a JSON object of at most :data:`MAX_VIEW_STATE_BYTES` bytes (compact
  UTF-8), nested at most :data:`MAX_VIEW_DEPTH` deep, finite numbers only;
- a project holds at most :data:`MAX_VIEWS_PER_PROJECT` views;
- a view's id is random (16 hex digits): the link ``/p/<project>/workspace?view=<id>``
  names it.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from heron.errors import InvalidInput, NotFound, PayloadTooLarge
from heron.keys import check_label, check_strings
from heron.service.access import Caller, authorize
from heron.store import views_sql as sql
from heron.store.engine import Transactor
from heron.store.views_sql import SavedView, ViewListing

MAX_VIEW_NAME_LENGTH = 128
MAX_VIEW_STATE_BYTES = 256 * 1024
MAX_VIEW_DEPTH = 32
MAX_VIEWS_PER_PROJECT = 500
_VIEW_ID = re.compile(r"^[0-9a-f]{16}$")

__all__ = [
    "MAX_VIEWS_PER_PROJECT",
    "MAX_VIEW_DEPTH",
    "MAX_VIEW_NAME_LENGTH",
    "MAX_VIEW_STATE_BYTES",
    "SavedView",
    "ViewListing",
    "Views",
    "check_view_state",
]


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar: 0), stopping once past ``limit``."""
    if isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return 0
    deepest = 0
    for child in children:
        deepest = max(deepest, _depth(child, limit))
        if deepest > limit:
            break
    return deepest + 1


def check_view_state(state: object) -> str:
    """``state`` as compact JSON text, or InvalidInput / PayloadTooLarge saying why not."""
    if not isinstance(state, dict):
        raise InvalidInput(f"a view's state is a JSON object, got {type(state).__name__}")
    if _depth(state, MAX_VIEW_DEPTH) > MAX_VIEW_DEPTH:
        raise InvalidInput(f"a view's state nests deeper than {MAX_VIEW_DEPTH} levels")
    check_strings(state, "a view's state")
    try:
        text = json.dumps(state, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"a view's state must be plain JSON with finite numbers ({exc})"
        ) from None
    size = len(text.encode("utf-8"))
    if size > MAX_VIEW_STATE_BYTES:
        raise PayloadTooLarge(
            f"a view's state is {size:,} bytes of JSON; the limit is {MAX_VIEW_STATE_BYTES:,}"
        )
    return text


def _check_name(name: object) -> str:
    return check_label(name, "view name", MAX_VIEW_NAME_LENGTH)


class Views:
    """A project's saved views in a SQL store's database, acting for ``caller``.
    ``clock``: seconds since the epoch (tests pass their own)."""

    def __init__(
        self, transactor: Transactor, caller: Caller, clock: Callable[[], float] = time.time
    ) -> None:
        self._tx = transactor
        self.caller = caller
        self.clock = clock

    def __repr__(self) -> str:
        return f"Views({self._tx.where}, caller={self.caller.name!r})"

    def list_views(self, project: str) -> list[ViewListing]:
        """The project's views by name (without their states)."""
        authorize(self.caller, "read", project)
        return self._tx.read(lambda conn: sql.listing(conn, project))

    def get(self, project: str, view_id: str) -> SavedView:
        authorize(self.caller, "read", project)
        self._known_id(project, view_id)
        return self._tx.read(lambda conn: sql.one(conn, project, view_id))

    def create(self, project: str, name: str, state: dict[str, Any]) -> SavedView:
        """A new view; Conflict when the project has one of that name already."""
        authorize(self.caller, "write", project)
        name = _check_name(name)
        text = check_view_state(state)
        view_id = secrets.token_hex(8)
        actor, now = self.caller.name, self.clock()

        def work(conn: Any) -> SavedView:
            if sql.count(conn, project) >= MAX_VIEWS_PER_PROJECT:
                raise InvalidInput(
                    f"project {project!r} has {MAX_VIEWS_PER_PROJECT} saved views, the "
                    "limit; delete some first"
                )
            return sql.add(conn, view_id, project, name, text, actor, now)

        return self._tx.write(work)

    def update(
        self,
        project: str,
        view_id: str,
        *,
        name: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> SavedView:
        """Rename a view and/or replace its state (what is None stays)."""
        authorize(self.caller, "write", project)
        self._known_id(project, view_id)
        checked = None if name is None else _check_name(name)
        text = None if state is None else check_view_state(state)
        actor, now = self.caller.name, self.clock()
        return self._tx.write(
            lambda conn: sql.change(conn, project, view_id, checked, text, actor, now)
        )

    def delete(self, project: str, view_id: str) -> None:
        authorize(self.caller, "write", project)
        self._known_id(project, view_id)
        self._tx.write(lambda conn: sql.remove(conn, project, view_id))

    @staticmethod
    def _known_id(project: str, view_id: str) -> None:
        if not _VIEW_ID.match(view_id):
            raise NotFound(f"project {project!r} has no view {view_id!r}")
