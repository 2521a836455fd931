"""The server's accounts: users, their tokens, roles per project and the audit log.

``base`` declares the objects, ``secrets`` hashes passwords and tokens, ``sql`` keeps
them in the store's database. Who may do what is decided by
:func:`heron.service.access.authorize`, never here.

``SqlAccounts`` is imported on first use (module ``__getattr__``): the rules layer
names it, but only a server (or ``heron users``) opens the accounts, and an embedded
run's store must not pay for password hashing and its SQL on every ``heron.init``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heron.accounts.base import (
    ROLES,
    AuditEntry,
    Identity,
    Membership,
    NewToken,
    Role,
    TokenInfo,
    User,
)

if TYPE_CHECKING:
    from heron.accounts.sql import SqlAccounts


def __getattr__(name: str) -> Any:
    if name == "SqlAccounts":
        from heron.accounts.sql import SqlAccounts

        return SqlAccounts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ROLES",
    "AuditEntry",
    "Identity",
    "Membership",
    "NewToken",
    "Role",
    "SqlAccounts",
    "TokenInfo",
    "User",
]
