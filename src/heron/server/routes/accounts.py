"""Accounts: sign-in and out, who am I, tokens, users, project members, the audit log.

Skins over :class:`heron.service.accounts.Accounts` (the rules: who may manage what,
and the audit log). Sign-in is rate limited per client address and per user name
(:data:`heron.server.auth.LOGIN_FAILURES` wrong passwords in 5 minutes, then 429).
A server without accounts answers 404 on all of them but ``/auth/config`` and
``/auth/me`` (every caller is the local administrator there).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.accounts import AuditEntry, Membership, NewToken, TokenInfo, User
from heron.accounts.base import MAX_PASSWORD, MAX_TOKEN_DAYS, MAX_TOKEN_NAME, Role
from heron.errors import NotFound, TooManyRequests
from heron.server.auth import SESSION_COOKIE, client_address
from heron.server.oidc import CALLBACK_PATH, FLOW_COOKIE, FLOW_SECONDS, OidcLogin
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State
from heron.service.accounts import Accounts

router = APIRouter(tags=["accounts"], responses=PROBLEMS)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class Login(_Body):
    name: Name
    password: Password


class PasswordToken(_Body):
    """An API token in exchange for a password (``heron login``)."""

    name: Name
    password: Password
    token_name: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_NAME)] = "heron login"


class NewTokenBody(_Body):
    """``user``: whose token (a site admin may issue one for a service account);
    ``expires_in_days``: null for a token that does not expire."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_NAME)]
    expires_in_days: Annotated[float | None, Field(gt=0, le=MAX_TOKEN_DAYS)] = None
    user: Name | None = None


class NewUser(_Body):
    """``service``: an account for CI, without a password (tokens only)."""

    name: Name
    password: Password | None = None
    email: Annotated[str | None, Field(max_length=256)] = None
    admin: bool = False
    service: bool = False


class UserPatch(_Body):
    """Fields left out stay as they are; a new password ends the user's sessions."""

    admin: bool | None = None
    disabled: bool | None = None
    password: Password | None = None
    email: Annotated[str | None, Field(max_length=256)] = None


class RoleBody(_Body):
    role: Role


class AuthConfig(TypedDict):
    """What the sign-in page needs: whether accounts are on, and how to sign in."""

    auth: bool
    password_login: bool
    sso: str | None  # the provider's name, when single sign-on is configured
    sso_login_url: str | None


class Me(TypedDict):
    """The caller: ``roles`` per project (granted), ``default_role`` on every other
    project; ``auth`` false: a server without accounts (everyone is admin)."""

    name: str
    auth: bool
    site_admin: bool
    account: bool
    default_role: Role | None
    roles: dict[str, Role]


class UserOut(TypedDict):
    name: str
    email: str | None
    admin: bool
    kind: str
    disabled: bool
    created_at: float
    created_by: str
    has_password: bool
    sso: bool


