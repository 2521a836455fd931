"""``Accounts``: the rules about users, tokens and roles, acting for one caller.

Who may manage what: a site admin manages users, every token and every role, and
reads the audit log; a project admin manages the members of that project; every
account manages its own tokens and password. Every change is written to the audit
log. Storage is :class:`heron.accounts.SqlAccounts`; the server's routes and
``heron users``/``heron tokens`` are skins over this class.
"""

from __future__ import annotations

from heron.accounts import AuditEntry, Membership, NewToken, Role, SqlAccounts, TokenInfo, User
from heron.accounts.base import Kind, check_role
from heron.errors import Forbidden, InvalidInput, NotFound
from heron.service.access import LOCAL, Caller, authorize

SESSION_NAME = "browser session"


class Accounts:
    def __init__(
        self, accounts: SqlAccounts, caller: Caller = LOCAL, ip: str | None = None
    ) -> None:
        self.accounts = accounts
        self.caller = caller
        self.ip = ip

    def acting_for(self, caller: Caller, ip: str | None = None) -> Accounts:
        return Accounts(self.accounts, caller, ip)

    def _audit(self, action: str, target: str, **detail: object) -> None:
        self.accounts.audit(self.caller.name, action, target, detail, self.ip)

    def _site_admin(self, what: str) -> None:
        if not self.caller.site_admin:
            raise Forbidden(f"{self.caller.name} may not {what}: it needs a site admin")

    def _self_or_admin(self, user: str, what: str) -> None:
        if user != self.caller.name:
            self._site_admin(what)

    # --- signing in -------------------------------------------------------------
    def bootstrap_admin(self, name: str, password: str) -> User | None:
        """Create the first site admin when there are no users yet (else None)."""
        if self.accounts.count_users():
            return None
        user = self.accounts.create_user(
            name, password=password, is_admin=True, created_by="heron server"
        )
        self._audit("user.create", name, admin=True, first=True)
        return user

    def login(self, name: str, password: str, session_days: float) -> NewToken:
        """A browser session for ``name``, if the password is theirs."""
        user = self.accounts.check_login(name, password)
        if user is None:
            self.accounts.audit(name[:64], "login.failed", name[:64], {}, self.ip)
            raise Forbidden("wrong user name or password")
        token = self.accounts.issue_token(
            user.name, SESSION_NAME, kind="session", expires_in_days=session_days
        )
        self.accounts.audit(user.name, "login", user.name, {"session": token.info.id}, self.ip)
        return token

    def sso_session(self, user: User, provider: str, session_days: float) -> NewToken:
        """A browser session for ``user``, whom the sign-on provider vouched for."""
        token = self.accounts.issue_token(
            user.name, SESSION_NAME, kind="session", expires_in_days=session_days
        )
        detail = {"session": token.info.id, "sso": provider}
        self.accounts.audit(user.name, "login", user.name, detail, self.ip)
        return token

    def token_for_password(self, name: str, password: str, token_name: str) -> NewToken:
        """An API token for ``name`` in exchange for their password (``heron login``)."""
        user = self.accounts.check_login(name, password)
        if user is None:
            self.accounts.audit(name[:64], "login.failed", name[:64], {"for": "token"}, self.ip)
            raise Forbidden("wrong user name or password")
        token = self.accounts.issue_token(user.name, token_name)
        self.accounts.audit(user.name, "token.create", user.name, {"token": token.info.id}, self.ip)
        return token

    def logout(self) -> None:
        if self.caller.token_id is not None:
            self.accounts.revoke_token(self.caller.token_id)
            self._audit("logout", self.caller.name)

    # --- users ------------------------------------------------------------------
    def list_users(self) -> list[User]:
        self._site_admin("list users")
        return self.accounts.list_users()

    def get_user(self, name: str) -> User:
        self._self_or_admin(name, f"read user {name!r}")
        return self.accounts.get_user(name)

    def create_user(
        self,
        name: str,
        *,
        password: str | None = None,
        email: str | None = None,
        admin: bool = False,
        kind: Kind = "person",
    ) -> User:
        self._site_admin("create users")
        user = self.accounts.create_user(
            name,
            password=password,
            email=email,
            is_admin=admin,
            kind=kind,
            created_by=self.caller.name,
        )
        self._audit("user.create", name, admin=admin, kind=kind)
        return user

    def update_user(
        self,
        name: str,
        *,
        admin: bool | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        email: str | None = None,
    ) -> User:
        if admin is not None or disabled is not None:
            self._site_admin("change a user's admin or disabled flag")
            if name == self.caller.name and (admin is False or disabled):
                raise InvalidInput("you cannot take away your own admin or disable yourself")
        else:
            self._self_or_admin(name, f"change user {name!r}")
        user = self.accounts.update_user(
            name, is_admin=admin, disabled=disabled, password=password, email=email
        )
        changed = {k: v for k, v in {"admin": admin, "disabled": disabled}.items() if v is not None}
        if password is not None:
            changed["password"] = True
        self._audit("user.update", name, **changed)
        return user

    # --- tokens -----------------------------------------------------------------
    def issue_token(self, user: str, name: str, expires_in_days: float | None = None) -> NewToken:
        self._self_or_admin(user, f"issue tokens for {user!r}")
        token = self.accounts.issue_token(user, name, expires_in_days=expires_in_days)
        self._audit("token.create", user, token=token.info.id, name=name)
        return token

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        """The caller's own tokens; a site admin may list anyone's (None: everyone's)."""
        if user is None and not self.caller.site_admin:
            user = self.caller.name
        if user is not None:
            self._self_or_admin(user, f"list the tokens of {user!r}")
        return self.accounts.list_tokens(user)

    def revoke_token(self, token_id: int) -> TokenInfo:
        token = self.accounts.get_token(token_id)
        if token.user != self.caller.name and not self.caller.site_admin:
            raise NotFound(f"no token {token_id}")  # others' tokens are not even named
        revoked = self.accounts.revoke_token(token_id)
        self._audit("token.revoke", token.user, token=token_id)
        return revoked

    # --- roles --------------------------------------------------------------------
    def members(self, project: str) -> list[Membership]:
        authorize(self.caller, "read", project)
        return self.accounts.memberships(project=project)

    def roles_of(self, user: str) -> list[Membership]:
        self._self_or_admin(user, f"read the roles of {user!r}")
        return self.accounts.memberships(user=user)

    def set_role(self, user: str, project: str, role: Role | None) -> Membership | None:
        authorize(self.caller, "admin", project)
        if role is not None:
            check_role(role)
        self.accounts.get_user(user)  # NotFound names the user
        membership = self.accounts.set_role(user, project, role)
        self._audit("role.set", f"{project}/{user}", role=role)
        return membership

    # --- the audit log ---------------------------------------------------------
    def audit_log(
        self,
        *,
        limit: int = 100,
        before: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[AuditEntry]:
        self._site_admin("read the audit log")
        return self.accounts.audit_log(limit=limit, before=before, action=action, actor=actor)
