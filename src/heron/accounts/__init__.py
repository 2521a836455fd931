"""The server's accounts: users, their tokens, roles per project and the audit log.

``base`` declares the objects, ``secrets`` hashes passwords and tokens, ``sql`` keeps
them in the store's database. Who may do what is decided by
:func:`heron.service.access.authorize`, never here.
"""

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
from heron.accounts.sql import SqlAccounts

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
