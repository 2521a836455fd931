"""``RemoteAccounts``: the :class:`~heron.accounts.base.AccountBook` of a Heron server,
over its REST API (``/users``, ``/tokens``, ``/projects/{p}/members``, ``/audit``).
The server's service authorises and audits each call; this only translates."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from heron.accounts.base import (
    AuditEntry,
    Kind,
    Membership,
    NewToken,
    Role,
    TokenInfo,
    User,
)
from heron.errors import InvalidInput
from heron.remote.http import HttpClient


def _user(raw: dict[str, Any]) -> User:
    return User(
        id=0,  # the server's row id is not part of its answer
        name=raw["name"],
        email=raw.get("email"),
        is_admin=bool(raw["admin"]),
        kind=raw["kind"],
        disabled=bool(raw["disabled"]),
        created_at=float(raw["created_at"]),
        created_by=raw["created_by"],
        has_password=bool(raw["has_password"]),
        sso=bool(raw["sso"]),
    )


def _token(raw: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=int(raw["id"]),
        user=raw["user"],
        kind="api",
        name=raw["name"],
        prefix=raw["prefix"],
        created_at=float(raw["created_at"]),
        expires_at=raw.get("expires_at"),
        last_used_at=raw.get("last_used_at"),
        revoked_at=raw.get("revoked_at"),
    )


def _member(raw: dict[str, Any]) -> Membership:
    return Membership(raw["user"], raw["project"], raw["role"])


def _q(part: str) -> str:
    return quote(part, safe="")


class RemoteAccounts:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"RemoteAccounts({self.http.url})"

    def list_users(self) -> list[User]:
        return [_user(u) for u in self.http.json("GET", "/users")]

    def get_user(self, name: str) -> User:
        return _user(self.http.json("GET", f"/users/{_q(name)}"))

    def create_user(
        self,
        name: str,
        *,
        password: str | None = None,
        email: str | None = None,
        admin: bool = False,
        kind: Kind = "person",
    ) -> User:
        body = {
            "name": name,
            "password": password,
            "email": email,
            "admin": admin,
            "service": kind == "service",
        }
        return _user(self.http.json("POST", "/users", json=body))

    def update_user(
        self,
        name: str,
        *,
        admin: bool | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        email: str | None = None,
    ) -> User:
        changes = {"admin": admin, "disabled": disabled, "password": password, "email": email}
        body = {k: v for k, v in changes.items() if v is not None}
        return _user(self.http.json("PATCH", f"/users/{_q(name)}", json=body))

    def issue_token(self, user: str, name: str, expires_in_days: float | None = None) -> NewToken:
        body = {"user": user, "name": name, "expires_in_days": expires_in_days}
        raw = self.http.json("POST", "/tokens", json=body)
        return NewToken(_token(raw["token"]), raw["secret"])

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        params = {} if user is None else {"user": user}
        return [_token(t) for t in self.http.json("GET", "/tokens", params=params)]

    def revoke_token(self, token_id: int) -> TokenInfo:
        return _token(self.http.json("DELETE", f"/tokens/{int(token_id)}"))

    def members(self, project: str) -> list[Membership]:
        return [_member(m) for m in self.http.json("GET", f"/projects/{_q(project)}/members")]

    def roles_of(self, user: str) -> list[Membership]:
        return [_member(m) for m in self.http.json("GET", f"/users/{_q(user)}/roles")]

    def set_role(self, user: str, project: str, role: Role | None) -> Membership | None:
        path = f"/projects/{_q(project)}/members/{_q(user)}"
        if role is None:
            self.http.request("DELETE", path)
            return None
        return _member(self.http.json("PUT", path, json={"role": role}))

    def audit_log(
        self,
        *,
        limit: int = 100,
        before: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[AuditEntry]:
        asked = {"limit": limit, "before": before, "action": action, "actor": actor}
        params = {k: v for k, v in asked.items() if v is not None}
        return [
            AuditEntry(
                int(a["id"]),
                float(a["time"]),
                a["actor"],
                a["action"],
                a["target"],
                dict(a.get("detail") or {}),
                a.get("ip"),
            )
            for a in self.http.json("GET", "/audit", params=params)
        ]


def password_token(
    http: HttpClient, name: str, password: str, token_name: str = "heron login"
) -> NewToken:
    """An API token for ``name``'s password (what ``heron login`` asks for)."""
    if not password:
        raise InvalidInput("a password is needed")
    body = {"name": name, "password": password, "token_name": token_name}
    raw = http.json("POST", "/auth/token", json=body)
    return NewToken(_token(raw["token"]), raw["secret"])
