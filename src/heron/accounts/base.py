"""The objects of accounts, and the rules of their names (no SQL here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from heron.errors import InvalidInput

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
Kind = Literal["person", "service"]
TokenKind = Literal["api", "session"]

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; this bounds the work a request asks for
MAX_TOKEN_NAME = 128
MAX_TOKEN_DAYS = 3650


def check_user_name(name: object) -> str:
    if not isinstance(name, str) or not USER_NAME.match(name):
        raise InvalidInput(
            f"user name {name!r} is not valid: 1-64 letters, digits or . _ @ + -, "
            "starting with a letter or digit"
        )
    return name


def check_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"a password is {MIN_PASSWORD}-{MAX_PASSWORD} characters "
            "(a passphrase of a few words is good)"
        )
    return password


def check_role(role: object) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}")


def check_default_role(role: str | None) -> Role | None:
    """The server's default role for signed-in accounts (None: none)."""
    return None if role is None else check_role(role)


def check_token_name(name: object) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_TOKEN_NAME or not name.isprintable():
        raise InvalidInput(f"a token's name is 1-{MAX_TOKEN_NAME} printable characters")
    return name


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str | None
    is_admin: bool  # site admin: every project, users, the audit log
    kind: Kind  # a service account has no password: tokens only
    disabled: bool
    created_at: float
    created_by: str
    has_password: bool
    sso: bool  # linked to an OpenID Connect identity


@dataclass(frozen=True)
class TokenInfo:
    """A token as lists show it: never its secret."""

    id: int
    user: str
    kind: TokenKind
    name: str
    prefix: str  # the secret's first characters, to recognise it
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None

    def active(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class NewToken:
    """A token just issued: ``secret`` is shown once and stored only as a hash."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True)
class Membership:
    user: str
    project: str
    role: Role


@dataclass(frozen=True)
class Identity:
    """Who a valid credential belongs to: the user, their roles, the token used."""

    user: User
    roles: dict[str, Role]
    token_id: int
    token_kind: TokenKind


@dataclass(frozen=True)
class AuditEntry:
    id: int
    time: float
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None


class AccountBook(Protocol):
    """The account rules as a caller reaches them: the service on a store beside its
    database (``heron.service.accounts.Accounts``) or a server's REST API
    (``heron.accounts.remote.RemoteAccounts``); ``heron users``/``heron tokens`` use
    either. Each call acts for one caller and is authorised and audited by the service."""

    def list_users(self) -> list[User]: ...

    def get_user(self, name: str) -> User: ...

    def create_user(
        self,
        name: str,
        *,
        password: str | None = None,
        email: str | None = None,
        admin: bool = False,
        kind: Kind = "person",
    ) -> User: ...

    def update_user(
        self,
        name: str,
        *,
        admin: bool | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        email: str | None = None,
    ) -> User: ...

    def issue_token(
        self, user: str, name: str, expires_in_days: float | None = None
    ) -> NewToken: ...

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]: ...

    def revoke_token(self, token_id: int) -> TokenInfo: ...

    def members(self, project: str) -> list[Membership]: ...

    def roles_of(self, user: str) -> list[Membership]: ...

    def set_role(self, user: str, project: str, role: Role | None) -> Membership | None: ...

    def audit_log(
        self,
        *,
        limit: int = 100,
        before: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[AuditEntry]: ...
