"""Who may do what: the one authorisation check every service call passes.

A :class:`Caller` is who asks (an account signed in with a token or a session, or a
local process); an :data:`Action` is what they want to do to a project.
:func:`authorize` is the only place that decides:

- a site admin may do anything;
- elsewhere a caller's role in the project decides: ``viewer`` reads, ``editor`` also
  writes (runs, artifacts, tags, deletions), ``admin`` also manages the project's
  members. Their role is the one granted on the project, or the server's default role
  for signed-in users (``HERON_DEFAULT_ROLE``, none unless set), whichever is higher;
- ``project=None`` means every project (an unscoped search): only a role that holds
  everywhere (site admin, or the default role) covers it.

An embedded store, and a server on loopback without accounts, has one caller: the
local administrator (:data:`LOCAL`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from heron.accounts.base import Role
from heron.errors import Forbidden

Action = Literal["read", "write", "admin"]

_NEEDS: dict[Action, int] = {"read": 0, "write": 1, "admin": 2}
_RANK: dict[Role, int] = {"viewer": 0, "editor": 1, "admin": 2}


def _rank(role: Role | None) -> int:
    return -1 if role is None else _RANK[role]


@dataclass(frozen=True)
class Caller:
    """Who is asking. ``name`` is recorded as the author of changes."""

    name: str
    site_admin: bool = False
    roles: Mapping[str, Role] = field(default_factory=dict)  # project -> granted role
    default_role: Role | None = None  # on every project not in ``roles``
    account: bool = False  # a server account (its name is recorded on what it creates)
    token_id: int | None = None  # the credential used (a session ends by revoking it)

    def role_in(self, project: str) -> Role | None:
        """The caller's role in ``project`` (None: none at all)."""
        if self.site_admin:
            return "admin"
        granted = self.roles.get(project)
        return granted if _rank(granted) >= _rank(self.default_role) else self.default_role

    def may(self, action: Action, project: str | None) -> bool:
        if self.site_admin:
            return True
        role = self.default_role if project is None else self.role_in(project)
        return _rank(role) >= _NEEDS[action]

    def may_somewhere(self, action: Action) -> bool:
        """Whether some project allows ``action`` (blob uploads, the registry)."""
        roles = [self.default_role, *self.roles.values()]
        return self.site_admin or any(_rank(r) >= _NEEDS[action] for r in roles)

    def readable(self, projects: Iterable[str]) -> list[str]:
        """Those of ``projects`` the caller may read."""
        return [p for p in projects if self.may("read", p)]


LOCAL = Caller("local", site_admin=True)


def authorize(caller: Caller, action: Action, project: str | None) -> None:
    """Raise Forbidden unless ``caller`` may ``action`` on ``project`` (None: every
    project, as an unscoped search does)."""
    if not caller.may(action, project):
        where = f"project {project!r}" if project is not None else "every project"
        raise Forbidden(f"{caller.name} may not {action} {where}; ask a project admin")


def authorize_somewhere(caller: Caller, action: Action, what: str) -> None:
    """Raise Forbidden unless some project allows ``caller`` to ``action``: the rule of
    things that belong to no project (blobs by digest, the model registry)."""
    if not caller.may_somewhere(action):
        needed = {"read": "viewer", "write": "editor", "admin": "admin"}[action]
        raise Forbidden(f"{caller.name} may not {action} {what}: it needs the {needed} role")
