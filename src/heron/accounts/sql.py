"""``SqlAccounts``: users, tokens, roles and the audit log in the store's database.

It shares the :class:`~heron.store.sql.SqlStore`'s transactions (one call, one
transaction, with its retries). Checking what a caller may do is not its job
(:mod:`heron.service.access`); it keeps records and answers who a credential is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from heron.accounts import secrets
from heron.accounts.base import (
    MAX_TOKEN_DAYS,
    AuditEntry,
    Identity,
    Kind,
    Membership,
    NewToken,
    Role,
    TokenInfo,
    TokenKind,
    User,
    check_password,
    check_role,
    check_token_name,
    check_user_name,
)
from heron.errors import Conflict, InvalidInput, NotFound
from heron.keys import check_name
from heron.store import schema as s
from heron.store.sql import SqlStore

_u = s.users.c
_t = s.tokens.c
_m = s.memberships.c
_a = s.audit_log.c
LAST_USED_EVERY_S = 60.0  # last_used_at is refreshed at most this often (no write per call)
MAX_AUDIT_PAGE = 1000


def _user(row: Mapping[Any, Any]) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        is_admin=bool(row["is_admin"]),
        kind=row["kind"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        has_password=row["password_hash"] is not None,
        sso=row["oidc_subject"] is not None,
    )


def _token(row: Mapping[Any, Any], user: str) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        user=user,
        kind=row["kind"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


class SqlAccounts:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._tx = store.transactor

    # --- users ------------------------------------------------------------------
    def count_users(self) -> int:
        return int(
            self._tx.read(
                lambda c: c.execute(select(func.count()).select_from(s.users)).scalar_one()
            )
        )

    def create_user(
        self,
        name: str,
        *,
        created_by: str,
        password: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
        kind: Kind = "person",
        sso_subject: str | None = None,
    ) -> User:
        check_user_name(name)
        if kind not in ("person", "service"):
            raise InvalidInput(f"an account is a person or a service, not {kind!r}")
        if kind == "service" and password is not None:
            raise InvalidInput("a service account has no password: issue it a token")
        hashed = secrets.hash_password(check_password(password)) if password is not None else None
        if email is not None and (len(email) > 256 or "@" not in email):
            raise InvalidInput(f"{email!r} is not an e-mail address")

        def work(conn: Connection) -> User:
            if conn.execute(select(_u.id).where(func.lower(_u.name) == name.lower())).first():
                raise Conflict(f"a user named {name!r} exists already")
            conn.execute(
                insert(s.users).values(
                    name=name,
                    email=email,
                    password_hash=hashed,
                    is_admin=is_admin,
                    kind=kind,
                    disabled=False,
                    oidc_subject=sso_subject,
                    created_at=time.time(),
                    created_by=created_by,
                )
            )
            return self._get(conn, name)

        try:
            return self._tx.write(work)
        except IntegrityError as exc:  # a concurrent create of the same name or identity
            raise Conflict(f"a user named {name!r} exists already") from exc

    def _get(self, conn: Connection, name: str) -> User:
        row = conn.execute(select(s.users).where(_u.name == name)).mappings().first()
        if row is None:
            raise NotFound(f"no user named {name!r}")
        return _user(row)

    def get_user(self, name: str) -> User:
        return self._tx.read(lambda c: self._get(c, name))

    def list_users(self) -> list[User]:
        rows = self._tx.read(
            lambda c: c.execute(select(s.users).order_by(_u.name)).mappings().all()
        )
        return [_user(r) for r in rows]

    def update_user(
        self,
        name: str,
        *,
        is_admin: bool | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        email: str | None = None,
    ) -> User:
        values: dict[str, Any] = {}
        if is_admin is not None:
            values["is_admin"] = is_admin
        if disabled is not None:
            values["disabled"] = disabled
        if email is not None:
            values["email"] = email or None
        if password is not None:
            values["password_hash"] = secrets.hash_password(check_password(password))

        def work(conn: Connection) -> User:
            user = self._get(conn, name)
            if password is not None and user.kind == "service":
                raise InvalidInput("a service account has no password: issue it a token")
            if values:
                conn.execute(update(s.users).where(_u.id == user.id).values(**values))
            if disabled or password is not None:  # every session of theirs ends now
                conn.execute(
                    update(s.tokens)
                    .where(_t.user_id == user.id, _t.kind == "session", _t.revoked_at.is_(None))
                    .values(revoked_at=time.time())
                )
            return self._get(conn, name)

        return self._tx.write(work)

    def check_login(self, name: str, password: str) -> User | None:
        """The user, if ``password`` is theirs and they may sign in with one."""
        row = self._tx.read(
            lambda c: c.execute(select(s.users).where(_u.name == name)).mappings().first()
        )
        stored = None if row is None else row["password_hash"]
        ok = secrets.verify_password(stored, password[:1024])
        if row is None or not ok or row["disabled"]:
            return None
        return _user(row)

    def user_by_subject(self, subject: str) -> User | None:
        row = self._tx.read(
            lambda c: (
                c.execute(select(s.users).where(_u.oidc_subject == subject)).mappings().first()
            )
        )
        return None if row is None else _user(row)

    def link_subject(self, name: str, subject: str) -> User:
        def work(conn: Connection) -> User:
            user = self._get(conn, name)
            conn.execute(update(s.users).where(_u.id == user.id).values(oidc_subject=subject))
            return self._get(conn, name)

        return self._tx.write(work)

    # --- tokens -----------------------------------------------------------------
    def issue_token(
        self,
        user: str,
        name: str,
        *,
        kind: TokenKind = "api",
        expires_in_days: float | None = None,
    ) -> NewToken:
        check_token_name(name)
        if expires_in_days is not None and not 0 < expires_in_days <= MAX_TOKEN_DAYS:
            raise InvalidInput(f"a token expires in 0-{MAX_TOKEN_DAYS} days, or never")
        secret, prefix, hashed = secrets.new_token()
        now = time.time()
        expires = None if expires_in_days is None else now + expires_in_days * 86_400

        def work(conn: Connection) -> TokenInfo:
            owner = self._get(conn, user)
            if owner.disabled:
                raise InvalidInput(f"user {user!r} is disabled")
            result = conn.execute(
                insert(s.tokens).values(
                    user_id=owner.id,
                    kind=kind,
                    name=name,
                    prefix=prefix,
                    hash=hashed,
                    created_at=now,
                    expires_at=expires,
                )
            )
            token_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
            row = conn.execute(select(s.tokens).where(_t.id == token_id)).mappings().one()
            return _token(row, owner.name)

        return NewToken(self._tx.write(work), secret)

    def list_tokens(self, user: str | None = None, kind: TokenKind = "api") -> list[TokenInfo]:
        query = (
            select(s.tokens, _u.name.label("user_name"))
            .join(s.users, _u.id == _t.user_id)
            .where(_t.kind == kind)
            .order_by(_t.id)
        )
        if user is not None:
            query = query.where(_u.name == user)
        rows = self._tx.read(lambda c: c.execute(query).mappings().all())
        return [_token(r, r["user_name"]) for r in rows]

    def get_token(self, token_id: int) -> TokenInfo:
        def work(conn: Connection) -> TokenInfo:
            row = (
                conn.execute(
                    select(s.tokens, _u.name.label("user_name"))
                    .join(s.users, _u.id == _t.user_id)
                    .where(_t.id == token_id)
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"no token {token_id}")
            return _token(row, row["user_name"])

        return self._tx.read(work)

    def revoke_token(self, token_id: int) -> TokenInfo:
        self._tx.write(
            lambda c: c.execute(
                update(s.tokens)
                .where(_t.id == token_id, _t.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
        )
        return self.get_token(token_id)

    def authenticate(self, secret: str, now: float | None = None) -> Identity | None:
        """Who ``secret`` belongs to, or None (unknown, revoked, expired, disabled)."""
        if not secrets.looks_like_token(secret):
            return None
        hashed = secrets.token_hash(secret)
        at = time.time() if now is None else now

        def work(conn: Connection) -> tuple[dict[str, Any], dict[str, Any], dict[str, Role]] | None:
            found = (
                conn.execute(
                    select(s.tokens, s.users)
                    .join(s.users, _u.id == _t.user_id)
                    .where(_t.hash == hashed)
                    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)  # tokens_id, users_id
                )
                .mappings()
                .first()
            )
            if found is None:
                return None
            token = {k[len("tokens_") :]: v for k, v in found.items() if k.startswith("tokens_")}
            user = {k[len("users_") :]: v for k, v in found.items() if k.startswith("users_")}
            roles = {
                r.project: r.role
                for r in conn.execute(select(_m.project, _m.role).where(_m.user_id == user["id"]))
            }
            return token, user, roles

        found = self._tx.read(work)
        if found is None:
            return None
        token, user_row, roles = found
        info = _token(token, user_row["name"])
        user = _user(user_row)
        if not info.active(at) or user.disabled:
            return None
        if info.last_used_at is None or at - info.last_used_at > LAST_USED_EVERY_S:
            self._tx.write(
                lambda c: c.execute(
                    update(s.tokens).where(_t.id == info.id).values(last_used_at=at)
                )
            )
        return Identity(user, roles, info.id, info.kind)

    def purge_expired_sessions(self, now: float | None = None) -> int:
        """Delete sessions that ended (expired or signed out) over a day ago."""
        cutoff = (time.time() if now is None else now) - 86_400
        done = self._tx.write(
            lambda c: c.execute(
                delete(s.tokens).where(
                    _t.kind == "session",
                    (_t.expires_at < cutoff) | (_t.revoked_at < cutoff),
                )
            )
        )
        return int(done.rowcount or 0)

    # --- roles --------------------------------------------------------------------
    def memberships(
        self, *, project: str | None = None, user: str | None = None
    ) -> list[Membership]:
        query = select(_u.name, _m.project, _m.role).join(s.users, _u.id == _m.user_id)
        if project is not None:
            query = query.where(_m.project == project)
        if user is not None:
            query = query.where(_u.name == user)
        rows = self._tx.read(lambda c: c.execute(query.order_by(_m.project, _u.name)).all())
        return [Membership(r.name, r.project, r.role) for r in rows]

    def set_role(self, user: str, project: str, role: Role | None) -> Membership | None:
        """Give ``user`` ``role`` on ``project`` (None: take their role away)."""
        check_name(project, "project name")
        if role is not None:
            check_role(role)

        def work(conn: Connection) -> None:
            owner = self._get(conn, user)
            conn.execute(delete(s.memberships).where(_m.user_id == owner.id, _m.project == project))
            if role is not None:
                conn.execute(
                    insert(s.memberships).values(user_id=owner.id, project=project, role=role)
                )

        self._tx.write(work)
        return None if role is None else Membership(user, project, role)

    def has_members(self, project: str) -> bool:
        return self._tx.read(
            lambda c: (
                c.execute(select(_m.user_id).where(_m.project == project).limit(1)).first()
                is not None
            )
        )

    # --- the audit log ---------------------------------------------------------
    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
    ) -> None:
        self._tx.write(
            lambda c: c.execute(
                insert(s.audit_log).values(
                    time=time.time(),
                    actor=actor[:64],
                    action=action[:64],
                    target=target,
                    detail=json.dumps(dict(detail or {}), default=str),
                    ip=None if ip is None else ip[:64],
                )
            )
        )

    def audit_log(
        self,
        *,
        limit: int = 100,
        before: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first; ``before``: an entry id, for the next page."""
        if not 1 <= limit <= MAX_AUDIT_PAGE:
            raise InvalidInput(f"limit is 1-{MAX_AUDIT_PAGE}")
        query = select(s.audit_log).order_by(_a.id.desc()).limit(limit)
        if before is not None:
            query = query.where(_a.id < before)
        if action is not None:
            query = query.where(_a.action == action)
        if actor is not None:
            query = query.where(_a.actor == actor)
        rows = self._tx.read(lambda c: c.execute(query).mappings().all())
        return [
            AuditEntry(
                r["id"],
                r["time"],
                r["actor"],
                r["action"],
                r["target"],
                json.loads(r["detail"]),
                r["ip"],
            )
            for r in rows
        ]