class TokenOut(TypedDict):
    """A token as lists show it: ``prefix`` recognises it, the secret is never shown."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None
    active: bool


class IssuedToken(TypedDict):
    """``secret``: the token itself, shown this once (only its hash is kept)."""

    token: TokenOut
    secret: str


class MemberOut(TypedDict):
    user: str
    project: str
    role: Role


class AuditOut(TypedDict):
    id: int
    time: float
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    ip: str | None


def _user(u: User) -> UserOut:
    return UserOut(
        name=u.name,
        email=u.email,
        admin=u.is_admin,
        kind=u.kind,
        disabled=u.disabled,
        created_at=u.created_at,
        created_by=u.created_by,
        has_password=u.has_password,
        sso=u.sso,
    )


def _token(t: TokenInfo) -> TokenOut:
    import time

    return TokenOut(
        id=t.id,
        user=t.user,
        name=t.name,
        prefix=t.prefix,
        created_at=t.created_at,
        expires_at=t.expires_at,
        last_used_at=t.last_used_at,
        revoked_at=t.revoked_at,
        active=t.active(time.time()),
    )


def _issued(t: NewToken) -> IssuedToken:
    return IssuedToken(token=_token(t.info), secret=t.secret)


def _member(m: Membership) -> MemberOut:
    return MemberOut(user=m.user, project=m.project, role=m.role)


def _audit(a: AuditEntry) -> AuditOut:
    return AuditOut(
        id=a.id,
        time=a.time,
        actor=a.actor,
        action=a.action,
        target=a.target,
        detail=a.detail,
        ip=a.ip,
    )


def accounts_of(state: ServerState) -> Accounts:
    if state.accounts is None:
        raise NotFound("this server has no accounts (start it with HERON_AUTH=on)")
    return state.accounts


def _limited(state: ServerState, request: Request, name: str) -> list[str]:
    """The rate-limit keys of a sign-in; 429 while any of them is blocked."""
    keys = [f"address {client_address(request.scope)}", f"user {name.lower()}"]
    for key in keys:
        wait = state.auth.login_failures.retry_after(key)
        if wait is not None:
            raise TooManyRequests(f"too many failed sign-ins: try again in {wait:.0f} s", wait)
    return keys


def _sign_in(state: ServerState, request: Request, name: str, attempt: Any) -> Any:
    keys = _limited(state, request, name)
    try:
        result = attempt()
    except Exception:
        for key in keys:
            state.auth.login_failures.failed(key)
        raise
    for key in keys:
        state.auth.login_failures.succeeded(key)
    return result


# --- signing in -------------------------------------------------------------------------


@router.get("/auth/config", response_model=AuthConfig, summary="How to sign in (public)")
def auth_config(state: State) -> Response:
    sso = state.sso
    return json_response(
        AuthConfig(
            auth=state.auth.enabled,
            password_login=state.auth.enabled,
            sso=None if sso is None else sso.name,
            sso_login_url=None if sso is None else "/api/v1/auth/oidc/login",
        )
    )


@router.get("/auth/me", response_model=Me, summary="Who the caller is")
def me(state: State) -> Response:
    caller = state.tracking.caller
    return json_response(
        Me(
            name=caller.name,
            auth=state.auth.enabled,
            site_admin=caller.site_admin,
            account=caller.account,
            default_role=caller.default_role,
            roles=dict(caller.roles),
        )
    )


@router.post(
    "/auth/login",
    response_model=Me,
    summary="Sign in with a password: sets the session cookie (public, rate limited)",
)
def login(state: State, request: Request, body: Login) -> Response:
    accounts = accounts_of(state)
    token = _sign_in(
        state,
        request,
        body.name,
        lambda: accounts.login(body.name, body.password, state.settings.session_days),
    )
    caller = state.auth.authenticate(token.secret)
    assert caller is not None
    response = json_response(
        Me(
            name=caller.name,
            auth=True,
            site_admin=caller.site_admin,
            account=True,
            default_role=caller.default_role,
            roles=dict(caller.roles),
        )
    )
    _session_cookie(response, request, token.secret, state.settings.session_days)
    return response


def _session_cookie(response: Response, request: Request, secret: str, days: float) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(days * 86_400),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _sso(state: ServerState) -> OidcLogin:
    if state.sso is None or state.accounts is None:
        raise NotFound("this server has no single sign-on (HERON_OIDC_ISSUER)")
    return state.sso


def _callback_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{CALLBACK_PATH}"


@router.get(
    "/auth/oidc/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Begin single sign-on: to the provider (public)",
)
def oidc_login(state: State, request: Request) -> Response:
    url, flow = _sso(state).begin(_callback_url(request))
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=FLOW_SECONDS,
        path=CALLBACK_PATH,
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level navigation
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "/auth/oidc/callback",
    status_code=302,
    response_class=RedirectResponse,
    summary="The provider's answer: a session begins, back to the UI (public)",
)
def oidc_callback(
    state: State,
    request: Request,
    code: Annotated[str, Query(min_length=1, max_length=4096)],
    state_: Annotated[str, Query(alias="state", min_length=1, max_length=512)],
) -> Response:
    sso = _sso(state)
    accounts = accounts_of(state)
    claims = sso.finish(request.cookies.get(FLOW_COOKIE), state_, code, _callback_url(request))
    assert state.auth.accounts is not None
    user = sso.account(state.auth.accounts, claims)
    token = accounts.sso_session(user, sso.name, state.settings.session_days)
    response = RedirectResponse("/", status_code=302)
    _session_cookie(response, request, token.secret, state.settings.session_days)
    response.delete_cookie(FLOW_COOKIE, path=CALLBACK_PATH)
    return response


@router.post(
    "/auth/token",
    status_code=201,
    response_model=IssuedToken,
    summary="An API token for a password (`heron login`; public, rate limited)",
)
def token_for_password(state: State, request: Request, body: PasswordToken) -> Response:
    accounts = accounts_of(state)
    issued = _sign_in(
        state,
        request,
        body.name,
        lambda: accounts.token_for_password(body.name, body.password, body.token_name),
    )
    response = json_response(_issued(issued))
    response.status_code = 201
    return response


@router.post("/auth/logout", status_code=204, summary="End this session")
def logout(state: State) -> Response:
    if state.accounts is not None and state.tracking.caller.account:
        state.accounts.logout()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


# --- tokens -----------------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenOut], summary="API tokens (yours; admins: any)")
def list_tokens(state: State, user: str | None = None) -> Response:
    return json_response([_token(t) for t in accounts_of(state).list_tokens(user)])


@router.post("/tokens", status_code=201, response_model=IssuedToken, summary="Issue an API token")
def issue_token(state: State, body: NewTokenBody) -> Response:
    accounts = accounts_of(state)
    user = body.user if body.user is not None else state.tracking.caller.name
    response = json_response(_issued(accounts.issue_token(user, body.name, body.expires_in_days)))
    response.status_code = 201
    return response


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke a token (at once)")
def revoke_token(state: State, token_id: int) -> Response:
    return json_response(_token(accounts_of(state).revoke_token(token_id)))


# --- users ------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut], summary="Every user (site admins)")
def list_users(state: State) -> Response:
    return json_response([_user(u) for u in accounts_of(state).list_users()])


@router.post("/users", status_code=201, response_model=UserOut, summary="Create a user")
def create_user(state: State, body: NewUser) -> Response:
    user = accounts_of(state).create_user(
        body.name,
        password=body.password,
        email=body.email,
        admin=body.admin,
        kind="service" if body.service else "person",
    )
    response = json_response(_user(user))
    response.status_code = 201
    return response


@router.get("/users/{name}", response_model=UserOut, summary="One user (yourself; admins: any)")
def get_user(state: State, name: str) -> Response:
    return json_response(_user(accounts_of(state).get_user(name)))


@router.patch("/users/{name}", response_model=UserOut, summary="Change a user")
def update_user(state: State, name: str, body: UserPatch) -> Response:
    user = accounts_of(state).update_user(
        name, admin=body.admin, disabled=body.disabled, password=body.password, email=body.email
    )
    return json_response(_user(user))


@router.get("/users/{name}/roles", response_model=list[MemberOut], summary="A user's roles")
def user_roles(state: State, name: str) -> Response:
    return json_response([_member(m) for m in accounts_of(state).roles_of(name)])


# --- project members ----------------------------------------------------------------------


@router.get(
    "/projects/{project}/members", response_model=list[MemberOut], summary="A project's members"
)
def members(state: State, project: str) -> Response:
    return json_response([_member(m) for m in accounts_of(state).members(project)])


@router.put(
    "/projects/{project}/members/{user}",
    response_model=MemberOut,
    summary="Give a user a role in the project (project admins)",
)
def set_member(state: State, project: str, user: str, body: RoleBody) -> Response:
    membership = accounts_of(state).set_role(user, project, body.role)
    assert membership is not None
    return json_response(_member(membership))


@router.delete(
    "/projects/{project}/members/{user}",
    status_code=204,
    summary="Take a user's role in the project away (project admins)",
)
def remove_member(state: State, project: str, user: str) -> Response:
    accounts_of(state).set_role(user, project, None)
    return Response(status_code=204)


# --- the audit log ----------------------------------------------------------------------


@router.get("/audit", response_model=list[AuditOut], summary="The audit log, newest first")
def audit_log(
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    entries = accounts_of(state).audit_log(limit=limit, before=before, action=action, actor=actor)
    return json_response([_audit(a) for a in entries])
