"""Who is calling: every request is authenticated here before a route sees it.

``AuthMiddleware`` (pure ASGI, so event streams still stream) turns the request's
credential into a :class:`~heron.service.access.Caller` and leaves it in the scope
(``scope["heron.caller"]``); :func:`heron.server.state.server_state` hands every
route a service acting for it, and the service's one authorisation check decides.

- Without accounts (``heron ui``, a loopback server): every caller is the local
  administrator, as with an embedded store.
- With accounts: a token (``Authorization: Bearer heron_...``; MLflow clients' basic
  auth with the token as password), or the browser's session cookie. No credential:
  only the public paths answer (sign-in, the UI's files, health probes, the OpenAPI
  document); everything else is 401. A wrong credential is 401, and after
  :data:`TOKEN_FAILURES` of them in a minute from one address, 429.

Session cookies are ``HttpOnly`` and ``SameSite=Strict`` (``Secure`` over HTTPS); a
state-changing request from another origin is refused before this point
(``server.browser``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from heron.accounts import Identity, SqlAccounts
from heron.accounts.base import Role
from heron.errors import HeronError, TooManyRequests, Unauthorized
from heron.server.problems import problem_response
from heron.server.ratelimit import FailureLimiter
from heron.service.access import LOCAL, Caller

SESSION_COOKIE = "heron_session"
CALLER_KEY = "heron.caller"
ANONYMOUS = Caller("anonymous")
TOKEN_FAILURES = 30  # wrong credentials per minute from one address before 429
LOGIN_FAILURES = 10  # wrong passwords per 5 minutes, per address and per user name
API_PREFIXES = ("/api/", "/ajax-api/", "/metrics")
PUBLIC_PATHS = frozenset(
    {
        "/api/v1/auth/config",
        "/api/v1/auth/login",
        "/api/v1/auth/token",
        "/api/v1/auth/oidc/login",
        "/api/v1/auth/oidc/callback",
        "/api/v1/openapi.json",
        "/api/docs",
        "/api/docs/oauth2-redirect",
    }
)
PUBLIC_PREFIXES = ("/api/docs/",)  # Swagger UI's files


def is_public(path: str) -> bool:
    """Paths that answer without a credential: everything but the API (the UI's files
    hold no data), sign-in, and the API's own description."""
    if not path.startswith(API_PREFIXES):
        return True
    return path.rstrip("/") in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass
class Authenticator:
    """Credentials to callers. ``accounts`` None: no accounts, everyone is local admin."""

    accounts: SqlAccounts | None
    default_role: Role | None = None
    token_failures: FailureLimiter = field(
        default_factory=lambda: FailureLimiter(TOKEN_FAILURES, 60.0)
    )
    login_failures: FailureLimiter = field(
        default_factory=lambda: FailureLimiter(LOGIN_FAILURES, 300.0)
    )

    @property
    def enabled(self) -> bool:
        return self.accounts is not None

    def caller(self, identity: Identity) -> Caller:
        user = identity.user
        return Caller(
            user.name,
            site_admin=user.is_admin,
            roles=identity.roles,
            default_role=self.default_role,
            account=True,
            token_id=identity.token_id,
        )

    def authenticate(self, secret: str) -> Caller | None:
        assert self.accounts is not None
        identity = self.accounts.authenticate(secret)
        return None if identity is None else self.caller(identity)


def credential(scope: Scope) -> str | None:
    """The token a request carries: bearer, basic (as the password), or the cookie."""
    cookie: str | None = None
    raw_name: bytes
    raw_value: bytes
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.lower()
        if name == b"authorization":
            value = raw_value.decode("latin-1").strip()
            kind, _, rest = value.partition(" ")
            if kind.lower() == "bearer":
                return rest.strip()
            if kind.lower() == "basic":
                try:
                    decoded = base64.b64decode(rest.strip(), validate=True).decode()
                except (binascii.Error, UnicodeDecodeError):
                    return ""
                return decoded.partition(":")[2]
            return ""
        if name == b"cookie" and cookie is None:
            cookie = _cookie(raw_value.decode("latin-1"), SESSION_COOKIE)
    return cookie


def _cookie(header: str, wanted: str) -> str | None:
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == wanted:
            return value.strip().strip('"')
    return None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not self.auth.enabled:
            scope[CALLER_KEY] = LOCAL
            await self.app(scope, receive, send)
            return
        try:
            scope[CALLER_KEY] = await self._caller(scope)
        except HeronError as error:
            await problem_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _caller(self, scope: Scope) -> Caller:
        path = scope.get("path", "")
        secret = credential(scope)
        if secret is None:
            if is_public(path):
                return ANONYMOUS
            raise Unauthorized(
                "this server needs a token: sign in, or send `Authorization: Bearer <token>` "
                "(HERON_TOKEN, or `heron login URL`)"
            )
        address = client_address(scope)
        wait = self.auth.token_failures.retry_after(address)
        if wait is not None:
            raise TooManyRequests(
                f"too many wrong credentials from {address}: try again in {wait:.0f} s", wait
            )
        caller = await run_in_threadpool(self.auth.authenticate, secret)
        if caller is None:
            self.auth.token_failures.failed(address)
            if is_public(path):  # a stale cookie must not keep anyone from signing in again
                return ANONYMOUS
            raise Unauthorized("the token or session is not valid (unknown, revoked or expired)")
        return caller
