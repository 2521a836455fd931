"""Who may do what: the one authorisation check every service call passes.

A :class:`Caller` is who asks (a user, a token, a local process); an :data:`Action`
is what they want to do to a project. :func:`authorize` is the only place that
decides. Today every caller is the local administrator (an embedded store, or a
server without accounts); users, tokens and roles plug in here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from heron.errors import Forbidden

Action = Literal["read", "write", "admin"]

_RANK: dict[Action, int] = {"read": 0, "write": 1, "admin": 2}


@dataclass(frozen=True)
class Caller:
    """Who is asking. ``name`` is recorded as the author of changes; ``role`` is the
    most this caller may do anywhere (``admin`` on a local store)."""

    name: str
    role: Action = "admin"

    def may(self, action: Action, project: str | None) -> bool:
        return _RANK[self.role] >= _RANK[action]


LOCAL = Caller("local")


def authorize(caller: Caller, action: Action, project: str | None) -> None:
    """Raise Forbidden unless ``caller`` may ``action`` on ``project`` (None: every
    project, as an unscoped search does)."""
    if not caller.may(action, project):
        where = f"project {project!r}" if project is not None else "every project"
        raise Forbidden(f"{caller.name} may not {action} {where}; ask a project admin")
